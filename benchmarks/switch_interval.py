"""The reader beside a busy processing thread in one process (what `newsloom run` is): request
latency by the interpreter's switch interval (setting ``reader_switch_interval_ms``).

    python benchmarks/switch_interval.py [--articles 20000] [--requests 300] [--intervals 5,1,0.5]
                                         [--json benchmarks/results/switch_interval.json]

A store of ``--articles`` generated articles (``web_load.generate``: direct inserts, kept in a
temporary folder). For each interval a server process starts the reader in a thread of itself
(``web.server.start_in_thread``, as `newsloom run` does, semantic search on) and a second thread
that runs Python without pause (the processing thread's share of `newsloom run`: clustering and
storing hold the interpreter). This process asks front page, story page and search in turn,
``--requests`` rounds 20 ms apart, and reports p50/p95/p99 per page and the busy thread's work
per second (what a shorter interval costs the pipeline). No timing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

SERVER = r"""
import sys, threading, time
from newsloom.config import Settings
from newsloom.web.server import start_in_thread
db, port, ms = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
server = start_in_thread(Settings(db=db, reader_switch_interval_ms=ms), port=port)
server.should_exit = False
work = [0]
def busy():
    while True:
        x = 0
        for i in range(1000):
            x += i * i
        work[0] += 1
threading.Thread(target=busy, daemon=True).start()
t0 = time.perf_counter()
print("ready", sys.getswitchinterval(), flush=True)
sys.stdin.readline()
print("work", work[0] / (time.perf_counter() - t0), flush=True)
"""


def _port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str) -> float:
    t = time.perf_counter()
    with urllib.request.urlopen(url, timeout=60) as r:  # noqa: S310 - loopback
        r.read()
    return (time.perf_counter() - t) * 1000


def one(db: str, ms: float, requests: int, story_ids: list[int], queries: list[str]) -> dict[str, Any]:
    port = _port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", SERVER, db, str(port), str(ms)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, text=True, env=env)
    try:
        ready = proc.stdout.readline().split()  # type: ignore[union-attr]
        base = f"http://127.0.0.1:{port}"
        for q in queries[:5]:  # the model and the vectors loaded, the caches warm
            _get(f"{base}/search?q={q}")
        lat: dict[str, list[float]] = {"front": [], "story": [], "search": []}
        rng = random.Random(1)
        for _ in range(requests):
            lat["front"].append(_get(f"{base}/?page={rng.randrange(1, 4)}"))
            lat["story"].append(_get(f"{base}/stories/{rng.choice(story_ids)}"))
            lat["search"].append(_get(f"{base}/search?q={rng.choice(queries)}"))
            time.sleep(0.02)
        proc.stdin.write("\n")  # type: ignore[union-attr]
        proc.stdin.flush()  # type: ignore[union-attr]
        work = float(proc.stdout.readline().split()[1])  # type: ignore[union-attr]
    finally:
        proc.kill()
        proc.wait()
    out: dict[str, Any] = {"interval_ms": ms, "switch_interval_s_seen": float(ready[1]), "busy_loops_per_s": round(work)}
    for kind, xs in lat.items():
        q = statistics.quantiles(xs, n=100)
        out[kind] = {"p50_ms": round(q[49], 1), "p95_ms": round(q[94], 1), "p99_ms": round(q[98], 1)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=20_000)
    ap.add_argument("--requests", type=int, default=300)
    ap.add_argument("--intervals", default="5,1,0.5", help="milliseconds, comma separated (5 = Python's default)")
    ap.add_argument("--json", default=str(REPO / "benchmarks/results/switch_interval.json"))
    args = ap.parse_args()
    from web_load import PLACES, WORDS, generate

    from newsloom.store import open_store

    db = f"sqlite:///{Path(tempfile.mkdtemp(prefix='newsloom-switch-')) / 'w.db'}"
    with open_store(db, create=True):
        pass
    generate(db, args.articles, max(1, args.articles // 5))
    with open_store(db) as store:
        story_ids = [s.id for s in store.list_stories(limit=500)]  # type: ignore[attr-defined]
    rng = random.Random(7)
    queries = [f"{rng.choice(PLACES)}+{rng.choice(WORDS)}" for _ in range(200)]
    rows = [one(db, float(ms), args.requests, story_ids, queries) for ms in args.intervals.split(",")]
    result = {"articles": args.articles, "requests_per_page": args.requests, "cpus": os.cpu_count(), "runs": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2))
    print("| switch interval | front p50/p95/p99 ms | story p50/p95/p99 ms | search p50/p95/p99 ms | busy thread loops/s |")
    print("|---|---|---|---|---|")
    for r in rows:
        cells = " | ".join(f"{r[k]['p50_ms']} / {r[k]['p95_ms']} / {r[k]['p99_ms']}" for k in ("front", "story", "search"))
        print(f"| {r['interval_ms']} ms | {cells} | {r['busy_loops_per_s']:,} |")


if __name__ == "__main__":
    main()
