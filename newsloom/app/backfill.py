"""Use case: back-fill an archive through the job queue (``newsloom ingest --queue``).

Queue every record (``jobs/backfill.py``: one job per record, keys no re-run queues again; at
most ``ingest_queue_ahead`` open at a time, queuing waits for the workers past it), optionally
with ``workers`` local ``newsloom worker`` processes, and wait until the archive's jobs are done,
reporting progress; finally give stories to what is owed, if no worker holds the
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


class _LocalWorkers:
    """The ``--workers N`` processes of this command: started when first needed (the first wait
    for room, or once everything is queued), restarted when they crash or run out of claimable
    jobs, stopped at the end."""

    def __init__(self, settings: Settings, n: int) -> None:
        self.settings, self.n = settings, n
        self.procs: list[subprocess.Popen[bytes]] = []
        self.started: list[float] = []
        self.crashes = 0

    def tend(self) -> None:
        if len(self.procs) < self.n:
            self.procs = [_start_worker(self.settings) for _ in range(self.n)]
            self.started = [time.monotonic()] * self.n
            return
        for i, p in enumerate(self.procs):
            code = p.poll()
            if code is None:
                continue
            if code != 0:  # killed or crashed: another takes its place
                self.crashes += 1
                if self.crashes > _RESTARTS * self.n:
                    raise NewsloomError(f"ingest --queue: local workers keep failing (last exit code "
                                        f"{code}); see `newsloom jobs`")
            elif time.monotonic() - self.started[i] < _IDLE_RESTART_S:
                continue  # idle: what is left is not claimable yet
            self.procs[i], self.started[i] = _start_worker(self.settings), time.monotonic()

    def stop(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)  # the job in hand is finished first
        for p in self.procs:
            try:
                p.wait(120)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait(10)


#: while queuing waits for room, done jobs' records are dropped at most this often
_COMPACT_EVERY_S = 30.0


def queue_archive(store: Store, settings: Settings, paths: Iterable[Path], workers: int = 0,
                  wait: bool = True, on_queued: Callable[[Queued], None] | None = None,
                  on_counts: Callable[[dict[str, int]], None] | None = None,
                  poll_s: float = 0.5, on_waiting: Callable[[int], None] | None = None) -> BackfillReport:
    """Queue ``paths``' records, at most ``settings.ingest_queue_ahead`` open at a time (past
    it, queuing waits for the workers: ``on_waiting`` hears the open count); with ``wait``,
    watch the archive's jobs until none is open (with ``workers`` local worker processes,
    started at the first wait for room or once all is queued, stopped at the end). Without
    ``wait`` it returns once the last record is queued (so with more records than the bound
    it still needs workers running somewhere). Ctrl-C stops the local workers (each finishes
    its job in hand) and leaves the rest queued; the same command again queues what is missing."""
    needs_queue_store(str(getattr(store, "url", "")))
    local = _LocalWorkers(settings, workers if wait else 0)
    batches: list[str] = []
    compacted_at = [time.monotonic()]

    def on_wait(open_jobs: int) -> None:
        local.tend()
        if time.monotonic() - compacted_at[0] >= _COMPACT_EVERY_S:  # the table holds no archive copy
            store.compact_batches(batches)  # type: ignore[attr-defined]
            compacted_at[0] = time.monotonic()
        if on_waiting:
            on_waiting(open_jobs)

    def on_chunk(q: Queued) -> None:
        batches[:] = q.batches
        if on_queued:
            on_queued(q)

    try:
        queued = enqueue_paths(store, paths, on_chunk=on_chunk, ahead=settings.ingest_queue_ahead,
                               on_wait=on_wait, poll_s=poll_s)
        report = BackfillReport(queued, store.batch_counts(queued.batches))  # type: ignore[attr-defined]
        if not wait or not queued.batches:
            return report
        store.compact_batches(queued.batches)  # type: ignore[attr-defined]  # done by earlier runs
        while True:
            report.counts = store.batch_counts(queued.batches)  # type: ignore[attr-defined]
            if on_counts:
                on_counts(report.counts)
            if report.open == 0:
                break
            local.tend()
            time.sleep(poll_s)
    finally:
        local.stop()
        if batches and wait:
            store.compact_batches(batches)  # type: ignore[attr-defined]
    report.waited = True
    if settings.stories and store.try_singleton_lock("serial"):  # type: ignore[attr-defined]
        from newsloom.pipeline import Pipeline

        report.stories = Pipeline(store, settings).catch_up_stories()
    return report
