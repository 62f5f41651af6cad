"""Settings, in one place: defaults < config file (TOML) < environment (NEWSLOOM_*) < CLI flags.

The config file is ``$NEWSLOOM_CONFIG`` or ``~/.config/newsloom/config.toml``; its keys are the
field names below, e.g. ``near_duplicate_threshold = 0.8``.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from newsloom import USER_AGENT
from newsloom.errors import ConfigError


def default_data_dir() -> Path:
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "newsloom"


def default_db_url() -> str:
    return f"sqlite:///{default_data_dir() / 'newsloom.db'}"


@dataclass
class Settings:
    db: str = field(default_factory=default_db_url)
    user_agent: str = USER_AGENT
    # fetch
    requests_per_second_per_host: float = 1.0
    timeout_s: float = 20.0
    max_body_bytes: int = 10 * 1024 * 1024
    max_redirects: int = 5
    min_feed_interval_s: int = 300
    max_feed_interval_s: int = 6 * 3600
    default_feed_interval_s: int = 900
    max_backoff_s: int = 24 * 3600
    # a feed answering "gone" this many polls in a row is switched off (`sources enable` undoes it)
    disable_after_410: int = 3
    disable_after_404: int = 10
    # next poll times spread by up to this share of the interval, so feeds added together
    # (an OPML import) do not all fall due in the same second
    poll_jitter: float = 0.1
    max_articles_per_feed: int = 50  # article pages fetched per feed pass
    concurrency: int = 8
    # fetch loopback, private, link-local and cloud-metadata addresses (intranets, tests on
    # loopback); off by default so a feed item or redirect cannot make us request our own network
    allow_private_networks: bool = False
    # a page processing rejected (binary, all boilerplate) is asked again at most this often,
    # conditionally (ETag / Last-Modified), and processed again only when its body changed
    rejected_recheck_s: int = 24 * 3600
    workers: int = 0  # processes for extraction/analysis of big ingests; 0 = one per core
    # the pipeline's worker processes and processing thread run at this nice value (0-19; 0 =
    # the same priority as the web server), so on shared cores the reader's requests go first
    # and an idle machine still gives the pipeline all of its CPU (newsloom.priority)
    pipeline_nice: int = 10
    # a process serving the reader hands the interpreter lock between its threads at least this
    # often, so a request is not kept waiting behind the processing thread (Python's default is
    # 5 ms; 0 = leave it). newsloom.priority, benchmarks/switch_interval.py
    reader_switch_interval_ms: float = 1.0
    # `ingest --queue`: at most this many jobs of the back-fill open (queued or running) at a
    # time; past it queuing waits for the workers (0 = queue the whole archive at once)
    ingest_queue_ahead: int = 5000
    # `worker` and `run` at start-up: how long to keep trying a database that cannot be reached
    # (PostgreSQL not up yet), with back-off and a log line a try, before giving up (0 = once)
    connect_timeout_s: float = 60.0
    # extraction / dedupe
    min_text_chars: int = 200
    near_duplicate_threshold: float = 0.8
    minhash_perms: int = 128
    # newest articles kept in the in-memory near-duplicate index (~2 KB each: 200,000 is
    # ~400 MB and weeks of a large source list); 0 = all. Exact duplicates and known URLs are
    # found through the store at any age.
    near_duplicate_window: int = 200_000
    # where near-duplicates are looked up: "memory" (this process's own index, the newest
    # near_duplicate_window articles), "store" (the LSH keys of the newest near_duplicate_window
    # articles in the database, shared by every worker and process: migration 0009; older keys
    # are pruned by the periodic maintenance of run/worker), "auto" = store on PostgreSQL,
    # memory on SQLite
    near_duplicate_index: str = "auto"
    # newest articles whose vectors semantic search keeps in memory (2 kB each; 0 = all):
    # older articles are still found by their words (full-text search)
    search_semantic_articles: int = 500_000
    # stories
    stories: bool = True  # weave articles into stories (embedding + clustering) as they arrive
    story_window_days: float = 3.0  # a story not updated for this long is closed
    story_replay_articles: int = 20000  # newest articles replayed into memory at start-up
    # memory bound of the clusterer: a story is dropped from memory (closed) once it is both
    # story_window_days older than the newest date seen and untouched for this many arrivals.
    # Its members cost ~20 kB each in memory, so the default holds at most ~2 GB at 100,000;
    # a small machine with a steady feed list can lower it (the days test still applies)
    story_window_items: int = 100_000
    # let articles in languages the default embedder lacks join its stories (and back) through
    # e5-small title vectors; off saves ~25 ms per article where every language is covered
    story_bridges: bool = True
    embedder: str = "use-m3"
    embed_threads: int = 1
    # reader (web app, API, feeds): public pages show headline + this many characters + the link
    snippet_chars: int = 200
    # publisher rights (newsloom.rights): snippet length per country (ISO code) and per source
    # (name or id), over snippet_chars; a removal request is carried out within this many hours
    # of receipt; pending verifications are checked again at most this often
    snippet_chars_by_country: dict = field(default_factory=dict)
    snippet_chars_by_source: dict = field(default_factory=dict)
    takedown_deadline_hours: float = 24.0
    takedown_recheck_s: int = 300
    # each crawled article is fetched again this long after its first fetch (s, m, h, d; comma
    # separated, each later than the one before): a 404/410 retracts it, a changed page is a
    # revision. "" switches recrawling off. An unchanged page costs a conditional GET (ETag /
    # Last-Modified of the stored page) or a hash of its bytes, not an analysis
    recrawl_steps: str = "1h,24h,7d"
    # housekeeping (app/housekeeping.py, hourly in `run` and the serial worker; `newsloom prune`):
    # days after which a fetched page's bytes (the bulk of a store on real pages; the article
    # keeps its text, story and links), the fetch log's entries and finished jobs are deleted.
    # 0 keeps them for good. Pages must outlive the last recrawl step, which compares with them
    keep_pages_days: float = 30.0
    keep_fetch_log_days: float = 30.0
    keep_done_jobs_days: float = 7.0

    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, **overrides: Any) -> "Settings":
        values: dict[str, Any] = {}
        cfg = path or os.environ.get("NEWSLOOM_CONFIG")
        cfg_path = Path(cfg) if cfg else Path.home() / ".config" / "newsloom" / "config.toml"
        if cfg_path.is_file():
            try:
                values.update(tomllib.loads(cfg_path.read_text(encoding="utf-8")))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise ConfigError(f"{cfg_path}: not valid TOML ({exc})") from None
        elif cfg:
            raise ConfigError(f"{cfg_path}: config file not found")
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name, f in fields.items():
            env = os.environ.get(f"NEWSLOOM_{name.upper()}")
            if env is not None:
                values[name] = env
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - set(fields)
        if unknown:
            raise ConfigError(f"{cfg_path}: unknown setting(s) {', '.join(sorted(unknown))}")
        out = cls()
        for name, raw in values.items():
            default = getattr(out, name)
            try:
                if isinstance(default, bool) and isinstance(raw, str):
                    if raw.strip().lower() not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                        raise ValueError(raw)
                    value = raw.strip().lower() in ("1", "true", "yes", "on")
                else:
                    value = type(default)(raw) if not isinstance(raw, type(default)) else raw
            except (TypeError, ValueError):
                raise ConfigError(
                    f"setting {name}={raw!r}: expected {type(default).__name__}"
                ) from None
            setattr(out, name, value)
        if out.near_duplicate_index not in ("auto", "memory", "store"):
            raise ConfigError(f"setting near_duplicate_index={out.near_duplicate_index!r}: "
                              "expected auto, memory or store")
        if out.ingest_queue_ahead < 0:
            raise ConfigError(f"setting ingest_queue_ahead={out.ingest_queue_ahead!r}: expected 0 (no bound) or more")
        if out.connect_timeout_s < 0:
            raise ConfigError(f"setting connect_timeout_s={out.connect_timeout_s!r}: expected seconds, 0 or more")
        if not 0 <= out.reader_switch_interval_ms <= 100:
            raise ConfigError(f"setting reader_switch_interval_ms={out.reader_switch_interval_ms!r}: "
                              "expected 0 (Python's default) to 100 milliseconds")
        if not 0 <= out.pipeline_nice <= 19:
            raise ConfigError(f"setting pipeline_nice={out.pipeline_nice!r}: expected 0 to 19")
        # values no fetch or ingest can work with (a fetch "timed out after -1 s", a page
        # "exceeds the -5-byte limit"): refused at load, naming the setting
        for name in ("timeout_s", "max_body_bytes"):
            if getattr(out, name) <= 0:
                raise ConfigError(f"setting {name}={getattr(out, name)!r}: expected more than 0")
        from newsloom.rights.recrawl import parse_steps

        try:
            steps = parse_steps(out.recrawl_steps)
        except ValueError as exc:
            raise ConfigError(f"setting recrawl_steps={out.recrawl_steps!r}: {exc}") from None
        for name in ("keep_pages_days", "keep_fetch_log_days", "keep_done_jobs_days"):
            if getattr(out, name) < 0:
                raise ConfigError(f"setting {name}={getattr(out, name)!r}: expected 0 (keep for good) or more days")
        if out.keep_pages_days and steps and out.keep_pages_days * 86400 < steps[-1].total_seconds():
            raise ConfigError(f"setting keep_pages_days={out.keep_pages_days!r}: shorter than the last recrawl step "
                              f"({out.recrawl_steps.split(',')[-1].strip()}), which compares the page with the stored "
                              "one; keep pages longer, or set recrawl_steps")
        if out.workers < 0:
            raise ConfigError(f"setting workers={out.workers!r}: expected 0 (one per core) or more")
        return out
