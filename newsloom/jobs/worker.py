"""``newsloom worker``: claim jobs, run them, mark them done; failures go back to the queue with
back-off and end in the dead-letter state after ``max_tries``.

Exactly once: a job is finished only after its work is committed; a worker killed (-9) mid-job
leaves it ``running`` with a lease that expires, and another worker takes it again. The work is
idempotent (a page already stored is recognised by URL and content hash), so the retry stores
nothing twice.

Stories and removals: one serialised consumer. Assignment needs the whole clusterer state in one
process, so workers store articles without stories, and whichever worker holds the PostgreSQL
advisory lock ``serial`` (taken once, held for the life of its connection; a killed holder's lock is
freed with its connection and another worker takes over) runs ``StoryService.catch_up()`` after
its jobs: every stored article without a story gets one, in id order. It also executes due
publisher removal requests, so they are carried out once, by one process, and keeps the shared
near-duplicate keys to the window (``Deduper.prune``). And it queues the recrawl: articles due
again become ``recrawl`` jobs any worker runs; an article one of them finds gone comes back to it
as a ``retract`` job (taking it out of its story needs the clusterer), see recrawl.py."""

from __future__ import annotations

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from newsloom.app.housekeeping import Housekeeper
from newsloom.codeversion import CodeChanged
from newsloom.config import Settings
from newsloom.errors import NewsloomError, StoreError, StoreFull, StoreUnavailable
from newsloom.jobs.queue import ANY_WORKER, FETCH_FEED, PROCESS_PAGE, RECRAWL, RETRACT, Job, backoff_s, payload
from newsloom.jobs.scheduler import schedule_due_feeds
from newsloom.memtrim import release_free_heap
from newsloom.models import RawDocument, clock_offset, set_clock_offset
from newsloom.pipeline import Pipeline
from newsloom.store import Store

log = logging.getLogger("newsloom.worker")


@dataclass
class WorkerTotals:
    done: int = 0
    failed: int = 0
    dead: int = 0
    stories: int = 0
    removals: int = 0
    recrawled: int = 0
    retracted: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)


class Worker:
    def __init__(self, store: Store, settings: Settings, name: str | None = None, batch: int = 1,
                 lease_s: float = 120.0, backoff_base_s: float = 5.0, schedule: bool = True) -> None:
        self.store = store
        self.settings = settings
        self.name = name or f"{socket.gethostname()}:{os.getpid()}"
        self.batch = batch
        self.lease_s = lease_s
        self.backoff_base_s = backoff_base_s
        self.schedule = schedule
        self.totals = WorkerTotals()
        self.pipeline = Pipeline(store, settings, with_stories=False)  # stories: see _stories()
        self._story_pipeline: Pipeline | None = None
        self.removals_every_s = 30.0
        self._removals_at = 0.0
        self._serial_connection = 0  # store.connects when the serial lock was taken
        self.outage_backoff_s = (1.0, 60.0)  # first and longest pause while the database is away
        self.clock_every_s, self.clock_tolerance_s = 30.0, 2.0  # see _align_clock
        self._clock_at = 0.0
        self.recrawl_every_s = 10.0  # the serial holder looks for due recrawls this often...
        self.recrawl_busy_s = 1.0  # ...or this often while they are backed up
        self._recrawl_at = 0.0
        self._keeper = Housekeeper(store, settings)  # run by the serial holder with the removals

    # --- one job ---------------------------------------------------------------------------------
    def _run(self, job: Job) -> str:
        data = payload(job)
        if job.kind == PROCESS_PAGE:
            if "doc" in data:  # a record of an archive queued by `newsloom ingest --queue`
                from newsloom.jobs.backfill import run_record

                return run_record(self.pipeline, data)
            url, html = data.get("url"), data.get("html")
            if not isinstance(url, str) or not isinstance(html, str):
                raise NewsloomError(f"job {job.id}: process-page needs string 'url' and 'html'")
            outcome = self.pipeline.process_raw(RawDocument(url=url, body=html.encode("utf-8"),
                                                            content_type="text/html", origin="jsonl"))
            if outcome.status == "error":
                raise NewsloomError(outcome.message or f"{url}: processing failed")
            return outcome.status
        if job.kind == FETCH_FEED:
            feed = self.store.get_feed(int(data["feed_id"]))
            summary, _ = self.pipeline.fetch_once([feed])
            return "fetched" if not summary.errors or len(summary.errors) < sum(summary.counts.values()) else "error"
        if job.kind == RECRAWL:
            from newsloom.jobs.recrawl import run_recrawl_job

            # this worker retracts itself when it holds the stories; else a retract job for the one that does
            itself = self._story_pipeline is not None
            rep = run_recrawl_job(self.store, self.settings, self.pipeline, data,
                                  self._services() if itself else None, within_s=self.lease_s / 2)
            self.totals.recrawled += rep.checked
            self.totals.retracted += rep.retracted if itself else 0  # else counted by the retract job
            return "recrawled"
        if job.kind == RETRACT:
            from newsloom.jobs.recrawl import run_retract_job

            if self._story_pipeline is None:  # claimed only by the serial holder; the lock was lost since
                raise NewsloomError(f"job {job.id}: a retraction needs the stories (the serial lock), "
                                    "which this worker no longer holds")
            status = run_retract_job(self.store, self._services(), data)
            self.totals.retracted += status == "retracted"
            return status
        raise NewsloomError(f"job {job.id}: unknown kind {job.kind!r}")

    def _align_clock(self) -> None:
        """Follow the database server's clock (PostgreSQL): measured every ``clock_every_s``,
        the offset is applied to this process's ``utcnow`` when it differs by more than
        ``clock_tolerance_s`` from the one in use, with one log line saying by how much. A
        machine whose clock jumps or drifts then neither fetches feeds early nor dates its
        work wrongly; the queue's leases read the server's clock directly (store/_jobs.py)."""
        server_clock = getattr(self.store, "server_clock", None)
        if server_clock is None or time.monotonic() < self._clock_at:
            return
        self._clock_at = time.monotonic() + self.clock_every_s
        before = datetime.now(UTC)
        server = server_clock()
        after = datetime.now(UTC)
        offset = (server - (before + (after - before) / 2)).total_seconds()
        if abs(offset - clock_offset()) > self.clock_tolerance_s:
            log.warning("this machine's clock is %+.1f s off the database server's; following the server's",
                        -offset, extra={"event": "clock_offset", "offset_s": round(offset, 3)})
            set_clock_offset(offset if abs(offset) > self.clock_tolerance_s else 0.0)

    def step(self) -> int:
        """Claim a batch, run it, then give stories to what is owed. Returns jobs claimed."""
        self._align_clock()
        if self.schedule:
            schedule_due_feeds(self.store)
        jobs = self.store.claim_jobs(self.name, self.batch, self.lease_s, kinds=ANY_WORKER)  # type: ignore[attr-defined]
        self._work(jobs)
        return len(jobs) + self._stories()

    def _work(self, jobs: list[Job]) -> None:
        """Run claimed jobs in order: each finished, or failed with back-off (dead after its
        tries); a fault of the database (or an upgrade on disk) gives the rest back and raises."""
        for i, job in enumerate(jobs):
            self.store.trouble = None  # type: ignore[attr-defined]
            try:
                status = self._run(job)
                trouble = getattr(self.store, "trouble", None)
                if isinstance(trouble, StoreFull | StoreUnavailable):
                    raise trouble  # a fetch that could not store a page: the job is done again
            except (StoreFull, StoreUnavailable, CodeChanged) as exc:
                # the database's fault, not the job's (or newsloom upgraded on disk: this worker
                # stops): the jobs in hand go back without a try counted (or, if that fails
                # too, come back when their lease expires)
                self._give_back(jobs[i:], exc)
                raise
            except Exception as exc:  # any failure of one job is that job's, not the worker's
                detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                state = self.store.fail_job(job.id, self.name, f"{type(exc).__name__}: {detail}",  # type: ignore[attr-defined]
                                            backoff_s(job.tries, self.backoff_base_s))
                self.totals.failed += 1
                self.totals.dead += state == "dead"
                log.warning("job %d (%s) try %d failed: %s -> %s", job.id, job.kind, job.tries, detail, state,
                            extra={"event": "job_failed", "job": job.id, "state": state})
                log.debug("%s", traceback.format_exc())
                continue
            if self.store.finish_job(job.id, self.name):  # type: ignore[attr-defined]
                self.totals.done += 1
                self.totals.outcomes[status] = self.totals.outcomes.get(status, 0) + 1

    def _give_back(self, jobs: list[Job], exc: NewsloomError) -> None:
        for job in jobs:
            try:
                self.store.release_job(job.id, self.name, f"{type(exc).__name__}: {exc}")  # type: ignore[attr-defined]
            except StoreError:
                return  # still away: the leases expire and the jobs are claimed again

    def _stories(self) -> int:
        """The serialised consumer's work, done only by the holder of the ``serial`` lock:
        stories for what is owed, retract jobs, due recrawls queued (at most every
        ``recrawl_every_s``), and (at most every ``removals_every_s``) due removal requests.
        Returns the jobs it claimed or queued (0 when another worker holds the lock).
        The lock lives as long as the store's connection: after a reconnect (PostgreSQL restarted,
        connection terminated) it is gone, maybe taken by another worker, so it is taken again."""
        connection = getattr(self.store, "connects", 0)
        if self._story_pipeline is not None and connection != self._serial_connection:
            log.warning("%s: the database connection was re-opened: the serial lock went with it; "
                        "taking it again", self.name, extra={"event": "serial_lock_lost"})
            self._story_pipeline = None  # its in-memory clusterer may be behind the store now
        if self._story_pipeline is None:
            if not self.store.try_singleton_lock("serial"):  # type: ignore[attr-defined]
                return 0  # another worker is the serialised consumer
            self._serial_connection = getattr(self.store, "connects", 0)
            log.info("%s: holding the serial lock: this worker assigns stories and executes removals",
                     self.name, extra={"event": "serial_lock"})
            self._story_pipeline = Pipeline(self.store, self.settings)
        if self.settings.stories:
            try:
                self.totals.stories += self._story_pipeline.catch_up_stories()
            except StoreError:
                self._story_pipeline = None  # rebuilt from the store on the next step
                raise
        retractions = self.store.claim_jobs(self.name, 50, self.lease_s, kinds=(RETRACT,))  # type: ignore[attr-defined]
        self._work(retractions)
        queued = 0
        if time.monotonic() >= self._recrawl_at:
            from newsloom.jobs.recrawl import OPEN_CAP, schedule_recrawl

            queued = schedule_recrawl(self.store, self.settings)
            # a backlog (jobs queued now, or the cap full): top the queue up again soon, or the
            # cadence alone would cap the recrawl at OPEN_CAP x BATCH articles per interval
            busy = queued > 0 or self.store.open_jobs(RECRAWL) >= OPEN_CAP  # type: ignore[attr-defined]
            self._recrawl_at = time.monotonic() + (self.recrawl_busy_s if busy else self.recrawl_every_s)
        if time.monotonic() >= self._removals_at:
            self._removals_at = time.monotonic() + self.removals_every_s
            self.execute_due_removals()
            self.prune_neardup_keys()
            self._keeper.maybe_run()  # hourly: old pages, fetch log, finished jobs deleted
        return len(retractions) + queued

    def _services(self) -> Any:
        """What a removal or a retraction reaches: the serial holder's stories (its clusterer)
        and the near-duplicate index this worker stores pages against (on PostgreSQL the one
        table every worker shares)."""
        from newsloom.app import rights

        stories = self._story_pipeline._stories if self._story_pipeline is not None else None
        return rights.Services(self.store, self.settings, stories, self.pipeline.deduper)

    def execute_due_removals(self) -> None:
        """Verified publisher removal requests carried out, pending ones re-verified, overdue
        ones alarmed (``app.rights.run_due``, what ``newsloom run`` does after each pass)."""
        from newsloom.app import rights

        try:
            rep = rights.run_due(self.store, self.settings, self._services())
        except NewsloomError as exc:
            log.error("removals: %s", exc, extra={"event": "removals_failed"})
            return
        self.totals.removals += rep.executed
        if rep.overdue:
            log.error("ALARM: takedown request(s) past the deadline: %s", ", ".join(map(str, rep.overdue)),
                      extra={"event": "takedown_overdue", "requests": list(rep.overdue)})

    def prune_neardup_keys(self) -> int:
        """The shared near-duplicate index kept to ``near_duplicate_window`` articles (only this
        worker, the serial lock's holder, prunes: no two workers contend for it); a bounded
        batch each time, so a backlog is worked off over a few rounds. Returns rows deleted."""
        try:
            deleted = self.pipeline.deduper.prune()
        except (StoreFull, StoreUnavailable):
            raise
        except StoreError as exc:  # e.g. a deadlock with a revision of an old article: next round
            log.warning("pruning the near-duplicate keys: %s", exc, extra={"event": "neardup_prune_failed"})
            return 0
        if deleted:
            log.debug("%d near-duplicate key rows of articles outside the window pruned", deleted,
                      extra={"event": "neardup_pruned", "rows": deleted})
        return deleted

    def run(self, stop: Callable[[], bool] = lambda: False, idle_s: float = 1.0,
            exit_when_idle: bool = False) -> WorkerTotals:
        """Steps until ``stop()`` (checked between jobs: the job in hand is finished) or, with
        ``exit_when_idle``, until a step finds nothing to claim."""
        pause = self.outage_backoff_s[0]
        worked = False  # since the heap was last trimmed
        last_trim = time.monotonic()
        while not stop():
            try:
                claimed = self.step()
            except StoreUnavailable as exc:
                # PostgreSQL restarting, a terminated connection, a locked SQLite file: wait and
                # try again (the store reconnects on its next call), pausing longer each time
                log.warning("database unavailable: %s; retrying in %.0fs", exc, pause,
                            extra={"event": "store_unavailable", "retry_s": pause})
                deadline = time.monotonic() + pause
                while time.monotonic() < deadline and not stop():
                    time.sleep(min(0.2, pause))
                pause = min(self.outage_backoff_s[1], pause * 2)
                continue
            if pause > self.outage_backoff_s[0]:
                log.info("database reachable again", extra={"event": "store_available"})
                pause = self.outage_backoff_s[0]
            worked = worked or claimed > 0
            if worked and (claimed == 0 or time.monotonic() - last_trim >= 60):
                # a worker runs for months: freed heap back to the system when the queue runs dry
                # and at most once a minute while busy (memtrim.py says why)
                release_free_heap()
                worked, last_trim = False, time.monotonic()
            if claimed == 0:
                if exit_when_idle:
                    break
                deadline = time.monotonic() + idle_s
                while time.monotonic() < deadline and not stop():
                    time.sleep(min(0.2, idle_s))
        return self.totals
