"""``newsloom bench pipeline --fetch``: end to end through the real fetcher.

Articles are served as HTML pages, listed in RSS feeds, by a loopback HTTP server in a process of
its own (:mod:`newsloom.bench.loopback`); one ``fetch`` pass (politeness relaxed for the one
local host) fetches, extracts, analyses, deduplicates, stores, embeds and clusters every page
into a fresh store. The pages are the Wikinews corpora's texts (MEANTIME then Primer, in date
order) when ``shared/corpora`` has them, else seeded synthetic news (stories of 1-4 reports).

Reported: articles/s end to end (from the first feed request to the last story assigned) and
per stage, from the time each stage spent on the pages (:class:`StageClock`):

- fetch: pages over the time at least one page request was in flight;
- extract/analyse (extract, clean, language, fingerprints, names) and embed (story vectors):
  summed over the worker processes that ran them, so articles/s = articles x workers / seconds;
- dedupe+store and stories (clustering, record, lineage; with any embedding done there): in
  the one processing thread.

Also: CPU seconds by process (main, workers, the server), peak memory (RSS of this process,
summed PSS of the workers and their fork server), and the queue lag: how long
after an article was stored its story was assigned (mean, p95, max).
"""

from __future__ import annotations

import html
import os
import random
import resource
import statistics
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from newsloom.errors import BenchError

STAGES = ("fetch", "analyse", "embed", "dedupe+store", "stories")
LABELS = {"fetch": "fetch", "analyse": "extract/analyse", "embed": "embed (story vectors)",
          "dedupe+store": "dedupe+store", "stories": "stories (cluster, record, lineage)"}


# --- pages --------------------------------------------------------------------------------------
def corpus_paths(shared: Path) -> list[Path]:
    return [shared / "corpora/wikinews-meantime/docs.jsonl", shared / "corpora/wikinews-primer/docs.jsonl"]


_WORDS = ("river council harbour minister railway budget storm village school hospital bridge court "
          "farmers election museum factory police festival airport forest mayor union teachers drought "
          "satellite market energy workers coast library tunnel vaccine parliament strike flood border "
          "company bank contract report court ruling protest talks summit treaty shipping grain").split()
_NAMES = ("Anna Keller", "Joao Silva", "Mei Chen", "Omar Haddad", "Lena Novak", "Pablo Ortiz", "Sara Lind",
          "Tom Becker", "Ravi Rao", "Nadia Petrova")
_PLACES = ("Lisbon", "Oslo", "Nairobi", "Lima", "Hanoi", "Tbilisi", "Porto", "Quito", "Riga", "Accra")


def synthetic_rows(n: int, seed: int = 0) -> list[dict[str, Any]]:
    """``n`` English news reports in stories of 1-4 (same people, place, words), seeded."""
    rnd = random.Random(seed)
    rows: list[dict[str, Any]] = []
    day = datetime(2026, 1, 1, tzinfo=UTC)
    story = 0
    while len(rows) < n:
        story += 1
        who, where = rnd.choice(_NAMES), rnd.choice(_PLACES)
        topic = rnd.sample(_WORDS, 8)
        day += timedelta(hours=rnd.randint(1, 12))
        for k in range(min(rnd.randint(1, 4), n - len(rows))):
            words = topic + rnd.sample(_WORDS, 6)
            paras = []
            for _ in range(rnd.randint(4, 8)):
                w = [rnd.choice(words) for _ in range(24)]
                paras.append(f"{who} said in {where} on Tuesday that the {' '.join(w[:8])} would "
                             f"{rnd.choice(['meet', 'close', 'reopen', 'vote'])} again, as the "
                             f"{' '.join(w[8:16])} told reporters about the {' '.join(w[16:])}.")
            rows.append({"doc_id": f"syn-{story}-{k}", "story_id": f"syn-{story}", "lang": "en",
                         "title": f"{where}: {who} on the {topic[0]} {topic[1]} and the {topic[2]} ({k + 1})",
                         "text": "\n".join(paras), "date": (day + timedelta(hours=k)).date().isoformat()})
    return rows


def load_rows(shared: Path | None, articles: int, synthetic: bool = False, seed: int = 0
              ) -> tuple[list[dict[str, Any]], str]:
    """(rows, what they are): the Wikinews corpora under ``shared`` if there, else synthetic."""
    if not synthetic and shared is not None:
        paths = corpus_paths(shared)
        if all(p.is_file() for p in paths):
            from newsloom.bench.stories import read_corpus

            return read_corpus(paths)[:articles], "Wikinews MEANTIME + Primer"
    return synthetic_rows(articles, seed), f"synthetic (seed {seed})"


def page_html(row: dict[str, Any]) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in (row.get("text") or "").split("\n") if p.strip())
    title = html.escape(row.get("title") or "")
    return (f"<!doctype html><html lang='{row.get('lang') or 'en'}'><head><meta charset='utf-8'>"
            f"<title>{title}</title><meta property='article:published_time' content='{row.get('date') or ''}'>"
            f"</head><body><nav><a href='/'>Home</a></nav><article><h1>{title}</h1>{paras}</article>"
            f"<footer>Example site</footer></body></html>").encode()


def feed_xml(base: str, items: list[tuple[str, dict[str, Any]]]) -> bytes:
    out = "".join(f"<item><title>{html.escape(r.get('title') or '')}</title><link>{base}{path}</link>"
                  f"<guid>{base}{path}</guid></item>" for path, r in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>bench</title>{out}</channel></rss>".encode()


# --- measuring ----------------------------------------------------------------------------------
class StageClock:
    """What ``Pipeline.clock`` is told: seconds per stage, and when each article was stored and
    given its story; plus the page requests' (start, end)."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.cpu: dict[str, float] = dict.fromkeys(STAGES, 0.0)
        self.counts: dict[str, int] = dict.fromkeys(STAGES, 0)
        self.stored_at: dict[int, float] = {}
        self.assigned_at: dict[int, float] = {}
        self.requests: list[tuple[float, float]] = []

    def add(self, stage: str, seconds: float, cpu: float = 0.0) -> None:
        self.seconds[stage] = self.seconds.get(stage, 0.0) + seconds
        self.cpu[stage] = self.cpu.get(stage, 0.0) + cpu
        self.counts[stage] = self.counts.get(stage, 0) + 1

    def stored(self, article_id: int | None) -> None:
        if article_id is not None:
            self.stored_at[article_id] = time.perf_counter()

    def assigned(self, article_id: int | None) -> None:
        if article_id is not None:
            self.assigned_at[article_id] = time.perf_counter()

    def busy_fetching(self) -> float:
        """Seconds during which at least one page request was in flight."""
        busy, end = 0.0, float("-inf")
        for s, e in sorted(self.requests):
            if e > end:
                busy += e - max(s, end)
                end = e
        return busy

    def lags(self) -> list[float]:
        return [self.assigned_at[i] - t for i, t in self.stored_at.items() if i in self.assigned_at]


class _Sampler:
    """Every second: CPU seconds and memory of this process's descendants (worker processes
    come and go with a pass; each one's last reading counts), the peak of their summed PSS
    (proportional set size: the fork server's pages the workers share are counted once)."""

    def __init__(self, skip: set[int]) -> None:
        self.skip = skip
        self.cpu: dict[int, float] = {}  # CPU seconds since the sampler started, per process
        self._before: dict[int, float] = {}  # of the processes already there then (fork server)
        self.peak_children_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        me = psutil.Process()
        while True:
            total = 0
            for child in me.children(recursive=True):
                if child.pid in self.skip:
                    continue
                try:
                    t = child.cpu_times()
                    self.cpu[child.pid] = t.user + t.system - self._before.get(child.pid, 0.0)
                    total += child.memory_full_info().pss  # shared model pages counted once
                except psutil.Error:
                    pass
            self.peak_children_mb = max(self.peak_children_mb, total / 2**20)
            if self._stop.wait(1.0):  # walking /proc costs CPU the pipeline would use
                return

    def __enter__(self) -> "_Sampler":
        import psutil

        for child in psutil.Process().children(recursive=True):
            try:
                t = child.cpu_times()
                self._before[child.pid] = t.user + t.system
            except psutil.Error:
                pass
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def _timed_fetch(clock: StageClock):  # type: ignore[no-untyped-def]
    """Fetcher.fetch that notes the (start, end) of every page request."""
    from newsloom.fetch.http import Fetcher

    real = Fetcher.fetch

    async def fetch(self, url, *args, kind="page", **kwargs):  # type: ignore[no-untyped-def]
        t0 = time.perf_counter()
        try:
            return await real(self, url, *args, kind=kind, **kwargs)
        finally:
            if kind == "page":
                clock.requests.append((t0, time.perf_counter()))

    return real, fetch


def _timed_embedders(service: Any, clock: StageClock) -> None:
    """Embedding done in this process (pages not embedded ahead) counts as embed, not stories."""
    for emb in (service.embedder, service._fallback_embedder()):
        real = emb.embed

        def embed(texts, _real=real):  # type: ignore[no-untyped-def]
            t0, c0 = time.perf_counter(), time.thread_time()
            try:
                return _real(texts)
            finally:
                dt, dc = time.perf_counter() - t0, time.thread_time() - c0
                clock.add("embed", dt, dc)
                clock.counts["embed"] -= 1  # counted per article by analyse, not per call
                clock.add("stories", -dt, -dc)  # measured inside stories.add
                clock.counts["stories"] -= 1

        emb.embed = embed


def _start_fork_server(pipeline: Any) -> None:
    """Start the fork server the pass's worker processes come from, with what it preloads
    (models, parsers), and wait until it is ready; the daemon pays this once, not per pass."""
    from newsloom import pipeline as pipeline_mod
    from newsloom.parallel import process_pool, worker_count

    if worker_count(pipeline.settings.workers) <= 1:
        return
    preload = getattr(pipeline_mod, "_preload", lambda embed: ["newsloom.worker"])(pipeline.with_stories)
    pool = process_pool(1, preload=preload)
    pool.submit(os.getpid).result()
    pool.shutdown()


# --- the run ------------------------------------------------------------------------------------
def run(shared: Path | None = None, articles: int = 600, feeds: int = 12, db: str | None = None,
        stories: bool = True, workers: int = 0, synthetic: bool = False, seed: int = 0) -> dict[str, Any]:
    """One fetch pass over ``articles`` pages in ``feeds`` feeds into a fresh store (``db``:
    an empty store to use instead, e.g. a PostgreSQL schema)."""
    from newsloom.bench.loopback import Loopback
    from newsloom.config import Settings
    from newsloom.parallel import worker_count

    if articles < 1 or feeds < 1:
        raise BenchError(f"--articles {articles} / --feeds {feeds}: both must be at least 1")
    rows, what = load_rows(shared, articles, synthetic, seed)
    pages = [(f"/a/{i}.html", r) for i, r in enumerate(rows)]
    if not pages:
        raise BenchError(f"{what}: no articles to serve")
    per = -(-len(pages) // feeds)
    clock = StageClock()
    with tempfile.TemporaryDirectory() as tmp:
        site = Path(tmp) / "site"
        for path, r in pages:
            (site / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (site / path.lstrip("/")).write_bytes(page_html(r))
        url = db or f"sqlite:///{tmp}/bench.db"
        # pipeline_nice 0: the pipeline alone is measured (no reader to yield to; at the default
        # nice 10, other work on a shared machine would take its cores)
        settings = Settings.load(db=url, stories=stories, allow_private_networks=True, workers=workers,
                                 requests_per_second_per_host=1000.0, max_articles_per_feed=per + 1,
                                 concurrency=16, pipeline_nice=0)
        with Loopback(site) as srv:
            for k in range(feeds):  # the feeds name the server's port, known now
                (site / f"feed{k}.xml").write_bytes(feed_xml(srv.base, pages[k * per:(k + 1) * per]))
            result = _measure(srv, url, settings, feeds, clock, stories)
    result.update({"pages": what, "articles_served": len(pages), "feeds": feeds,
                   "workers": worker_count(workers), "cpus": os.cpu_count(),
                   "load_average_before": result.pop("_load")})
    return result


def _measure(srv: Any, url: str, settings: Any, feeds: int, clock: StageClock,
             stories: bool) -> dict[str, Any]:
    import psutil

    from newsloom.fetch.http import Fetcher
    from newsloom.models import Feed, Source
    from newsloom.parallel import worker_count
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store

    base = srv.base
    with open_store(url) as store:
        src = store.add_source(Source(name="bench", url=base + "/", country="GB", language="en"))
        for k in range(feeds):
            store.add_feed(Feed(url=f"{base}/feed{k}.xml", source_id=src.id))
        pipeline = Pipeline(store, settings)
        pipeline.clock = clock
        t_load = time.perf_counter()
        if stories:  # the models load before the clock starts
            service = pipeline.stories
            service.embedder.embed(["warm up"])
            if service.bridging:
                service._fallback_embedder().embed(["warm up"])
            _timed_embedders(service, clock)
        _start_fork_server(pipeline)  # so do the workers' (a running `newsloom run` has them)
        load_s = time.perf_counter() - t_load
        real, timed = _timed_fetch(clock)
        me = psutil.Process()
        load = os.getloadavg()[0]
        cpu0, server0 = me.cpu_times(), srv.cpu_seconds()
        Fetcher.fetch = timed  # type: ignore[method-assign]
        try:
            with _Sampler(skip={srv.proc.pid}) as sampler:
                t0 = time.perf_counter()
                summary, crawl = pipeline.fetch_once()
                seconds = time.perf_counter() - t0
        finally:
            Fetcher.fetch = real  # type: ignore[method-assign]
        cpu1, server1 = me.cpu_times(), srv.cpu_seconds()
        n = store.count_articles()
        with_story = n - len(store.articles_without_story(limit=10**9)) if stories else None
    lags = sorted(clock.lags())
    fetched = getattr(crawl, "pages_fetched", 0) or 0
    workers = worker_count(settings.workers)
    per_stage: dict[str, Any] = {}
    for stage in STAGES:
        if stage == "embed" and not stories:
            continue
        busy = clock.busy_fetching() if stage == "fetch" else clock.seconds.get(stage, 0.0)
        count = fetched if stage == "fetch" else clock.counts.get(stage, 0)
        par = workers if stage in ("analyse", "embed") else 1
        per_stage[stage] = {
            "where": ("event loop, 16 requests at a time" if stage == "fetch" else
                      f"{par} worker processes" if par > 1 else "processing thread"),
            "busy_s": round(busy, 2), "articles": count,
            "articles_per_s": round(count * par / busy, 1) if busy > 0 else None,
            "cpu_ms_per_article": round(1000 * clock.cpu.get(stage, 0.0) / count, 1)
            if count and stage != "fetch" else None}
    return {
        "stories": stories, "articles_stored": n, "articles_with_story": with_story,
        "outcomes": dict(summary.counts), "pages_fetched": fetched,
        "seconds": round(seconds, 2), "articles_per_s": round(n / seconds, 2) if seconds else None,
        "stages": per_stage,
        "queue_lag_s": {"mean": round(statistics.fmean(lags), 3) if lags else None,
                        "p95": round(lags[int(0.95 * (len(lags) - 1))], 3) if lags else None,
                        "max": round(lags[-1], 3) if lags else None},
        "cpu_s": {"main": round(cpu1.user + cpu1.system - cpu0.user - cpu0.system, 1),
                  "workers": round(sum(sampler.cpu.values()), 1),
                  "server": round(server1 - server0, 1)},
        "model_load_s": round(load_s, 2), "pipeline_nice": settings.pipeline_nice,
        "cpu_ms_per_article": round(1000 * (cpu1.user + cpu1.system - cpu0.user - cpu0.system
                                            + sum(sampler.cpu.values()) + server1 - server0) / n, 1)
        if n else None,
        "peak_rss_mb": {"main": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                        "workers_total": round(sampler.peak_children_mb, 1)},
        "_load": round(load, 2),
    }


def format_table(result: dict[str, Any]) -> str:
    rows = [f"{result['articles_served']} pages ({result['pages']}) in {result['feeds']} feeds on loopback, "
            f"one fetch pass, {result['workers']} worker processes, stories "
            f"{'on' if result['stories'] else 'off'}; {result['cpus']} cores, load average "
            f"{result['load_average_before']} before",
            "", "| stage | where | busy s | articles/s | CPU ms/article |", "|---|---|---:|---:|---:|"]
    for stage, s in result["stages"].items():
        rate = "" if s["articles_per_s"] is None else f"{s['articles_per_s']:.1f}"
        cpu_ms = "" if s.get("cpu_ms_per_article") is None else f"{s['cpu_ms_per_article']:.1f}"
        rows.append(f"| {LABELS[stage]} | {s['where']} | {s['busy_s']:.1f} | {rate} | {cpu_ms} |")
    lag, cpu, rss = result["queue_lag_s"], result["cpu_s"], result["peak_rss_mb"]
    lag_text = "n/a" if lag["max"] is None else f"mean {lag['mean']:.3f}, p95 {lag['p95']:.3f}, max {lag['max']:.3f}"
    rows += [f"| **end to end** | first feed request to last story | {result['seconds']:.1f} | "
             f"**{result['articles_per_s']:.1f}** | |",
             "", "| what | value |", "|---|---|",
             f"| articles stored / with a story | {result['articles_stored']} / {result['articles_with_story']} |",
             f"| outcomes | {', '.join(f'{v} {k}' for k, v in sorted(result['outcomes'].items()))} |",
             f"| queue lag, stored -> story (s) | {lag_text} |",
             f"| CPU s: main / workers / server | {cpu['main']} / {cpu['workers']} / {cpu['server']} |",
             f"| peak memory MB: main RSS / workers + fork server PSS | {rss['main']:.0f} / "
             f"{rss['workers_total']:.0f} |",
             f"| CPU ms per article, all processes | {result['cpu_ms_per_article']} "
             f"(so at most {result['cpus'] * 1000 / result['cpu_ms_per_article']:.1f} articles/s on "
             f"{result['cpus']} idle cores) |" if result["cpu_ms_per_article"] else "| CPU | n/a |",
             f"| model load, fork server start (before the clock) | {result['model_load_s']:.1f} s |"]
    return "\n".join(rows)
