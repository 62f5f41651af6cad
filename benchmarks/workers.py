"""Scale mode: one `newsloom worker` vs two on PostgreSQL, on the CPU-bound stages (process-page
jobs: extract, clean, language, fingerprints, dedupe against the store, store; stories off, since
one serialised consumer assigns them whatever the number of workers).

    python benchmarks/workers.py [--pages 300] [--json benchmarks/results/workers.json]

Pages are synthetic English articles (seeded, distinct; no corpus needed). Throughput is taken
between the first and the last finished job, so process start-up (imports, ~2 s) is left out.
Needs the PostgreSQL at $NEWSLOOM_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
PG = os.environ.get("NEWSLOOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
WORDS = ("river council harbour minister railway budget storm village school hospital bridge court farmers "
         "election museum factory police festival airport forest mayor union teachers drought satellite "
         "market energy workers coast library tunnel vaccine parliament strike flood border").split()


def page(i: int) -> str:
    rnd = random.Random(i)
    paras = []
    for _ in range(6):
        w = [rnd.choice(WORDS) for _ in range(36)]
        paras.append(f"The {' '.join(w[:12])} said on Tuesday that the {' '.join(w[12:24])} would meet "
                     f"again, officials in district {i} told reporters about the {' '.join(w[24:])}.")
    return (f"<html><head><title>Report {i}</title></head><body><article><h1>Report {i}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")


def run(workers: int, pages: int) -> dict[str, float]:
    from newsloom.jobs.queue import PROCESS_PAGE, enqueue
    from newsloom.store import open_store

    schema = f"newsloom_bench_{uuid.uuid4().hex[:10]}"
    url = f"{PG}{'&' if '?' in PG else '?'}schema={schema}"
    try:
        with open_store(url) as store:
            for i in range(pages):
                enqueue(store, PROCESS_PAGE, {"url": f"https://example.org/{i}", "html": page(i)})
        env = {**os.environ, "NEWSLOOM_STORIES": "false", "NEWSLOOM_WORKERS": "1"}
        procs = [subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", url, "--no-schedule",
                                   "--exit-when-idle", "--batch", "4"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(workers)]
        first = last = None
        with open_store(url) as store:
            while True:
                done = store.job_counts().get((PROCESS_PAGE, "done"), 0)
                now = time.perf_counter()
                if done and first is None:
                    first, first_done = now, done
                if done >= pages:
                    last = now
                    break
                if all(p.poll() is not None for p in procs):
                    raise SystemExit(f"workers exited with {done}/{pages} done: "
                                     + procs[0].stderr.read().decode()[-500:])  # type: ignore[union-attr]
                time.sleep(0.2)  # the poll is a GROUP BY over the table: not too often
        for p in procs:
            p.wait(60)
        seconds = (last or 0) - (first or 0)
        return {"workers": workers, "pages": pages, "seconds": round(seconds, 2),
                "pages_per_s": round((pages - first_done) / seconds, 1) if seconds else 0.0}
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(schema)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=300)
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "workers.json"))
    args = ap.parse_args()
    rows = [run(1, args.pages), run(2, args.pages)]
    speedup = rows[1]["pages_per_s"] / rows[0]["pages_per_s"] if rows[0]["pages_per_s"] else 0.0
    result = {"cores": os.cpu_count(), "runs": rows, "speedup_two_vs_one": round(speedup, 2)}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'workers':>8} {'pages':>6} {'seconds':>8} {'pages/s':>8}")
    for r in rows:
        print(f"{r['workers']:>8} {r['pages']:>6} {r['seconds']:>8} {r['pages_per_s']:>8}")
    print(f"two workers vs one: {speedup:.2f}x on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
