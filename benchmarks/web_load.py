"""Load benchmark of the reader: front page, story page, search, with 100,000 articles and
20,000 stories in the store, load from wrk (a second process) on loopback.

    .venv/bin/python benchmarks/web_load.py [--db sqlite:///tmp/web_load.db] [--articles 100000]
        [--stories 20000] [--duration 10] [--connections 16] [--workers 1] [--repeat 3]
        [--while-ingesting [--writer synthetic|ingest|run] [--ingest docs.jsonl] [--pipeline-nice N]]

The store is generated fast (direct store inserts through the Store API, no embedding, no
extraction) and kept: a second run with the same --db reuses it. The server is ``newsloom serve``
in its own process; wrk (Debian: apt-get install wrk) runs each URL set for --duration seconds and
a Lua script reports p50/p95/p99 and requests/s. With --while-ingesting a writer process keeps
adding articles and re-saving their stories (what ``newsloom run`` does to the store) during a
second round; ``--writer ingest`` runs ``newsloom ingest PATH`` instead and ``--writer run`` runs
``newsloom run --no-web`` fetching the pages of a corpus (Wikinews Primer by default) from feeds
served on loopback: the real pipeline (extraction, language, dedupe, embedding, stories) on the
same cores. The round starts once the writer has stored its first article (models loaded) and
reports how many it stored meanwhile. ``--pipeline-nice`` sets the writer's
``NEWSLOOM_PIPELINE_NICE`` (0: the pipeline at the web server's priority, as before it had one).
Each page set is measured ``--repeat`` times (interleaved); the table shows medians. Writes
benchmarks/results/web_load.json and prints a table.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import html
import statistics
import threading
import time
import urllib.request
from datetime import datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsloom.models import Article, Source, Story  # noqa: E402
from newsloom.store import open_store  # noqa: E402

LANGS = ["en", "es", "pt", "fr", "de", "it", "nl", "ru", "ar", "zh", "ja", "tr", "pl", "uk", "hi"]
COUNTRIES = ["US", "GB", "ES", "MX", "BR", "PT", "FR", "DE", "IT", "NL", "RU", "EG", "CN", "JP", "TR",
             "PL", "UA", "IN", "AR", "CA"]
WORDS = ("election minister flood earthquake strike court summit market bank vaccine border protest "
         "ceasefire drought wildfire budget tariff satellite rocket football final verdict merger union "
         "harbour bridge railway pipeline reactor hospital school museum festival").split()
PLACES = "Lisbon Madrid Paris Berlin Rome Cairo Lagos Delhi Tokyo Lima Quito Oslo Kyiv Ankara Sydney".split()
T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)
LUA = r"""
done = function(summary, latency, requests)
  io.write(string.format('{"p50_ms": %.3f, "p95_ms": %.3f, "p99_ms": %.3f, "requests": %d, "errors": %d, "seconds": %.3f}\n',
    latency:percentile(50)/1000, latency:percentile(95)/1000, latency:percentile(99)/1000, summary.requests,
    summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.duration/1e6))
end
"""


def title(rng: random.Random, event: int) -> str:
    r = random.Random(event)
    return f"{r.choice(PLACES)} {r.choice(WORDS)} {r.choice(WORDS)} {event} {rng.choice(WORDS)}"


def generate(db: str, n_articles: int, n_stories: int, seed: int = 7) -> dict[str, float]:
    """Sources, articles (with story ids and lineage marks) and story records, in batches of one
    transaction each."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with open_store(db) as store:
        if store.count_articles() >= n_articles:
            return {"generated": 0, "seconds": 0.0}
        sources = []
        with store.transaction():
            for i in range(300):
                lang, country = LANGS[i % len(LANGS)], COUNTRIES[i % len(COUNTRIES)]
                sources.append(store.add_source(Source(name=f"Outlet {i}", url=f"https://outlet{i}.example.com/",
                                                       country=country, language=lang)))
        per_story = n_articles // n_stories
        aid = store.count_articles()  # a fresh store: ids are given in order, so the next is known
        for s in range(n_stories):
            if s % 2000 == 0:
                print(f"  stories {s:,}/{n_stories:,}", file=sys.stderr, flush=True)
            base = T0 + timedelta(minutes=3 * s)
            first_id = aid + 1
            members = []
            for k in range(per_story):
                src = sources[rng.randrange(len(sources))]
                members.append(Article(
                    url=f"{src.url}a/{first_id + k}", title=title(rng, s), lang=src.language, source_id=src.id,
                    source=src.name, country=src.country, text=(title(rng, s) + ". ") * 12,
                    published=base + timedelta(minutes=k), fetched_at=base + timedelta(minutes=k),
                    story_id=first_id, lineage="first" if k == 0 else "rewrite",
                    lineage_of=None if k == 0 else first_id))
            story = Story(id=first_id, headlines={m.lang: m.title for m in members if m.lang},
                          languages=sorted({m.lang for m in members if m.lang}),
                          countries=sorted({m.country for m in members if m.country}),
                          sources=sorted({m.source for m in members if m.source}),
                          first_seen=members[0].published, last_updated=members[-1].published,
                          article_count=len(members), first_article_id=None,
                          entities=[{"text": w, "type": "LOC", "count": 2} for w in title(rng, s).split()[:1]],
                          timeline=[{"at": m.published.isoformat(), "article_id": first_id + i, "lang": m.lang,
                                     "title": m.title} for i, m in enumerate(members[:3])])
            with store.transaction():
                store.save_story(story)
                for m in members:
                    store.add_article(m)
                    aid += 1
                    if m.id != aid:
                        raise SystemExit(f"article ids are not sequential ({m.id} != {aid}): use a fresh --db")
    return {"generated": aid, "seconds": round(time.perf_counter() - started, 1)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(db: str, port: int, workers: int, cache_seconds: float) -> subprocess.Popen:
    env = {**os.environ, "NEWSLOOM_DB": db}
    proc = subprocess.Popen([sys.executable, "-m", "newsloom", "serve", "--db", db, "--port", str(port),
                             "--workers", str(workers), "--no-semantic", "--cache-seconds", str(cache_seconds)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=REPO)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
            return proc
        except OSError:
            time.sleep(0.3)
    proc.kill()
    raise SystemExit("the server did not start")


def _healthy(base: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"{base}/healthz", timeout=2).read()
            return True
        except OSError:
            time.sleep(0.5)
    return False


def wrk(url_paths: list[str], base: str, duration: int, connections: int, tmp: Path) -> dict[str, float]:
    """wrk over a list of paths (each request picks the next one, round robin)."""
    script = tmp / "paths.lua"
    quoted = ", ".join(json.dumps(p) for p in url_paths)
    script.write_text("local paths = {" + quoted + "}\nlocal i = 0\n"
                      "request = function()\n  i = i % #paths + 1\n  return wrk.format('GET', paths[i])\nend\n" + LUA)
    out = subprocess.run(["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "-s", str(script), base],
                         capture_output=True, text=True, check=True).stdout
    res = json.loads(out.strip().splitlines()[-1])
    res["req_per_s"] = round(res["requests"] / res["seconds"], 1)
    return res


def writer(db: str, stop_file: Path, rate: float) -> None:
    """What the pipeline does to the store, without the CPU of extraction and embedding: add an
    article to a recent story and save the story's record again, in one transaction, ``rate``
    times a second."""
    rng = random.Random(11)
    with open_store(db) as store:
        n = 0
        recent = [s.id for s in store.list_stories(limit=200)]
        while not stop_file.exists():
            sid = rng.choice(recent)
            story = store.get_story(sid)
            n += 1
            with store.transaction():
                a = store.add_article(Article(url=f"https://live.example.com/{time.time_ns()}", title=f"live {n}",
                                              text="live report " * 30, lang="en", story_id=sid))
                story.article_count += 1
                story.last_updated = datetime.now(timezone.utc)
                store.save_story(story)
                del a
            time.sleep(1.0 / rate)
        print(n)


def _count(db: str) -> int:
    with open_store(db) as store:
        return store.count_articles()


def _page_html(row: dict) -> bytes:
    paras = "".join(f"<p>{html.escape(p)}</p>" for p in (row.get("text") or "").split("\n") if p.strip())
    title_ = html.escape(row.get("title") or "")
    return (f"<!doctype html><html lang='{row.get('lang') or 'en'}'><head><meta charset='utf-8'><title>{title_}"
            f"</title><meta property='article:published_time' content='{row.get('date') or ''}'></head><body>"
            f"<nav><a href='/'>Home</a></nav><article><h1>{title_}</h1>{paras}</article></body></html>").encode()


def _rss(items: list[tuple[str, dict]]) -> bytes:
    out = "".join(f"<item><title>{html.escape(r.get('title') or '')}</title><link>{url}</link><guid>{url}</guid></item>"
                  for url, r in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>bench</title>{out}</channel></rss>".encode()


def _serve_corpus(corpus: Path, db: str, feeds: int = 12) -> tuple[ThreadingHTTPServer, int]:
    """The corpus's pages and RSS feeds on a loopback server (in a thread of this process), under a
    path unique to this run (a store reused by another run has not seen them), and a source with
    those feeds in ``db``. Returns the server (``shutdown()`` stops it) and pages per feed."""
    from newsloom.bench.stories import read_corpus
    from newsloom.models import Feed

    rows = read_corpus(corpus)
    run_id = f"r{time.time_ns()}"
    routes: dict[str, tuple[bytes, str]] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            body, ctype = routes.get(self.path.split("?")[0], (b"not found", "text/plain"))
            self.send_response(200 if self.path.split("?")[0] in routes else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    base = f"http://127.0.0.1:{httpd.server_address[1]}/{run_id}"
    pages = [(f"{base}/a/{i}", r) for i, r in enumerate(rows)]
    for url, r in pages:
        routes[url[url.index(f"/{run_id}/"):]] = (_page_html(r), "text/html; charset=utf-8")
    per = -(-len(pages) // feeds)
    for k in range(feeds):
        routes[f"/{run_id}/feed{k}.xml"] = (_rss(pages[k * per:(k + 1) * per]), "application/rss+xml")
    with open_store(db) as store:
        src = store.add_source(Source(name=f"Loopback {run_id}", url=f"{base}/", country="GB", language="en"))
        for k in range(feeds):
            store.add_feed(Feed(url=f"{base}/feed{k}.xml", source_id=src.id))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return httpd, per


def start_writer(args: argparse.Namespace, stop: Path) -> tuple[subprocess.Popen, object | None, str]:
    """The writer process of the ingesting round (and the loopback server it fetches from)."""
    env = {**os.environ, "NEWSLOOM_DB": args.db}
    if args.pipeline_nice is not None:
        env["NEWSLOOM_PIPELINE_NICE"] = str(args.pipeline_nice)
    quiet = {"cwd": REPO, "stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "env": env}
    if args.writer == "ingest":
        cmd = [sys.executable, "-m", "newsloom", "ingest", str(args.ingest), "--db", args.db]
        return subprocess.Popen(cmd, **quiet), None, f"newsloom ingest {args.ingest.name}"
    if args.writer == "run":
        srv, per = _serve_corpus(args.ingest, args.db)
        env.update({"NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "1", "NEWSLOOM_REQUESTS_PER_SECOND_PER_HOST": "1000",
                    "NEWSLOOM_MAX_ARTICLES_PER_FEED": str(per + 1), "NEWSLOOM_CONCURRENCY": "16"})
        if args.server == "run":  # the reader is run's own web thread, beside the pipeline
            cmd = [sys.executable, "-m", "newsloom", "run", "--port", str(args.port), "--no-default-sources", "--db", args.db]
            return subprocess.Popen(cmd, **quiet), srv, f"newsloom run (serving too), {args.ingest.name} from loopback feeds"
        cmd = [sys.executable, "-m", "newsloom", "run", "--no-web", "--no-default-sources", "--db", args.db]
        return subprocess.Popen(cmd, **quiet), srv, f"newsloom run --no-web, {args.ingest.name} from loopback feeds"
    cmd = [sys.executable, __file__, "--writer", args.db, str(stop), str(args.write_rate)]
    return (subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.PIPE, text=True), None,
            f"synthetic writer at {args.write_rate} articles/s")


def _median(runs: list[dict[str, float]]) -> dict[str, object]:
    out: dict[str, object] = {k: round(statistics.median(r[k] for r in runs), 3)
                              for k in ("p50_ms", "p95_ms", "p99_ms", "req_per_s")}
    out["errors"] = sum(int(r["errors"]) for r in runs)
    out["p95_runs"] = [r["p95_ms"] for r in runs]
    out["req_per_s_runs"] = [r["req_per_s"] for r in runs]
    return out


def paths_for(db: str, rng: random.Random) -> dict[str, list[str]]:
    from newsloom.app.stories import encode_cursor
    from newsloom.store._reader import StoryQuery

    with open_store(db) as store:
        top = store.rank_stories(StoryQuery(limit=15_000))
        ids = [s.id for s, _ in top]
    last = top[min(14_969, len(top) - 1)]  # the 500th page of 30 (or the last page of a small store)
    c500 = encode_cursor(last[1], int(last[0].id))
    return {
        "front": ["/"],
        "front_filtered": [f"/?lang={lang}" for lang in LANGS[:8]],
        "front_page_500": [f"/?cursor={c500}"],
        "story": [f"/stories/{i}" for i in rng.sample(ids, 500)],
        "api_stories": ["/api/stories"],
        "search": [f"/search?q={rng.choice(PLACES)}+{rng.choice(WORDS)}" for _ in range(200)],
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", default=f"sqlite:///{tempfile.gettempdir()}/newsloom_web_load.db")
    ap.add_argument("--articles", type=int, default=100_000)
    ap.add_argument("--stories", type=int, default=20_000)
    ap.add_argument("--duration", type=int, default=10)
    ap.add_argument("--connections", type=int, default=16)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--while-ingesting", action="store_true")
    ap.add_argument("--write-rate", type=float, default=20.0,
                    help="articles/s the synthetic writer adds (the pipeline stores 17-60/s on 2 cores)")
    ap.add_argument("--writer", choices=["synthetic", "ingest", "run"], default=None,
                    help="who writes during the ingesting round (default: ingest with --ingest, else synthetic)")
    ap.add_argument("--ingest", type=Path, help="the corpus (JSONL) `newsloom ingest` reads or `newsloom run` "
                    "fetches (default for run: the shared Wikinews Primer)")
    ap.add_argument("--pipeline-nice", type=int, help="the writer's pipeline_nice (default: its setting, 10)")
    ap.add_argument("--server", choices=["serve", "run"], default="serve",
                    help="serve: `newsloom serve --workers N`; run: the web server of the ingesting `newsloom run` "
                    "itself (one process: web thread and pipeline; implies --while-ingesting --writer run --no-idle)")
    ap.add_argument("--no-idle", action="store_true", help="skip the idle round (only with --while-ingesting)")
    ap.add_argument("--repeat", type=int, default=1, help="measure each page set this many times (medians)")
    ap.add_argument("--cache-seconds", type=float, default=2.0, help="the server's micro-cache (0: off)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/web_load.json")
    args = ap.parse_args()
    if args.server == "run":
        args.while_ingesting, args.writer, args.no_idle, args.workers = True, "run", True, 1
    args.writer = args.writer or ("ingest" if args.ingest else "synthetic")
    if args.writer == "run" and args.ingest is None:
        args.ingest = Path(os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared") / "corpora/wikinews-primer/docs.jsonl"
    if args.writer in ("ingest", "run") and not (args.ingest and args.ingest.is_file()):
        raise SystemExit(f"--ingest {args.ingest}: corpus file not found")
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found (Debian: apt-get install wrk)")
    gen = generate(args.db, args.articles, args.stories)
    rng = random.Random(3)
    paths = paths_for(args.db, rng)
    port = args.port = free_port()
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="web_load_"))
    stop = tmp / "stop"
    results: dict[str, dict] = {"idle": {}, "ingesting": {}}
    before = _count(args.db)
    if args.server == "run":
        server, srv, what = start_writer(args, stop)
        w = server
        if not _healthy(base, 180):
            server.kill()
            raise SystemExit("newsloom run did not serve its web app")
    else:
        server = start_server(args.db, port, args.workers, args.cache_seconds)
    try:
        for name, ps in paths.items():  # warm: templates compiled, caches and pages read once
            for p in ps[:20]:
                urllib.request.urlopen(base + p).read()
        runs: dict[str, list] = {name: [] for name in paths}
        for _ in range(0 if args.no_idle and args.while_ingesting else args.repeat):
            for name, ps in paths.items():
                runs[name].append(wrk(ps, base, args.duration, args.connections, tmp))
        results["idle"] = {name: _median(r) for name, r in runs.items() if r}
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.with_suffix(".idle.json").write_text(json.dumps(results["idle"], indent=1))  # kept if a writer fails
        if args.while_ingesting:
            if args.server != "run":
                w, srv, what = start_writer(args, stop)
            deadline = time.monotonic() + 300
            while _count(args.db) == before and time.monotonic() < deadline and w.poll() is None:
                time.sleep(0.5)  # models loaded, first article stored: the pipeline is running
            counted, t0 = _count(args.db), time.monotonic()
            runs = {name: [] for name in ("front", "story", "search")}
            for _ in range(args.repeat):
                for name in runs:
                    runs[name].append(wrk(paths[name], base, args.duration, args.connections, tmp))
            stored, secs = _count(args.db) - counted, time.monotonic() - t0
            still = w.poll() is None
            results["ingesting"] = {name: _median(r) for name, r in runs.items()}
            stop.touch()
            if args.writer == "synthetic":
                n = int((w.communicate(timeout=30)[0] or "0").strip() or 0)
                what += f" ({n} added in all)"
            elif args.server != "run":
                w.terminate()
                w.wait(60)
            if srv is not None:
                srv.shutdown()  # type: ignore[attr-defined]
            results["ingesting"]["writer"] = what
            results["ingesting"]["writer_articles_per_s"] = round(stored / secs, 2) if secs else None
            results["ingesting"]["writer_busy_throughout"] = still
            results["ingesting"]["pipeline_nice"] = args.pipeline_nice if args.pipeline_nice is not None else "setting"
    finally:
        server.terminate()
        server.wait(60)
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "db": args.db.split("://")[0],
              "articles": args.articles, "stories": args.stories, "workers": args.workers,
              "server": args.server, "connections": args.connections, "duration_s": args.duration, "cache_seconds": args.cache_seconds,
              "repeat": args.repeat, "cores": os.cpu_count(), "load_average_at_end": os.getloadavg(),
              "generate": gen, **results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=1))
    print(f"{'round':<10} {'page':<16} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'req/s':>8} {'errors':>7}")
    for rnd in ("idle", "ingesting"):
        for name, r in results[rnd].items():
            if isinstance(r, dict):
                print(f"{rnd:<10} {name:<16} {r['p50_ms']:>8.1f} {r['p95_ms']:>8.1f} {r['p99_ms']:>8.1f} "
                      f"{r['req_per_s']:>8.1f} {r['errors']:>7}")
    if results["ingesting"]:
        ing = results["ingesting"]
        print(f"writer during the ingesting round: {ing['writer']}, {ing['writer_articles_per_s']} articles/s stored "
              f"while measured, {'busy throughout' if ing['writer_busy_throughout'] else 'FINISHED before the end'}"
              f", pipeline_nice {ing['pipeline_nice']}")
    print(f"-> {args.out}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--writer":
        writer(sys.argv[2], Path(sys.argv[3]), float(sys.argv[4]))
    else:
        main()
