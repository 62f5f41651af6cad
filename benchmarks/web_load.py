"""Load benchmark of the reader: front page, story page, search, with 100,000 articles and
20,000 stories in the store, load from wrk (a second process) on loopback.

    .venv/bin/python benchmarks/web_load.py [--db sqlite:///tmp/web_load.db] [--articles 100000]
        [--stories 20000] [--duration 10] [--connections 16] [--workers 1] [--while-ingesting]

The store is generated fast (direct store inserts through the Store API, no embedding, no
extraction) and kept: a second run with the same --db reuses it. The server is ``newsloom serve``
in its own process; wrk (Debian: apt-get install wrk) runs each URL set for --duration seconds and
a Lua script reports p50/p95/p99 and requests/s. With --while-ingesting a writer process keeps
adding articles and re-saving their stories (what ``newsloom run`` does to the store) during a
second round. Writes benchmarks/results/web_load.json and prints a table.
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
import time
import urllib.request
from datetime import datetime, timedelta, timezone
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
    ap.add_argument("--ingest", type=Path, help="run `newsloom ingest PATH` as the writer instead (adds to --db)")
    ap.add_argument("--cache-seconds", type=float, default=2.0, help="the server's micro-cache (0: off)")
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks/results/web_load.json")
    args = ap.parse_args()
    if not shutil.which("wrk"):
        raise SystemExit("wrk not found (Debian: apt-get install wrk)")
    gen = generate(args.db, args.articles, args.stories)
    rng = random.Random(3)
    paths = paths_for(args.db, rng)
    port = free_port()
    server = start_server(args.db, port, args.workers, args.cache_seconds)
    base = f"http://127.0.0.1:{port}"
    tmp = Path(tempfile.mkdtemp(prefix="web_load_"))
    results: dict[str, dict] = {"idle": {}, "ingesting": {}}
    try:
        for name, ps in paths.items():  # warm: templates compiled, caches and pages read once
            for p in ps[:20]:
                urllib.request.urlopen(base + p).read()
        for name, ps in paths.items():
            results["idle"][name] = wrk(ps, base, args.duration, args.connections, tmp)
        if args.while_ingesting:
            stop = tmp / "stop"
            if args.ingest:  # the real pipeline: extraction, language, dedupe, embedding, stories
                w = subprocess.Popen([sys.executable, "-m", "newsloom", "ingest", str(args.ingest), "--db", args.db],
                                     cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, text=True)
            else:
                w = subprocess.Popen([sys.executable, __file__, "--writer", args.db, str(stop), str(args.write_rate)],
                                     cwd=REPO, stdout=subprocess.PIPE, text=True)
            time.sleep(1)
            for name in ("front", "story", "search"):
                results["ingesting"][name] = wrk(paths[name], base, args.duration, args.connections, tmp)
            stop.touch()
            if args.ingest:
                w.terminate()
                w.wait(30)
                results["ingesting"]["writer"] = f"newsloom ingest {args.ingest.name}"
            else:
                n = int((w.communicate(timeout=30)[0] or "0").strip() or 0)
                results["ingesting"]["writer"] = f"{n} articles added to stories at {args.write_rate}/s"
    finally:
        server.terminate()
        server.wait(10)
    report = {"when": datetime.now(timezone.utc).isoformat(timespec="seconds"), "db": args.db.split("://")[0],
              "articles": args.articles, "stories": args.stories, "workers": args.workers,
              "connections": args.connections, "duration_s": args.duration, "cache_seconds": args.cache_seconds, "cores": os.cpu_count(),
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
        print(f"writer during the ingesting round: {results['ingesting']['writer']}")
    print(f"-> {args.out}")


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--writer":
        writer(sys.argv[2], Path(sys.argv[3]), float(sys.argv[4]))
    else:
        main()
