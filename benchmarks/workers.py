"""Scale mode: one `newsloom worker` vs two on PostgreSQL, on the CPU-bound stages (process-page
jobs: extract, clean, language, fingerprints, dedupe against the store, store; stories off, since
one serialised consumer assigns them whatever the number of workers).

    python benchmarks/workers.py [--pages 600] [--rounds 2] [--shared ../shared] [--synthetic]
                                 [--json benchmarks/results/workers.json]

Pages: real news pages (trafilatura-eval and AEB, under --shared/corpora, each page once, so
extraction weighs as on the web) when present, else synthetic English articles (seeded,
distinct). One and two workers alternate in the same run, 1-2-2-1 per round, so a change in the
machine's load hits both alike; each run has a fresh schema. Throughput is taken between the
first and the last finished job, so process start-up (imports, ~2 s) is left out. Each worker's
CPU seconds over that wall time show whether it was CPU-bound (a lone worker waiting on
database round trips is not, and two of those gain more than the cores explain).
Needs the PostgreSQL at $NEWSLOOM_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
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


def real_pages(shared: Path) -> list[str]:
    """Every page of trafilatura-eval and AEB (html/*.html.gz), decoded; [] if absent."""
    files = sorted((shared / "corpora/trafilatura-eval/html").glob("*.html.gz")) + sorted(
        (shared / "corpora/aeb/html").glob("*.html.gz"))
    return [gzip.decompress(f.read_bytes()).decode("utf-8", "replace") for f in files]


def run(workers: int, htmls: list[str]) -> dict[str, float]:
    import psutil

    from newsloom.jobs.queue import PROCESS_PAGE, enqueue
    from newsloom.store import open_store

    pages = len(htmls)

    schema = f"newsloom_bench_{uuid.uuid4().hex[:10]}"
    url = f"{PG}{'&' if '?' in PG else '?'}schema={schema}"
    try:
        with open_store(url) as store:
            for i, html in enumerate(htmls):
                enqueue(store, PROCESS_PAGE, {"url": f"https://example.org/{i}", "html": html})
        # pipeline_nice 0: the workers alone are measured (at the default nice 10, any other work
        # on a shared machine takes their cores)
        env = {**os.environ, "NEWSLOOM_STORIES": "false", "NEWSLOOM_WORKERS": "1", "NEWSLOOM_PIPELINE_NICE": "0"}
        procs = [subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", url, "--no-schedule",
                                   "--exit-when-idle", "--batch", "4"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(workers)]
        load = os.getloadavg()[0]
        first = last = None
        cpu: dict[int, float] = {}
        cpu_first: dict[int, float] = {}
        with open_store(url) as store:
            while True:
                counts = store.job_counts()
                done = sum(v for (kind, state), v in counts.items()
                           if kind == PROCESS_PAGE and state in ("done", "dead"))
                now = time.perf_counter()
                for p in procs:
                    try:
                        t = psutil.Process(p.pid).cpu_times()
                        cpu[p.pid] = t.user + t.system
                    except psutil.Error:
                        pass
                if done and first is None:
                    first, first_done = now, done
                    cpu_first = dict(cpu)
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
        busy = [(cpu.get(p.pid, 0.0) - cpu_first.get(p.pid, 0.0)) / seconds if seconds else 0.0 for p in procs]
        return {"workers": workers, "pages": pages, "seconds": round(seconds, 2),
                "pages_per_s": round((pages - first_done) / seconds, 1) if seconds else 0.0,
                "cpu_per_worker": [round(b, 2) for b in busy], "load_average_before": round(load, 2),
                # load-independent: worker CPU per page (PostgreSQL's own CPU not included)
                "cpu_ms_per_page": round(1000 * sum(busy) * seconds / (pages - first_done), 1)
                if seconds and pages > first_done else None}
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(schema)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pages", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=2, help="1-2-2-1 per round")
    ap.add_argument("--shared", default=os.environ.get("NEWSLOOM_SHARED") or str(REPO.parent / "shared"))
    ap.add_argument("--synthetic", action="store_true", help="synthetic pages even if the corpora exist")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "workers.json"))
    args = ap.parse_args()
    htmls = [] if args.synthetic else real_pages(Path(args.shared))[: args.pages]
    kind = f"real pages (trafilatura-eval + AEB), {len(htmls)}"
    if not htmls:
        htmls, kind = [page(i) for i in range(args.pages)], f"synthetic pages, {args.pages}"
    rows = [run(w, htmls) for _ in range(args.rounds) for w in (1, 2, 2, 1)]
    rate = {w: statistics.median(r["pages_per_s"] for r in rows if r["workers"] == w) for w in (1, 2)}
    speedup = rate[2] / rate[1] if rate[1] else 0.0
    result = {"cores": os.cpu_count(), "pages": kind, "runs": rows,
              "median_pages_per_s": rate, "speedup_two_vs_one": round(speedup, 2)}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{kind}; one and two workers alternating 1-2-2-1, {args.rounds} round(s)")
    print(f"{'workers':>8} {'pages':>6} {'seconds':>8} {'pages/s':>8}  {'CPU/wall per worker':<20} "
          f"{'CPU ms/page':>11} load")
    for r in rows:
        cpu = " ".join(f"{c:.2f}" for c in r["cpu_per_worker"])
        print(f"{r['workers']:>8} {r['pages']:>6} {r['seconds']:>8} {r['pages_per_s']:>8}  {cpu:<20} "
              f"{r['cpu_ms_per_page']:>11} {r['load_average_before']}")
    print(f"two workers vs one (medians {rate[2]:.1f} / {rate[1]:.1f} pages/s): {speedup:.2f}x "
          f"on {os.cpu_count()} cores")


if __name__ == "__main__":
    main()
