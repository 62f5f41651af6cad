"""Back-pressure in `newsloom ingest --queue`: at most ``ingest_queue_ahead`` jobs of the back-fill
are open (queued or running) at a time; past it queuing waits for the workers and then goes on.
A re-run queues nothing twice and does not wait for records queued before; ``--no-wait`` returns
once the last record is queued."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from test_backfill import _archive  # type: ignore[import-not-found]

from newsloom.config import Settings
from newsloom.errors import ConfigError
from newsloom.jobs import backfill
from newsloom.jobs.queue import PROCESS_PAGE
from newsloom.store import open_store

ENV = {**os.environ, "NEWSLOOM_STORIES": "false"}


def _open(store, batches: list[str]) -> int:  # type: ignore[no-untyped-def]
    return store.open_batch_jobs(batches)


def test_queuing_waits_at_the_bound_and_resumes(db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """20 records, at most 6 open: each wait sees the bound reached; a stand-in worker finishes
    3 jobs per wait; every record is queued once, never more than 6 open."""
    paths = _archive(tmp_path, pages=10, docs=10)
    monkeypatch.setattr(backfill, "CHUNK", 4)
    with open_store(db) as store:
        seen: list[int] = []
        waits: list[int] = []

        def on_chunk(q: backfill.Queued) -> None:
            seen.append(_open(store, q.batches))

        def on_wait(open_jobs: int) -> None:
            waits.append(open_jobs)
            assert open_jobs > 6 - 4  # room for a chunk of 4 is missing
            for job in store.claim_jobs("stand-in", 3, 60.0):
                store.finish_job(job.id, "stand-in")

        q = backfill.enqueue_paths(store, paths, on_chunk=on_chunk, ahead=6, on_wait=on_wait, poll_s=0.01)
        assert (q.records, q.added, q.before) == (20, 20, 0)
        assert waits and max(seen) <= 6 and q.waited_s > 0
        counts = store.job_counts()
        assert sum(counts.values()) == 20 and counts[(PROCESS_PAGE, "queued")] <= 6
        # the same archive again: every key known, nothing queued twice, no wait although the
        # open jobs are still at the bound
        waits.clear()
        again = backfill.enqueue_paths(store, paths, ahead=1, on_wait=on_wait, poll_s=0.01)
        assert (again.added, again.before, waits) == (0, 20, [])
        # no bound (0): everything at once
        (tmp_path / "more").mkdir()
        more = _archive(tmp_path / "more", pages=30, docs=0)
        assert backfill.enqueue_paths(store, [more[0]], ahead=0, on_wait=on_wait).added == 30 and waits == []


def test_the_bound_is_a_setting() -> None:
    assert Settings().ingest_queue_ahead == 5000
    os.environ["NEWSLOOM_INGEST_QUEUE_AHEAD"] = "40"
    try:
        assert Settings.load(db="sqlite:///x.db").ingest_queue_ahead == 40
        os.environ["NEWSLOOM_INGEST_QUEUE_AHEAD"] = "-1"
        with pytest.raises(ConfigError, match="ingest_queue_ahead"):
            Settings.load(db="sqlite:///x.db")
    finally:
        del os.environ["NEWSLOOM_INGEST_QUEUE_AHEAD"]


def _watch(pg: str, stop: threading.Event, peak: list[int]) -> None:
    with open_store(pg) as store:
        while not stop.is_set():
            rows = store._rows("SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running')")
            peak[0] = max(peak[0], int(rows[0]["n"]))
            time.sleep(0.02)


def test_cli_with_local_workers_never_more_than_the_bound_open(pg: str, tmp_path: Path) -> None:
    paths = _archive(tmp_path, pages=12, docs=12)
    stop, peak = threading.Event(), [0]
    watcher = threading.Thread(target=_watch, args=(pg, stop, peak))
    watcher.start()
    try:
        r = subprocess.run([sys.executable, "-m", "newsloom", "ingest", "--queue", "--workers", "1",
                            *map(str, paths), "--db", pg], capture_output=True, text=True, timeout=300,
                           env={**ENV, "NEWSLOOM_INGEST_QUEUE_AHEAD": "8"})
    finally:
        stop.set()
        watcher.join()
    assert r.returncode == 0, r.stderr
    assert "24 records read, 24 queued now, 0 queued before; jobs 24 done, 0 open, 0 dead" in r.stdout, r.stdout
    assert "queuing waited" in r.stdout and "ingest_queue_ahead" in r.stdout
    assert 0 < peak[0] <= 8
    with open_store(pg) as store:
        assert store.count_articles() == 24
        # the records carried by done jobs were dropped (the table holds no copy of the archive)
        assert all(j.payload == '{"compacted": true}' for j in store.list_jobs("done", limit=100))


def test_cli_no_wait_waits_for_room_then_returns(pg: str, tmp_path: Path) -> None:
    paths = _archive(tmp_path, pages=10, docs=0)
    proc = subprocess.Popen([sys.executable, "-m", "newsloom", "ingest", "--queue", "--no-wait", str(paths[0]),
                             "--db", pg], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**ENV, "NEWSLOOM_INGEST_QUEUE_AHEAD": "4"})
    try:
        with open_store(pg) as store:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and sum(store.job_counts().values()) < 4:
                time.sleep(0.1)
            time.sleep(1.5)
            assert proc.poll() is None  # at the bound, waiting for a worker
            assert store.job_counts() == {(PROCESS_PAGE, "queued"): 4}
            while proc.poll() is None and time.monotonic() < deadline + 60:  # a stand-in worker
                for job in store.claim_jobs("stand-in", 2, 60.0):
                    store.finish_job(job.id, "stand-in")
                time.sleep(0.2)
            out, err = proc.communicate(timeout=30)
            assert proc.returncode == 0, err
            assert "10 records read, 10 queued now" in out and "queuing waited" in out, out
            counts = store.job_counts()
            assert sum(counts.values()) == 10 and counts.get((PROCESS_PAGE, "queued"), 0) <= 4
    finally:
        if proc.poll() is None:
            proc.kill()
