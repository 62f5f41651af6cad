"""Scale mode recrawl: one `newsloom worker` vs two on PostgreSQL, recrawling every stored article
once (its first recrawl step), the serial lock's holder queuing the ``recrawl`` jobs.

    python benchmarks/recrawl_workers.py [--articles 600] [--rounds 2] [--mode stamped]
                                         [--json benchmarks/results/recrawl_workers.json]

Each run has a fresh schema. The loopback site of benchmarks/recrawl.py (its own process)
serves ``--articles`` pages (the soak's generator) and one feed; one worker with recrawling off
crawls them into the store (not timed). Then N workers (1 or 2, alternating 1-2-2-1 per round
so a change in the machine's load hits both alike) start with ``recrawl_steps`` 1s,1h,24h: every
article is due for its first step. The worker holding the serial lock queues them as jobs of 50
(at most 20 open; at its first step, then every 10 s, or every second while jobs are backed
up: ``Worker.recrawl_busy_s``) and every worker claims and runs them; the run ends when
every article has ``recrawl_count >= 1`` (polled), then the workers get SIGTERM.

``--mode``: ``stamped`` (default; every page's bytes differ, so each is extracted and analysed
again: the CPU-heavy case), ``validators`` (a 304 each: the cheap case), ``static``, ``revised``.

Measured: "start-up", from starting the workers until every one has finished its first recrawl
job (imports, the lock, the first scheduling, that job's 50 fetches, the models its first page
loads: one-time costs that would charge a second worker's start-up to the two-worker runs' CPU
per page); then throughput from that moment to the last recrawled article. Articles, not jobs:
each article's step is committed as it is done, so the window is not rounded to 50-page jobs.
Each worker's CPU seconds in the window (/proc, through psutil; PostgreSQL's not included), CPU
ms per page, the site's CPU (it shares the cores), recrawl jobs per worker (a tail where one
worker is idle shows here), and "queue empty": time in the window with articles left but no
recrawl job open, lost to the scheduling cadence (20 jobs x 50 pages a second while backed up:
at most 1,000 pages/s). Speed-up: two workers over one in the same
round. No timing is asserted.
Needs the PostgreSQL at $NEWSLOOM_TEST_PG (default postgresql://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psutil
import psycopg
from psycopg import sql

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from recrawl import MODES, _serve  # noqa: E402 - the loopback site of the one-process recrawl benchmark

PG = os.environ.get("NEWSLOOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
BUSY_S = 1.0  # Worker.recrawl_busy_s: an instance attribute set in __init__, so not importable
# settings through the environment (config.py: NEWSLOOM_<FIELD>); pipeline_nice 0 so that the workers
# alone are measured (a nice run of this script still lowers them: the product never raises a nice value)
ENV = {"NEWSLOOM_STORIES": "false", "NEWSLOOM_WORKERS": "1", "NEWSLOOM_PIPELINE_NICE": "0",
       "NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "true", "NEWSLOOM_REQUESTS_PER_SECOND_PER_HOST": "1000"}


def _start(n: int, url: str, env: dict[str, str], log: Any, *flags: str) -> list[subprocess.Popen[bytes]]:
    # stderr to a file, not a pipe: nobody reads a pipe during the run and a full one blocks the worker
    return [subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", url, "--log-level", "warning",
                              *flags], env={**os.environ, **ENV, **env}, stdout=subprocess.DEVNULL, stderr=log)
            for _ in range(n)]


def _site(port: Any, mode: Any, n: int) -> None:
    import http.server

    # A listen backlog as a real server's (socketserver's default is 5): each job's fetcher opens
    # 8 connections at once; past 5 the SYNs are dropped and retried after 1 s (when every 304 cost
    # a new connection, before fetch/http.py read its empty body, a validators job took ~1.1 s)
    http.server.ThreadingHTTPServer.request_queue_size = 128
    # http.server prints a traceback for each keep-alive connection a worker's fetcher resets
    sys.stderr = open(os.devnull, "w")  # noqa: SIM115 - for the life of the site's process
    _serve(port, mode, n)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.terminate()  # SIGTERM: the job in hand is finished, then the worker exits
    for p in procs:
        try:
            p.wait(60)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def _cpu(pid: int) -> float | None:
    try:  # psutil reads /proc/<pid>/stat (as workers.py does) rather than parsing it here
        t = psutil.Process(pid).cpu_times()
        return t.user + t.system
    except psutil.Error:
        return None  # exited: its last reading stands


def run(workers: int, base: str, articles: int, site_pid: int, timeout_s: float) -> dict[str, Any]:
    from newsloom.models import Feed, Source
    from newsloom.store import open_store

    schema = f"newsloom_bench_{uuid.uuid4().hex[:10]}"
    url = f"{PG}{'&' if '?' in PG else '?'}schema={schema}"
    procs: list[subprocess.Popen[bytes]] = []
    log = tempfile.TemporaryFile()
    try:
        with open_store(url) as store:
            src = store.add_source(Source(name="Recrawl site", url=base + "/"))
            store.add_feed(Feed(url=base + "/feed.xml", source_id=src.id))
        # the first crawl, not timed: one worker fetches the feed, recrawling off
        w0 = time.perf_counter()
        procs = _start(1, url, {"NEWSLOOM_RECRAWL_STEPS": "", "NEWSLOOM_MAX_ARTICLES_PER_FEED": str(articles)},
                       log, "--exit-when-idle")
        try:
            procs[0].wait(timeout_s)
        except subprocess.TimeoutExpired:
            raise SystemExit(f"the first crawl took over {timeout_s:.0f} s") from None
        crawl_s = time.perf_counter() - w0
        db = psycopg.connect(PG, autocommit=True, options=f"-c search_path={schema}")
        with db:
            stored = db.execute("SELECT count(*) FROM articles WHERE feed_id IS NOT NULL").fetchone()[0]
            if not stored:
                log.seek(0)
                raise SystemExit("the first crawl stored nothing: " + log.read().decode()[-800:])
            # every article due for its first step (a no-op after a crawl with recrawling off: a safeguard)
            db.execute("UPDATE articles SET recrawl_count = 0, recrawl_at = NULL")
            time.sleep(1.1)  # the first step, 1 s after the fetch, has passed for every article
            poll = ("SELECT (SELECT count(*) FROM articles WHERE recrawl_count >= 1), "
                    "(SELECT count(*) FROM jobs WHERE kind = 'recrawl' AND state IN ('queued', 'running')), "
                    "(SELECT count(DISTINCT worker) FROM jobs WHERE kind = 'recrawl' AND state = 'done')")
            load = os.getloadavg()[0]
            t0 = time.perf_counter()
            procs = _start(workers, url, {"NEWSLOOM_RECRAWL_STEPS": "1s,1h,24h"}, log, "--no-schedule")
            cpu: dict[int, float] = {}
            first = start = None
            empty, prev = 0.0, t0
            while True:
                done, open_jobs, warm = db.execute(poll).fetchone()
                now = time.perf_counter()
                for pid in [p.pid for p in procs] + [site_pid]:
                    c = _cpu(pid)
                    cpu[pid] = cpu.get(pid, 0.0) if c is None else c
                first = first or ((now, done, dict(cpu)) if done else None)
                if start is None and warm >= workers and done < stored:
                    start = (now, done, dict(cpu))  # every worker past its first job: the window opens
                elif start is not None and not open_jobs and done < stored:
                    empty += now - prev  # waiting for the next scheduling
                if done >= stored:
                    break
                if all(p.poll() is not None for p in procs) or now - t0 > timeout_s:
                    log.seek(0)
                    raise SystemExit(f"{done}/{stored} recrawled after {now - t0:.0f} s; "
                                     f"workers' log: {log.read().decode()[-800:]}")
                prev = now
                time.sleep(0.2)  # three counts, cheap; the 0.2 s is the resolution of the window
            _stop(procs)
            jobs = {w.rsplit(":", 1)[-1]: n for w, n in db.execute(  # a worker's name: host:pid
                "SELECT worker, count(*) FROM jobs WHERE kind = 'recrawl' AND state = 'done' GROUP BY worker")}
            total_jobs, first_sched, failed = db.execute(
                "SELECT count(*), count(*) FILTER (WHERE created_at < (SELECT min(created_at) FROM jobs "
                "WHERE kind = 'recrawl') + interval '2 seconds'), count(*) FILTER (WHERE last_error IS NOT NULL) "
                "FROM jobs WHERE kind = 'recrawl'").fetchone()
        # some worker finished no job before the end (fewer jobs than workers): from the first article
        opened, first_done, cpu_first = start or first  # type: ignore[misc]
        seconds, pages = now - opened, stored - first_done
        busy = [cpu[p.pid] - cpu_first[p.pid] for p in procs]
        return {"workers": workers, "articles": stored, "first_crawl_s": round(crawl_s, 1),
                "first_recrawled_s": round(first[0] - t0, 2), "startup_s": round(opened - t0, 2),  # type: ignore[index]
                "window_from": "every worker's first job done" if start else "the first article recrawled",
                "seconds": round(seconds, 2), "pages": pages,
                "pages_per_s": round(pages / seconds, 1) if seconds else None,
                "cpu_s_per_worker": [round(b, 2) for b in busy],
                "cpu_s_per_worker_since_start": [round(cpu[p.pid], 2) for p in procs],
                "cpu_ms_per_page": round(1000 * sum(busy) / pages, 1) if pages else None,
                "site_cpu_s": round(cpu[site_pid] - cpu_first[site_pid], 2),
                "jobs_per_worker": [jobs.get(str(p.pid), 0) for p in procs],
                "jobs": total_jobs, "jobs_first_scheduling": first_sched, "jobs_failed": failed,
                "queue_empty_s": round(empty, 2), "load_average_before": round(load, 2)}
    finally:  # also on failure and Ctrl-C: no worker left running, no schema left behind
        _stop(procs)
        log.close()
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def main() -> None:
    from newsloom.jobs.recrawl import BATCH, OPEN_CAP

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--rounds", type=int, default=2, help="1-2-2-1 per round")
    ap.add_argument("--mode", choices=MODES, default="stamped", help="what a recrawled page looks like")
    ap.add_argument("--timeout", type=float, default=1800.0, help="seconds a crawl or a recrawl may take")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "recrawl_workers.json"))
    args = ap.parse_args()
    # SIGTERM as Ctrl-C: the finally blocks stop the workers and the site and drop the schema
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    ctx = multiprocessing.get_context("spawn")  # as recrawl.py: a clean process for the site
    port, mode = ctx.Value("i", 0), ctx.Value("i", MODES.index(args.mode))
    site = ctx.Process(target=_site, args=(port, mode, args.articles), daemon=True)
    site.start()
    try:
        while not port.value:
            time.sleep(0.05)
        base = f"http://127.0.0.1:{port.value}"
        rows = [run(w, base, args.articles, site.pid, args.timeout)  # type: ignore[arg-type]
                for _ in range(args.rounds) for w in (1, 2, 2, 1)]
    finally:
        site.terminate()
        site.join(10)
    rate = {w: statistics.median(r["pages_per_s"] for r in rows if r["workers"] == w) for w in (1, 2)}
    # the speed-up within each round (its two 1s and two 2s ran back to back), then their median
    rounds = [statistics.mean(r["pages_per_s"] for r in rows[i:i + 4] if r["workers"] == 2)
              / statistics.mean(r["pages_per_s"] for r in rows[i:i + 4] if r["workers"] == 1)
              for i in range(0, len(rows), 4)]
    bound = OPEN_CAP * BATCH / BUSY_S
    result = {"cores": os.cpu_count(), "mode": args.mode, "articles": args.articles, "runs": rows,
              "median_pages_per_s": rate, "speedup_per_round": [round(s, 2) for s in rounds],
              "speedup_two_vs_one": round(statistics.median(rounds), 2),
              "scheduling": {"batch": BATCH, "open_cap": OPEN_CAP, "busy_every_s": BUSY_S, "bound_pages_per_s": bound}}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"recrawl ({args.mode}) of {args.articles} articles in scale mode, PostgreSQL; one and two workers "
          f"alternating 1-2-2-1, {args.rounds} round(s), {os.cpu_count()} cores")
    print("| workers | pages | start-up s | recrawl s | pages/s | CPU s per worker | CPU ms/page | site CPU s "
          "| jobs per worker | queue empty s | load |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['workers']} | {r['pages']} | {r['startup_s']} | {r['seconds']} | {r['pages_per_s']} | "
              f"{' '.join(str(c) for c in r['cpu_s_per_worker'])} | {r['cpu_ms_per_page']} | {r['site_cpu_s']} | "
              f"{' '.join(str(j) for j in r['jobs_per_worker'])} | {r['queue_empty_s']} | {r['load_average_before']} |")
    print(f"two workers vs one: {result['speedup_two_vs_one']:.2f}x (per round: "
          f"{', '.join(f'{s:.2f}' for s in rounds)}; medians {rate[2]:.1f} / {rate[1]:.1f} pages/s)")
    capped = [r for r in rows if r["jobs_first_scheduling"] < r["jobs"] or r["queue_empty_s"] > 0]
    print(f"scheduling: {BATCH} articles a job, at most {OPEN_CAP} open, topped up every {BUSY_S:g} s while backed "
          f"up (at most {bound:.0f} pages/s); "
          + (f"{len(capped)} run(s) here waited for a later scheduling (queue empty up to "
             f"{max(r['queue_empty_s'] for r in capped)} s)" if capped else
             "here the first scheduling queued every article, so the cadence did not bound these runs"))
    failed = sum(r["jobs_failed"] for r in rows)
    if failed:
        print(f"{failed} recrawl job tries failed (see the jobs' last_error)")


if __name__ == "__main__":
    main()
