"""Soak: many articles through `newsloom run` as a user runs it (one process: fetch, pipeline,
stories, web), fed by a loopback site whose feeds publish new articles at a steady rate.

    python benchmarks/soak.py [--articles 200000] [--rate 40] [--feeds 200] [--db URL]
                              [--sample-s 30] [--readers 2] [--json benchmarks/results/soak.json]

The site: ``--feeds`` feeds on one host; article i is published ``i / rate`` seconds after the
start, listed by feed ``i % feeds`` (each feed shows its newest 100 items). Articles come in story
groups of 5 reports sharing a made-up person, place and terms (seeded; no corpus needed). `newsloom run` polls the feeds as
often as its settings allow (feed interval 10-60 s here; politeness relaxed for the one local host).

Every ``--sample-s`` seconds: resident memory of the run process and its worker processes
(/proc), articles stored, articles without a story. All along, ``--readers`` clients read the front
page, a story page and a search (0.1 s between requests, a person-like load, not a saturating one)
and their latencies are kept.

At the end (every article published and stored, or no progress for 10 minutes): SIGTERM, then
checks: every published URL stored exactly once (none lost; the store's URL key makes a second
copy impossible, so "processed twice" is counted from the fetch log: article pages fetched more
than once), every article has a story. Reported: articles/s, RSS after warm-up (first 20 % of
articles) and at the end and its slope per 10,000 articles, web p50/p95/p99 while ingesting,
and the recrawl: article pages asked again, 304s, articles by recrawl steps done, how late the
recrawl was (``--pages`` says what a page looks like when asked again).
"""

from __future__ import annotations

import argparse
import html
import json
import os
import random
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
WORDS = ("river council harbour minister railway budget storm village school hospital bridge court farmers "
         "election museum factory police festival airport forest mayor union teachers drought satellite market "
         "energy workers coast library tunnel vaccine parliament strike flood border prison army embassy "
         "island mine refinery stadium orchestra bank reactor canal desert glacier volcano harvest fishermen "
         "pilots nurses judges miners students pensioners tourists refugees engineers scientists").split()
PLACES = ("Avonmouth Brackley Corvale Dunmere Eastwick Fairholt Glenrock Harwood Ironbridge Kestrel Lowfield "
          "Marston Northam Oakridge Penrith Queensbury Redcliff Stanmore Thornbury Upwood Westerham Yarwell").split()
VERBS = ("announced reported confirmed warned promised rejected approved delayed opened closed "
         "investigated celebrated criticised defended").split()


SYLLABLES = ("ka lo mi ren tor vas bel dun fie gra hol jin kra lum mor nes pol quo ras sil tam ulm ver wes "
             "yor zan bri cho dal eku fon gue hai ivo jos kel").split()


def _word(r: random.Random) -> str:
    return "".join(r.choice(SYLLABLES) for _ in range(r.randint(2, 3)))


def story_terms(story: int) -> tuple[str, str, list[str]]:
    """(person, place, topic words) of story group ``story``: made-up names from ~40 syllables
    (about 70,000 distinct words), so groups differ as real stories do (names, places, terms)
    and do not all melt into a few huge stories, as a small shared vocabulary makes them."""
    rs = random.Random(story)
    person = f"{_word(rs).title()} {_word(rs).title()}"
    place = _word(rs).title()
    return person, place, [*rs.sample(WORDS, 2), _word(rs), _word(rs)]


def article(i: int) -> tuple[str, str]:
    """(title, text) of article i: story group i // 5 (5 reports each, seeded), so stories form."""
    person, place, topic = story_terms(i // 5)
    r = random.Random(i)
    title = f"{person} {r.choice(VERBS)} {topic[0]} {topic[2]} in {place}"
    paras = []
    for _ in range(r.randint(4, 8)):
        sent = []
        for _ in range(r.randint(2, 4)):
            w = [*topic, *r.sample(WORDS, 4)]
            r.shuffle(w)
            sent.append(f"{person} {r.choice(VERBS)} in {place} that the {w[0]} and the {w[1]} "
                        f"would meet the {w[2]} of the {w[3]} before the {w[4]} on {r.randint(1, 28)} "
                        f"March, according to {r.choice(PLACES)} officials (report {i}).")
        paras.append(" ".join(sent))
    return title, "\n".join(paras)


class Site:
    """The loopback publisher: pages and feeds computed on request from the clock."""

    def __init__(self, n: int, rate: float, feeds: int, per_day: int, pages: str = "static") -> None:
        self.n, self.rate, self.feeds, self.per_day, self.pages = n, rate, feeds, per_day, pages
        self.page_requests = self.not_modified = 0  # article pages asked for / answered 304
        self.day0 = datetime.now(UTC) - timedelta(seconds=n / per_day * 86400)
        self.t0 = time.monotonic()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802 - http.server's name
                path = self.path.split("?")[0]
                status, ctype, body = site.answer(path)
                extra: dict[str, str] = {}
                if status == 200 and path.startswith("/a/"):
                    site.page_requests += 1
                    if site.pages == "validators":  # ETag + Last-Modified; a matching ask gets a 304
                        extra = {"ETag": f'"{path[3:]}-1"', "Last-Modified": "Sun, 06 Dec 2026 00:00:00 GMT"}
                        if self.headers.get("If-None-Match") == extra["ETag"]:
                            status, body = 304, b""
                            site.not_modified += 1
                    elif site.pages == "stamped":  # bytes that differ on every request, as many CMSs'
                        body = body.replace(b"</footer>", f" served {time.time_ns()}</footer>".encode())
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for k, v in extra.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except ConnectionError:
                    pass  # a client (the fetcher on shutdown) hung up: not the site's error

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def published(self) -> int:
        return min(self.n, int((time.monotonic() - self.t0) * self.rate))

    def answer(self, path: str) -> tuple[int, str, bytes]:
        if path.startswith("/a/") and path[3:].isdigit() and int(path[3:]) < self.published():
            i = int(path[3:])
            title, text = article(i)
            paras = "".join(f"<p>{html.escape(p)}</p>" for p in text.split("\n"))
            when = (self.day0 + timedelta(seconds=i / self.per_day * 86400)).isoformat(timespec="seconds")
            return 200, "text/html; charset=utf-8", (
                f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
                f"<meta property='article:published_time' content='{when}'></head><body><nav><a href='/'>Home</a></nav><article><h1>{html.escape(title)}</h1>{paras}"
                f"</article><footer>Soak site</footer></body></html>").encode()
        if path.startswith("/feed") and path.endswith(".xml") and path[5:-4].isdigit():
            k, top = int(path[5:-4]), self.published()
            newest = top - 1 - ((top - 1 - int(path[5:-4])) % self.feeds) if top > k else -1
            items = [j for j in range(newest, -1, -self.feeds)][:100] if newest >= 0 else []
            body = "".join(f"<item><title>{html.escape(article(j)[0])}</title><link>{self.base}/a/{j}</link>"
                           f"<guid>{self.base}/a/{j}</guid></item>" for j in items)
            return 200, "application/rss+xml", (f"<?xml version='1.0'?><rss version='2.0'><channel>"
                                                f"<title>soak {k}</title>{body}</channel></rss>").encode()
        return 404, "text/plain", b"not found"

    def close(self) -> None:
        self.httpd.shutdown()


def _vmrss_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def _tree(pid: int) -> list[int]:
    """``pid`` and every descendant (children of every thread: the fork server's workers too)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        for task in Path(f"/proc/{p}/task").glob("*") if Path(f"/proc/{p}/task").exists() else []:
            try:
                todo += [int(c) for c in (task / "children").read_text().split()]
            except OSError:
                pass
    return out


def rss_mb(pid: int) -> tuple[float, float]:
    """(resident memory of ``pid`` and all its descendants, of ``pid`` alone), MB."""
    main = _vmrss_kb(pid)
    total = main + sum(_vmrss_kb(p) for p in _tree(pid)[1:])
    return round(total / 1024, 1), round(main / 1024, 1)


def run_memory(base: str) -> dict[str, float]:
    """The run process's own account of its memory (``/metrics``, memtrim.memory_breakdown), MB
    (blocks for CPython's allocator): which kind grows tells a leak from free heap kept."""
    out: dict[str, float] = {}
    try:
        text = urllib.request.urlopen(f"{base}/metrics", timeout=10).read().decode()
    except OSError:
        return out
    for line in text.splitlines():
        if line.startswith('newsloom_process_memory_bytes{kind="'):
            kind, value = line[len('newsloom_process_memory_bytes{kind="'):].split('"} ')
            out[f"{kind}_mb"] = round(float(value) / 2**20, 1)
        elif line.startswith(("newsloom_recrawl_due ", "newsloom_recrawl_lag_seconds ")):
            # how far the recrawl is behind its schedule (app/recrawl.backlog)
            out[line.split()[0][len("newsloom_"):]] = float(line.split()[1])
        elif line.startswith("newsloom_python_allocated_blocks "):
            out["python_blocks"] = float(line.split()[1])
        elif line.startswith('newsloom_cache_entries{cache="'):
            # a bounded cache's fill (memtrim.cache_fill): still filling = memory still rising
            name, value = line[len('newsloom_cache_entries{cache="'):].split('"} ')
            out[f"cache:{name.rsplit('.', 2)[-2]}.{name.rsplit('.', 1)[-1]}"] = float(value)
    return out


class Readers:
    """Person-like readers: front page, a story page, a search, ``pause`` s apart, latencies kept."""

    def __init__(self, base: str, db_path: Path, n: int, site: "Site", pause: float = 0.1) -> None:
        self.base, self.db_path, self.site, self.stop = base, db_path, site, threading.Event()
        self.pause = pause
        self.lat: dict[str, list[float]] = {"front": [], "story": [], "search": []}
        self.errors = 0
        self.threads = [threading.Thread(target=self._loop, args=(k,), daemon=True) for k in range(n)]
        for t in self.threads:
            t.start()

    def _story_id(self) -> int | None:
        try:
            with sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=1) as c:
                row = c.execute("SELECT id FROM stories ORDER BY random() LIMIT 1").fetchone()
            return int(row[0]) if row else None
        except sqlite3.Error:
            return None

    def _get(self, kind: str, path: str) -> None:
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(self.base + path, timeout=30) as r:  # noqa: S310 - loopback
                r.read()
            self.lat[kind].append((time.perf_counter() - t) * 1000)
        except OSError:
            self.errors += 1

    def _loop(self, k: int) -> None:
        r = random.Random(k)
        while not self.stop.wait(self.pause):
            self._get("front", "/")
            sid = self._story_id()
            if sid is not None:
                self._get("story", f"/stories/{sid}")
            self._get("search", f"/search?q={story_terms(r.randrange(max(1, self.site.published() // 5)))[1]}+{r.choice(WORDS)}")

    def summary(self) -> dict[str, Any]:
        self.stop.set()
        out: dict[str, Any] = {"errors": self.errors}
        for kind, xs in self.lat.items():
            if len(xs) >= 20:
                q = statistics.quantiles(xs, n=100)
                out[kind] = {"n": len(xs), "p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1),
                             "p99_ms": round(q[98], 1)}
        return out


TRACE_SITE = """
import os, sys, threading, time, tracemalloc
_out = os.environ.get("NEWSLOOM_SOAK_TRACE")
if _out:
    def _dump():
        # Tracing from start-up made the run too slow to reach the interesting part (68
        # articles in 10 minutes): wait for the soak to drop the start file, then trace with
        # few frames and take a snapshot every 120 s. Threads do not survive fork, so worker
        # processes never trace; the fork server (argv "-c") skips itself.
        while not os.path.exists(f"{_out}/trace-start"):
            time.sleep(5)
        if sys.argv[:1] == ["-c"]:
            return
        tracemalloc.start(6)
        k = 0
        while True:
            tracemalloc.take_snapshot().dump(f"{_out}/snap-{os.getpid()}-{k:03d}.tm")
            k += 1
            time.sleep(120)

    threading.Thread(target=_dump, daemon=True).start()
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def soak(args: argparse.Namespace) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="newsloom-soak-"))
    db_path = Path(args.db.removeprefix("sqlite:///")) if args.db else tmp / "soak.db"
    db = f"sqlite:///{db_path}"
    site = Site(args.articles, args.rate, args.feeds, args.per_day, args.pages)
    env = {**os.environ, "NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "true", "NEWSLOOM_REQUESTS_PER_SECOND_PER_HOST": "1000",
           "NEWSLOOM_CONCURRENCY": "16", "NEWSLOOM_MIN_FEED_INTERVAL_S": "10", "NEWSLOOM_DEFAULT_FEED_INTERVAL_S": "20",
           "NEWSLOOM_MAX_FEED_INTERVAL_S": "60", "NEWSLOOM_MAX_ARTICLES_PER_FEED": "100", "NEWSLOOM_POLL_JITTER": "0.5"}
    if args.window:
        env["NEWSLOOM_NEAR_DUPLICATE_WINDOW"] = str(args.window)
    if args.memory_window:
        # every in-memory window of the run process at once: near-duplicate index, the
        # clusterer's arrivals bound, semantic search vectors
        for key in ("NEAR_DUPLICATE_WINDOW", "STORY_WINDOW_ITEMS", "SEARCH_SEMANTIC_ARTICLES"):
            env[f"NEWSLOOM_{key}"] = str(args.memory_window)
    if args.trace_memory is not None:
        # a sitecustomize on the run's path: tracemalloc once the start file is there, a snapshot
        # every 120 s
        (tmp / "trace").mkdir()
        (tmp / "trace" / "sitecustomize.py").write_text(TRACE_SITE)
        env["NEWSLOOM_SOAK_TRACE"] = str(tmp)
    py = [sys.executable, "-m", "newsloom"]
    subprocess.run([*py, "init", "--no-default-sources", "--db", db], check=True, env=env, capture_output=True)
    opml = tmp / "feeds.opml"
    outlines = "".join(f"<outline type='rss' text='soak {k}' xmlUrl='{site.base}/feed{k}.xml'/>" for k in range(args.feeds))
    opml.write_text(f"<?xml version='1.0'?><opml version='2.0'><head/><body>{outlines}</body></opml>")
    subprocess.run([*py, "sources", "import-opml", str(opml), "--db", db], check=True, env=env, capture_output=True)
    port = _free_port()
    log = open(tmp / "run.log", "w")  # noqa: SIM115 - open for the life of the run
    # the trace folder goes in front of the caller's path (a worktree run keeps its code)
    path = os.pathsep.join(p for p in (str(tmp / "trace"), os.environ.get("PYTHONPATH", "")) if p)
    run_env = {**env, "PYTHONPATH": path} if args.trace_memory is not None else env
    proc = subprocess.Popen([*py, "run", "--no-default-sources", "--db", db, "--port", str(port),
                             "--log-format", "json", "--log-level", "warning"], stdout=log, stderr=log, env=run_env)
    site.t0 = time.monotonic()
    readers = None
    samples: list[dict[str, Any]] = []
    stored = last_stored = 0
    last_progress = t0 = time.monotonic()
    try:
        while True:
            time.sleep(args.sample_s)
            if proc.poll() is not None:
                raise SystemExit(f"newsloom run exited with {proc.returncode}; see {tmp / 'run.log'}")
            with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30) as c:
                stored = c.execute("SELECT count(*) FROM articles").fetchone()[0]
                waiting = c.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
            if readers is None and stored > 0:
                readers = Readers(f"http://127.0.0.1:{port}", db_path, args.readers, site, args.reader_pause)
            samples.append({"t_s": round(time.monotonic() - t0, 1), "published": site.published(),
                            "stored": stored, "without_story": waiting,
                            **dict(zip(("rss_mb", "rss_mb_run_process"), rss_mb(proc.pid), strict=True)),
                            **(run_memory(f"http://127.0.0.1:{port}") if stored else {})})
            print(json.dumps(samples[-1]), flush=True)
            if args.trace_memory is not None and stored >= args.trace_memory:
                (tmp / "trace-start").touch()
            if stored > last_stored:
                last_stored, last_progress = stored, time.monotonic()
            if args.max_minutes and site.n == args.articles and time.monotonic() - t0 > args.max_minutes * 60:
                site.n = site.published()  # publishing stops here; what was published is drained
                print(f"time limit: publishing stopped at {site.n} articles", flush=True)
            if stored >= site.n or time.monotonic() - last_progress > 600:
                break
    finally:
        web = readers.summary() if readers else {}
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=300)
        except subprocess.TimeoutExpired:
            proc.kill()
        site.close()
    seconds = samples[-1]["t_s"] if samples else 0.0
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as c:
        urls = {r[0] for r in c.execute("SELECT url FROM articles")}
        no_story = c.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0]
        twice = c.execute("SELECT count(*) FROM (SELECT url FROM fetch_log WHERE url LIKE '%/a/%' "
                          "AND http_status = 200 GROUP BY url HAVING count(*) > 1)").fetchone()[0]
        stories = c.execute("SELECT count(*) FROM stories").fetchone()[0]
        steps_done = dict(c.execute("SELECT recrawl_count, count(*) FROM articles GROUP BY recrawl_count").fetchall())
    expected = {f"{site.base}/a/{i}" for i in range(site.n)}
    warm = next((s for s in samples if s["stored"] >= args.warmup * max(1, stored)), samples[0] if samples else None)
    end = samples[-1] if samples else None
    def slope(key: str) -> float | None:
        # least squares over every sample after warm-up, not two end points: worker processes
        # come and go (their RSS jumps), one sample must not decide
        after = [s for s in samples if warm and s["stored"] >= warm["stored"] and key in s]
        if len(after) < 3 or after[-1]["stored"] == after[0]["stored"]:
            return None
        xs, ys = [s["stored"] for s in after], [s[key] for s in after]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        sxx = sum((x - mx) ** 2 for x in xs)
        return round(sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / sxx * 10_000, 1) if sxx else None

    return {
        "articles_published": site.n, "articles_planned": args.articles, "articles_stored": len(urls), "stories": stories,
        "lost": len(expected - urls), "unexpected": len(urls - expected), "fetched_twice": twice,
        "without_story_at_end": no_story, "seconds": seconds,
        "articles_per_s": round(len(urls) / seconds, 2) if seconds else None,
        "rss_mb_after_warmup": warm["rss_mb"] if warm else None, "rss_mb_end": end["rss_mb"] if end else None,
        "rss_mb_per_10k_articles_after_warmup": slope("rss_mb"),
        "run_process_rss_mb_after_warmup": warm["rss_mb_run_process"] if warm else None,
        "run_process_rss_mb_end": end["rss_mb_run_process"] if end else None,
        "run_process_rss_mb_per_10k_articles_after_warmup": slope("rss_mb_run_process"), "rss_mb_peak": max((s["rss_mb"] for s in samples), default=None),
        # the run process's memory by kind (its /metrics), per 10,000 articles after warm-up:
        # which of these follows RSS says what grows
        "run_process_memory_per_10k_articles_after_warmup": {
            k: slope(k) for k in ("rss_anon_mb", "rss_file_mb", "malloc_in_use_mb", "malloc_mmapped_mb", "malloc_free_mb",
                                  "sqlite_mb", "python_arenas_mb", "python_in_use_mb", "python_free_mb",
                                  "python_blocks")},
        # each bounded cache of the run process at the end (entries) and per 10,000 articles
        # after warm-up: one still filling explains part of a rising RSS, and stops when full
        "run_process_caches_at_end": {k[len("cache:"):]: v for k, v in (end or {}).items() if k.startswith("cache:")},
        "run_process_cache_entries_per_10k_articles_after_warmup": {
            k[len("cache:"):]: slope(k) for k in (end or {}) if k.startswith("cache:")},
        "web_while_ingesting": web, "reader_pause_s": args.reader_pause, "per_day": args.per_day,
        # the recrawl: article pages the site served beyond each article's first fetch (304s
        # included), articles by recrawl steps done, and how late it was at the end
        "pages": args.pages, "recrawl_requests": max(0, site.page_requests - len(urls)),
        "recrawl_not_modified_304": site.not_modified, "articles_by_recrawl_steps_done": steps_done,
        "recrawl_lag_s_end": max((s.get("recrawl_lag_seconds", 0.0) for s in samples[-3:]), default=None),
        "recrawl_lag_s_max": max((s.get("recrawl_lag_seconds", 0.0) for s in samples), default=None),
        # settings the caller gave the run through the environment (e.g. NEWSLOOM_STORY_BRIDGES)
        "settings_from_environment": {k: v for k, v in os.environ.items() if k.startswith("NEWSLOOM_")},
        "near_duplicate_window": args.window or "default",
        "memory_window": args.memory_window or "default", "run_exit_code": proc.returncode, "samples": samples, "cpus": os.cpu_count(),
        "store": str(db_path),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--rate", type=float, default=40.0, help="articles published per second")
    ap.add_argument("--feeds", type=int, default=200)
    ap.add_argument("--db", help="default: a new SQLite store in a temporary folder")
    ap.add_argument("--sample-s", type=float, default=30.0)
    ap.add_argument("--readers", type=int, default=2)
    ap.add_argument("--reader-pause", type=float, default=0.1,
                    help="seconds each reader waits between its rounds (front page, story, search); at "
                         "0.1 two readers ask ~40 pages a second, which costs the run ~30 ms of CPU an "
                         "article at 15 articles/s")
    ap.add_argument("--per-day", type=int, default=20_000,
                    help="articles per simulated day: article i is dated i/per-day days after the first, so "
                         "stories close (story_window_days) as they would in a daemon running for days")
    ap.add_argument("--window", type=int, help="near_duplicate_window setting (default: the product's)")
    ap.add_argument("--memory-window", type=int,
                    help="near_duplicate_window, story_window_items and search_semantic_articles at once: "
                         "memory should be flat once this many articles (and story_window_days) have passed")
    ap.add_argument("--max-minutes", type=float, help="stop publishing after this long, then drain")
    ap.add_argument("--trace-memory", type=int, metavar="ARTICLES",
                    help="tracemalloc in the run process once this many articles are stored, then a "
                         "snapshot every 120 s in the soak's folder (compare them with tracemalloc's "
                         "Snapshot.compare_to)")
    ap.add_argument("--pages", choices=("static", "stamped", "validators"), default="static",
                    help="article pages on a recrawl: the same bytes (static), bytes that differ on every "
                         "request (stamped: each recrawl is analysed again, the worst case), or ETag and "
                         "Last-Modified with 304 answers (validators). The schedule is the setting "
                         "NEWSLOOM_RECRAWL_STEPS (e.g. 5m,20m,40m to see the 3 recrawls an article in a soak)")
    ap.add_argument("--warmup", type=float, default=0.2, help="share of the articles counted as warm-up")
    ap.add_argument("--json", default=str(REPO / "benchmarks/results/soak.json"))
    args = ap.parse_args()
    if args.db and not args.db.startswith("sqlite:///"):
        sys.exit("benchmarks/soak.py: --db must be a sqlite:/// URL (the samples read the file directly)")
    result = soak(args)
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    print("| what | value |\n|---|---|")
    for k, v in result.items():
        if k != "samples":
            print(f"| {k} | {v} |")


if __name__ == "__main__":
    main()
