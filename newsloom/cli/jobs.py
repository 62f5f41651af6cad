"""``newsloom worker`` (claim and run queued jobs) and ``newsloom jobs`` (the queue by state,
and its dead letters): scale mode, on PostgreSQL (works on SQLite too, with one worker)."""

from __future__ import annotations

import logging
import signal
import sys

import click

from newsloom.cli.common import (connect_timeout_option, db_option, dump, json_option, open_db, open_db_waiting, out,
                                  settings)
from newsloom.codeversion import EXIT_UPGRADED, CodeChanged, remember

log = logging.getLogger("newsloom.worker")


# job outcomes that are not an article stored (the heartbeat's "articles")
NOT_ARTICLES = frozenset({"error", "rejected", "unchanged", "recrawled", "retracted", "removed already"})


@click.command()
@click.option("--batch", default=1, show_default=True, type=click.IntRange(1, 1000), help="Jobs claimed at a time.")
@click.option("--lease", "lease_s", default=120.0, show_default=True, type=click.FloatRange(1, 86400),
              help="Seconds a claim lasts; a killed worker's jobs are taken again after it.")
@click.option("--exit-when-idle", is_flag=True, help="Stop when nothing is left to claim.")
@click.option("--no-schedule", is_flag=True, help="Do not turn due feeds into fetch jobs.")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
@connect_timeout_option
@db_option
def worker(batch: int, lease_s: float, exit_when_idle: bool, no_schedule: bool, log_format: str,
           log_level: str, connect_timeout: float | None) -> None:
    """Claim jobs from the store's queue and run them until SIGTERM/Ctrl-C (the job in hand is
    finished). Start any number, on any machine, against the same PostgreSQL. A database not
    reachable at start-up is tried again for --connect-timeout seconds; once running, outages
    are waited out. When the newsloom code on disk changes under it (an upgrade), it finishes
    the job in hand and exits 75 for the service manager to restart it on the new code."""
    from newsloom.app.daemon import setup_logging
    from newsloom.jobs.worker import Worker
    from newsloom.memtrim import limit_arenas

    limit_arenas()  # a worker runs for months: few malloc arenas, each trimmed (memtrim.py)
    setup_logging(log_format, log_level)
    from newsloom.priority import lower_this_process

    lower_this_process(settings().pipeline_nice)  # pipeline work: a reader on these cores goes first
    stopped: list[str] = []

    def on_signal(signum: int, _frame: object) -> None:
        stopped.append(signal.Signals(signum).name)

    # open_store refuses a database whose schema is newer than this code ("upgrade newsloom")
    with open_db_waiting(connect_timeout, create=True) as store:
        w = Worker(store, settings(), batch=batch, lease_s=lease_s, schedule=not no_schedule)
        old = {s: signal.signal(s, on_signal) for s in (signal.SIGTERM, signal.SIGINT)}
        from newsloom.app.status import Heartbeat  # `newsloom status` shows this process

        def fields(_store: object) -> dict[str, object]:
            t = w.totals
            return {"state": "stopping" if stopped else "claiming jobs", "jobs_done": t.done,
                    "articles": sum(n for k, n in t.outcomes.items() if k not in NOT_ARTICLES),
                    "failed": t.failed, "dead": t.dead, "stories": t.stories, "recrawled": t.recrawled,
                    "retracted": t.retracted}

        beat = Heartbeat(settings().db, "worker", fields).start()
        code = remember()
        upgraded: list[str] = []

        def upgrade(message: str) -> None:  # the code on disk changed: one line, then stop
            if not upgraded:
                upgraded.append(message)
                stopped.append("upgrade")
                log.warning("%s; finishing the job in hand, then exiting with status %d so that the service "
                            "manager starts newsloom again on the new code", message, EXIT_UPGRADED,
                            extra={"event": "code_changed", "exit_code": EXIT_UPGRADED})

        def stop() -> bool:
            if not stopped and (message := code.changed()) is not None:
                upgrade(message)
            return bool(stopped)

        try:
            out.print(f"worker {w.name} on {settings().db}", markup=False)
            try:
                w.run(stop=stop, exit_when_idle=exit_when_idle)
            except CodeChanged as exc:  # a worker pool refused to start on other code
                upgrade(str(exc))
            t = w.totals
        finally:
            beat.stop()
            for s, h in old.items():
                signal.signal(s, h)
    why = f"stopped on {stopped[0]}" if stopped else "idle"
    out.print(f"worker {w.name} {why}: {t.done} jobs done, {t.failed} failed tries, {t.dead} dead, "
              f"{t.stories} articles given stories, {t.removals} removal requests executed, "
              f"{t.recrawled} articles recrawled, {t.retracted} retracted at the source", markup=False)
    if upgraded:
        sys.exit(EXIT_UPGRADED)


@click.command()
@click.option("--dead", "show_dead", default=20, show_default=True, type=click.IntRange(min=0), help="How many dead letters to list.")
@click.option("--retry-dead", is_flag=True, help="Queue every dead job again with a fresh count of tries.")
@json_option
@db_option
def jobs(show_dead: int, retry_dead: bool, as_json: bool) -> None:
    """The job queue: counts by kind and state, and the dead letters with their last error."""
    from newsloom.jobs.queue import STATES

    with open_db(create=False) as store:
        requeued = store.requeue_dead_jobs() if retry_dead else None  # type: ignore[attr-defined]
        if requeued is not None and not as_json:
            out.print(f"{requeued} dead jobs queued again", markup=False)
        counts = store.job_counts()  # type: ignore[attr-defined]
        kinds = sorted({k for k, _ in counts})
        if as_json:
            dump({"requeued": requeued,
                  "kinds": {kind: {s: counts.get((kind, s), 0) for s in STATES} for kind in kinds},
                  "dead": [{"id": j.id, "kind": j.kind, "payload": j.payload[:200], "tries": j.tries,
                            "last_error": j.last_error, "updated_at": j.updated_at}
                           for j in store.list_jobs("dead", limit=show_dead)]})  # type: ignore[attr-defined]
            return
        if not kinds:
            out.print("no jobs", markup=False)
        for kind in kinds:
            parts = ", ".join(f"{counts.get((kind, s), 0):,} {s}" for s in STATES)
            out.print(f"{kind}: {parts}", markup=False)
        dead = store.list_jobs("dead", limit=show_dead)  # type: ignore[attr-defined]
        if dead:
            out.print("dead letters:", markup=False)
        for j in dead:
            out.print(f"  #{j.id} {j.kind} {j.payload[:80]} after {j.tries} tries: {j.last_error}", markup=False)
