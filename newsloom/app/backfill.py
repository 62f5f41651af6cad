"""Use case: back-fill an archive through the job queue (``newsloom ingest --queue``).

Queue every record (``jobs/backfill.py``: one job per record, keys no re-run queues again), then
optionally start ``workers`` local ``newsloom worker`` processes and wait until the archive's
jobs are done, reporting progress; finally give stories to what is owed, if no worker holds the
serialised consumer's lock. Workers on other machines may share the work: waiting only watches
the archive's jobs in the store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from newsloom.config import Settings
from newsloom.errors import NewsloomError
from newsloom.jobs.backfill import Queued, enqueue_paths
from newsloom.store import Store

__all__ = ["BackfillReport", "needs_queue_store", "queue_archive"]

#: a local worker that crashes is started again at most this many times (per worker asked for)
_RESTARTS = 3
#: a local worker that ran out of claimable jobs (the rest wait for a dead worker's lease or a
#: retry's back-off) is started again after this many seconds
_IDLE_RESTART_S = 5.0


@dataclass
class BackfillReport:
    queued: Queued
    counts: dict[str, int] = field(default_factory=dict)  # the archive's jobs by state
    waited: bool = False
    stories: int | None = None  # articles given stories here (None: left to the workers)

    @property
    def open(self) -> int:
        return self.counts.get("queued", 0) + self.counts.get("running", 0)


def needs_queue_store(url: str) -> None:
    """The queue shared by workers lives in PostgreSQL; refuse SQLite with what to do instead."""
    if not url.startswith(("postgresql:", "postgres:")):
        raise NewsloomError(
            f"ingest --queue: the job queue needs PostgreSQL (--db postgresql://...), not {url}; "
            "without --queue, `newsloom ingest` runs the same stages here, with extraction worker "
            "processes, and a re-run skips what is stored")


def _start_worker(settings: Settings) -> subprocess.Popen[bytes]:
    # the URL goes in the environment, not the command line (ps shows a password); a worker
    # exits when nothing is left to claim, so one whose command was killed (-9) finishes the
    # archive and ends instead of idling forever
    env = {**os.environ, "NEWSLOOM_DB": settings.db}
    return subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--no-schedule", "--batch", "4",
                             "--exit-when-idle", "--log-level", "error"], env=env, stdout=subprocess.DEVNULL)


def _stop_workers(procs: list[subprocess.Popen[bytes]]) -> None:
    for p in procs:
        if p.poll() is None:
            p.send_signal(signal.SIGTERM)  # the job in hand is finished first
    for p in procs:
        try:
            p.wait(120)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(10)


def queue_archive(store: Store, settings: Settings, paths: Iterable[Path], workers: int = 0,
                  wait: bool = True, on_queued: Callable[[Queued], None] | None = None,
                  on_counts: Callable[[dict[str, int]], None] | None = None,
                  poll_s: float = 0.5) -> BackfillReport:
    """Queue ``paths``' records; with ``wait``, watch the archive's jobs until none is open
    (with ``workers`` local worker processes, stopped at the end). Ctrl-C while waiting stops
    the local workers (each finishes its job in hand) and leaves the rest queued."""
    needs_queue_store(str(getattr(store, "url", "")))
    queued = enqueue_paths(store, paths, on_chunk=on_queued)
    report = BackfillReport(queued, store.batch_counts(queued.batches))  # type: ignore[attr-defined]
    if not wait or not queued.batches:
        return report
    store.compact_batches(queued.batches)  # type: ignore[attr-defined]  # done by earlier runs
    procs = [_start_worker(settings) for _ in range(workers)]
    started = [time.monotonic()] * workers
    crashes = 0
    try:
        while True:
            report.counts = store.batch_counts(queued.batches)  # type: ignore[attr-defined]
            if on_counts:
                on_counts(report.counts)
            if report.open == 0:
                break
            for i, p in enumerate(procs):
                code = p.poll()
                if code is None:
                    continue
                if code != 0:  # killed or crashed: another takes its place
                    crashes += 1
                    if crashes > _RESTARTS * workers:
                        raise NewsloomError(f"ingest --queue: local workers keep failing (last exit code "
                                            f"{code}); see `newsloom jobs`")
                elif time.monotonic() - started[i] < _IDLE_RESTART_S:
                    continue  # idle: what is left is not claimable yet
                procs[i], started[i] = _start_worker(settings), time.monotonic()
            time.sleep(poll_s)
    finally:
        _stop_workers(procs)
        store.compact_batches(queued.batches)  # type: ignore[attr-defined]
    report.waited = True
    if settings.stories and store.try_singleton_lock("serial"):  # type: ignore[attr-defined]
        from newsloom.pipeline import Pipeline

        report.stories = Pipeline(store, settings).catch_up_stories()
    return report
