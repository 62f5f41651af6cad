"""Worker processes against the real PostgreSQL: two workers share the pages, one is killed (-9)
mid-batch, every page is stored exactly once and every article gets a story; a job that always
fails ends dead after N tries; a worker older than the database's schema refuses to start."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time

import psycopg
from store_backends import PG_URL

from newsloom.jobs.queue import PROCESS_PAGE, enqueue
from newsloom.store import open_store

WORDS = ("river council harbour minister railway budget storm village school hospital bridge court "
         "farmers election museum factory police festival airport forest mayor union teachers drought "
         "satellite market energy workers coast museum library tunnel vaccine").split()


def _page(i: int) -> str:
    rnd = random.Random(i)
    paras = []
    for _ in range(4):
        words = [rnd.choice(WORDS) for _ in range(30)]
        paras.append(f"The {' '.join(words[:10])} said on Tuesday that the {' '.join(words[10:20])} "
                     f"would meet again, officials in district {i} told reporters about the {' '.join(words[20:])}.")
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f"<html><head><title>Report {i}: {WORDS[i % len(WORDS)]}</title></head>"
            f"<body><article><h1>Report {i}: {WORDS[i % len(WORDS)]}</h1>{body}</article></body></html>")


def _worker(db: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", db, "--no-schedule", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait(cond, timeout: float = 120.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.2)
    return False


def test_two_workers_one_killed_every_page_once_and_one_story_each(pg: str) -> None:
    n = 30
    with open_store(pg) as store:
        for i in range(n):
            enqueue(store, PROCESS_PAGE, {"url": f"https://example.org/news/{i}", "html": _page(i)})
    a = _worker(pg, "--batch", "3", "--lease", "4")
    b = _worker(pg, "--batch", "3", "--lease", "4")
    try:
        with open_store(pg) as store:
            # kill -9 worker a while it holds claimed jobs
            assert _wait(lambda: any(j.worker and j.worker.endswith(f":{a.pid}") for j in store.list_jobs("running"))), \
                a.stderr.read() if a.poll() is not None else "worker a never claimed"
            a.send_signal(signal.SIGKILL)
            a.wait(10)
            assert _wait(lambda: store.job_counts().get((PROCESS_PAGE, "done"), 0) == n), store.job_counts()
            time.sleep(1.5)  # b's step after its last job: stories
        b.send_signal(signal.SIGTERM)
        out, err = b.communicate(timeout=60)
        assert b.returncode == 0, err
        assert "stopped on SIGTERM" in out
    finally:
        for p in (a, b):
            if p.poll() is None:
                p.kill()
    # whoever held the stories lock (a, killed; then b) has caught up; one more worker settles
    # the case where b only took the lock on its last step
    subprocess.run([sys.executable, "-m", "newsloom", "worker", "--db", pg, "--no-schedule", "--exit-when-idle"],
                   check=True, capture_output=True, timeout=120)
    arts = json.loads(subprocess.run([sys.executable, "-m", "newsloom", "articles", "list", "--json", "--limit",
                                      "1000", "--db", pg], check=True, capture_output=True, text=True).stdout)
    urls = [x["url"] for x in arts]
    assert len(urls) == n and len(set(urls)) == n  # every page stored exactly once
    assert all(x["story_id"] for x in arts)  # and given a story (story_id: exactly one)
    with open_store(pg) as store:
        assert store.job_counts() == {(PROCESS_PAGE, "done"): n}


def test_an_always_failing_job_is_dead_after_n_tries(pg: str) -> None:
    with open_store(pg) as store:
        enqueue(store, PROCESS_PAGE, {"url": 5}, max_tries=3)  # not a string: fails every time
    from newsloom.config import Settings
    from newsloom.jobs.worker import Worker

    with open_store(pg) as store:
        w = Worker(store, Settings(db=pg, stories=False), backoff_base_s=0.0, schedule=False)
        w.run(exit_when_idle=True)
        assert w.totals.failed == 3 and w.totals.dead == 1
        [dead] = store.list_jobs("dead")
        assert dead.tries == 3 and "url" in (dead.last_error or "")
    out = subprocess.run([sys.executable, "-m", "newsloom", "jobs", "--db", pg], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert "process-page: 0 queued, 0 running, 0 done, 1 dead" in out.stdout
    assert "dead letters:" in out.stdout and "after 3 tries" in out.stdout


def test_a_worker_older_than_the_schema_refuses_to_start(pg: str) -> None:
    with open_store(pg) as store:
        schema = store.schema
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("INSERT INTO {}.schema_migrations (version, name) VALUES (9999, 'future')")
                     .format(psycopg.sql.Identifier(schema)))
    out = subprocess.run([sys.executable, "-m", "newsloom", "worker", "--db", pg, "--exit-when-idle"],
                         capture_output=True, text=True, timeout=60, env={**os.environ})
    assert out.returncode != 0
    assert "newer than this newsloom knows" in out.stderr and "upgrade newsloom" in out.stderr
    assert "Traceback" not in out.stderr
