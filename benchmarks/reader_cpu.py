"""CPU per request of the reader's search page and story feeds, in-process: each request is one
direct ASGI call of the app (no server, no micro-cache, no semantic model: as web_load.py serves
it), timed by process CPU time; medians of many. Also writes every page's bytes, to prove a
change leaves them identical.

    .venv/bin/python benchmarks/reader_cpu.py --db sqlite:////tmp/copy.db time [--repeat 5]
    .venv/bin/python benchmarks/reader_cpu.py --db URL dump before.json   # then, after the change:
    .venv/bin/python benchmarks/reader_cpu.py --db URL dump after.json --compare before.json

Use a copy of a web_load.py store (the app indexes unranked stories when it opens one). To time
the code before a change, put an export of it first on the path: ``git archive REV newsloom |
tar -x -C /tmp/old && PYTHONPATH=/tmp/old python benchmarks/reader_cpu.py ...`` (alternate
old and new runs: other work on the machine moves CPU times by tens of percent).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import statistics
import sys
import time
from typing import Any

from newsloom.errors import NewsloomError
from newsloom.store import open_store
from newsloom.web.app import create_app

# web_load.py's search words: two-word queries like its load
WORDS = ("election minister flood earthquake strike court summit market bank vaccine border protest "
         "ceasefire drought wildfire budget tariff satellite rocket football final verdict merger union "
         "harbour bridge railway pipeline reactor hospital school museum festival").split()
PLACES = "Lisbon Madrid Paris Berlin Rome Cairo Lagos Delhi Tokyo Lima Quito Oslo Kyiv Ankara Sydney".split()


def url_sets(store: Any) -> dict[str, list[str]]:
    rng = random.Random(7)
    one = lambda sql: [next(iter(r.values())) if isinstance(r, dict) else r[0] for r in store._rows(sql)]  # noqa: E731
    langs = one("SELECT DISTINCT lang FROM articles WHERE lang IS NOT NULL ORDER BY lang LIMIT 4")
    countries = one("SELECT DISTINCT country FROM articles WHERE country IS NOT NULL ORDER BY country LIMIT 3")
    srcs = one("SELECT DISTINCT source_id FROM articles WHERE source_id IS NOT NULL ORDER BY source_id LIMIT 3")
    filtered = []
    for i, w in enumerate(WORDS[:12]):
        q = f"/search?q={w}"
        filtered += [q, f"{q}&lang={langs[i % len(langs)]}", f"{q}&country={countries[i % len(countries)].lower()}",
                     f"{q}&source={srcs[i % len(srcs)]}", f"{q}&range=all", f"{q}&range=30d&ui=de", f"{q}&ui=fr",
                     f"{q}+{PLACES[i]}&lang={langs[0]}&range=7d"]
    filtered += ["/search?q=%22%3Cscript%3E", "/search?q=zzzznotaword", "/search?q=Lisbon&ui=es", "/search?q=the"]
    sids = one("SELECT story_id FROM articles WHERE story_id IS NOT NULL GROUP BY story_id ORDER BY count(*) DESC, "
               "story_id LIMIT 5")
    return {
        "search": [f"/search?q={rng.choice(PLACES)}+{rng.choice(WORDS)}" for _ in range(40)],
        "search (one word, filters)": filtered,
        "story feeds": [f"/feeds/story/{s}.{f}" for s in sids for f in ("atom", "rss", "json")],
        "other pages": [f"/feeds/search.{f}?q=flood" for f in ("atom", "rss", "json")]
        + ["/api/search?q=flood", "/api/search?q=Lisbon+court&lang=en"] + [f"/stories/{s}" for s in sids] + ["/"],
    }


async def call(app: Any, url: str) -> tuple[int, bytes]:
    path, _, qs = url.partition("?")
    scope = {"type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET", "scheme": "http",
             "path": path, "raw_path": path.encode(), "query_string": qs.encode(), "root_path": "",
             "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1), "server": ("testserver", 80)}
    status, body = [0], []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            status[0] = message["status"]
        elif message["type"] == "http.response.body":
            body.append(message.get("body", b""))

    await app(scope, receive, send)
    return status[0], b"".join(body)


async def run(args: argparse.Namespace) -> None:
    try:
        store = open_store(args.db)
        empty = store.count_articles() == 0
    except NewsloomError as exc:
        raise SystemExit(f"--db {args.db}: {exc}") from None
    if empty:
        raise SystemExit(f"--db {args.db}: no articles (generate a store with benchmarks/web_load.py first)")
    app = create_app(store, semantic=False, cache_seconds=0)
    sets = url_sets(store)
    if args.mode == "dump":
        out = {}
        for urls in sets.values():
            for u in urls:
                status, body = await call(app, u)
                out[u] = [status, hashlib.sha256(body).hexdigest()]
        with open(args.out, "w") as f:
            json.dump(out, f, indent=0)
        print(f"{len(out)} pages -> {args.out}")
        if args.compare:
            try:
                with open(args.compare) as f:
                    before = json.load(f)
            except (OSError, ValueError) as exc:
                raise SystemExit(f"--compare {args.compare}: cannot read it ({exc})") from None
            differ = [u for u in out if before.get(u) != out[u]]
            print(f"compared with {args.compare}: {len(differ)} of {len(out)} differ {differ[:5]}")
            sys.exit(1 if differ or before.keys() != out.keys() else 0)
        return
    for name in ("search", "search (one word, filters)", "story feeds"):
        urls = sets[name]
        for u in urls:
            await call(app, u)  # warm: compiled templates, caches, pages
        ms = []
        for _ in range(args.repeat):
            for u in urls:
                started = time.process_time()
                await call(app, u)
                ms.append((time.process_time() - started) * 1000)
        print(f"{name:28s} n={len(ms):5d}  median {statistics.median(ms):6.2f} ms/request  "
              f"mean {statistics.fmean(ms):6.2f}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", required=True, help="a copy of a web_load.py store")
    ap.add_argument("mode", choices=["time", "dump"])
    ap.add_argument("out", nargs="?", help="dump: where the pages' hashes go")
    ap.add_argument("--compare", help="dump: a previous dump; exit 1 when any page differs")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    if args.mode == "dump" and not args.out:
        ap.error("dump: name the file the hashes go to")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
