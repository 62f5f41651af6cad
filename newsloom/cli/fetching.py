"""``newsloom fetch | ingest | run``: the commands that run the pipeline."""

from __future__ import annotations

import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import click

from newsloom.app.sources import PollOutlook, ensure_default_sources, poll_outlook
from newsloom.cli.common import (
    connect_timeout_option,
    db_option,
    duration,
    err,
    open_db,
    open_db_waiting,
    out,
    plural,
    progress,
    settings,
)
from newsloom.errors import NewsloomError
from newsloom.models import utcnow
from newsloom.pipeline import Outcome, Pipeline, RunSummary
from newsloom.priority import lower_this_process


# status -> (one, many): "1 error", "2 errors", "3 new"
_WORDS = {"new": ("new", "new"), "duplicate": ("duplicate", "duplicates"),
          "near_duplicate": ("near duplicate", "near duplicates"), "revision": ("revision", "revisions"),
          "unchanged": ("unchanged", "unchanged"), "rejected": ("rejected", "rejected"),
          "error": ("error", "errors")}
_FAILED = ("error", "rejected")


def _count(status: str, n: int) -> str:
    one, many = _WORDS.get(status, (status.replace("_", " "), status.replace("_", " ")))
    return f"{n:,} {one if n == 1 else many}"


def _crawl_line(crawl: Any) -> str:
    """'fetch: feeds 3 ok, 1 failed; pages 5 fetched, 2 skipped; 1.2 MB' (zeros left out)."""
    stats = {k: v for k, v in vars(crawl).items() if isinstance(v, int) and not isinstance(v, bool)}
    groups = []
    for prefix in ("feeds", "pages"):
        parts = [f"{v:,} {k[len(prefix) + 1:].replace('_', ' ')}" for k, v in stats.items()
                 if k.startswith(prefix + "_") and v]
        groups.append(f"{prefix} " + ", ".join(parts) if parts else f"no {prefix}")
    rest = [f"{k.replace('_', ' ')} {v:,}" for k, v in stats.items()
            if not k.startswith(("feeds_", "pages_")) and k != "bytes" and v]
    if stats.get("bytes"):
        n = stats["bytes"]
        rest.insert(0, f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.0f} kB" if n >= 1e3 else f"{n} bytes")
    return "fetch: " + "; ".join(groups + rest)


def _print_summary(what: str, summary: RunSummary, crawl: Any = None, show_errors: int = 10) -> None:
    counts = ", ".join(_count(k, v) for k, v in sorted(summary.counts.items())) or "nothing new"
    out.print(f"{what}: {counts} in {summary.seconds:.1f}s")
    if crawl is not None:
        out.print(_crawl_line(crawl), markup=False)
        feed_errors = list(getattr(crawl, "errors", []))
        for line in feed_errors[:show_errors]:
            out.print(f"  [feed] {line}", markup=False)
        if len(feed_errors) > show_errors:
            out.print(f"  ... and {plural(len(feed_errors) - show_errors, 'more feed')} failed "
                      "(see `newsloom sources list`)", markup=False)
    for o in summary.errors[:show_errors]:
        out.print(f"  [{o.status}] {o.message or o.where}", markup=False)
    if len(summary.errors) > show_errors:
        out.print(f"  ... and {len(summary.errors) - show_errors:,} more (see `newsloom sources log`)", markup=False)


def _nothing_succeeded(summary: RunSummary, crawl: Any = None) -> bool:
    """True when something was tried and nothing worked: the exit code is then 1. Nothing to do
    (no file, no feed due, every feed deferred by a rate limit) is not a failure."""
    good = sum(n for status, n in summary.counts.items() if status not in _FAILED)
    failed = sum(n for status, n in summary.counts.items() if status in _FAILED)
    if crawl is not None:
        good += getattr(crawl, "feeds_ok", 0) + getattr(crawl, "feeds_not_modified", 0)
        failed += getattr(crawl, "feeds_failed", 0) + getattr(crawl, "pages_failed", 0)
    return failed > 0 and good == 0


_ALL_FAILED = "Error: every feed and page tried in this pass failed (see `newsloom sources list`)"  # fetch, and run --once


@click.command()
@click.option("--feed", "feed_ids", type=click.IntRange(min=1), multiple=True,
              help="Only these feed ids (even if not due).")
@db_option
def fetch(feed_ids: tuple[int, ...]) -> None:
    """One polite pass over all due feeds, with a progress bar and a summary."""
    with open_db(create=True) as store:
        feeds = [store.get_feed(i) for i in feed_ids] if feed_ids else None
        pipeline = Pipeline(store, settings())
        with progress() as bar:
            task = bar.add_task("fetching", total=None)

            def on_outcome(o: Outcome) -> None:
                bar.update(task, advance=1, description=f"{o.status}: {o.where[:60]}")

            summary, crawl = pipeline.fetch_once(feeds, progress=lambda m: bar.update(task, description=m[:70]),
                                                 on_outcome=on_outcome)
        _merge_search_index(store)  # SQLite: FTS5 segments merged, a bounded step
    _print_summary("articles", summary, crawl)
    if _nothing_succeeded(summary, crawl):
        err.print(_ALL_FAILED)
        click.get_current_context().exit(1)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--queue", is_flag=True,
              help="PostgreSQL: queue every record as a job for `newsloom worker`s (a re-run queues "
                   "nothing twice; past ingest_queue_ahead open jobs it waits for the workers) and wait "
                   "until they are done.")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="With --queue: also run N workers here until the archive is done. Without: "
                   "extraction processes (default: the workers setting, 0 = one per core).")
@click.option("--no-wait", is_flag=True,
              help="With --queue: return once every record is queued, without waiting for the jobs. "
                   "At most ingest_queue_ahead jobs (default 5,000) are open at a time, so a larger "
                   "archive still waits for workers (running elsewhere) to make room.")
@db_option
def ingest(paths: tuple[Path, ...], queue: bool, workers: int | None, no_wait: bool) -> None:
    """Store articles from files: .html/.htm, .txt, .warc/.warc.gz, .jsonl."""
    if queue:
        _ingest_queued(paths, workers or 0, not no_wait)
        return
    lower_this_process(settings().pipeline_nice)  # serves nothing: all of it yields to a reader
    with open_db(create=True) as store:
        pipeline = Pipeline(store, settings())
        with progress() as bar:
            task = bar.add_task("ingesting", total=None)

            def step(o: Outcome) -> None:
                bar.update(task, advance=1, description="skipping stored" if o.status == "unchanged" else "ingesting")

            summary = pipeline.ingest(paths, progress=step, workers=workers)
        _merge_search_index(store)  # SQLite: FTS5 segments merged, a bounded step
    _print_summary("ingest", summary)
    if _nothing_succeeded(summary):
        n = sum(summary.counts.values())
        err.print(f"Error: nothing stored; {'the only input' if n == 1 else f'all {n:,} inputs'} failed")
        click.get_current_context().exit(1)


def _ingest_queued(paths: tuple[Path, ...], workers: int, wait: bool) -> None:
    """``ingest --queue``: the archive's records become jobs; progress: records queued, jobs done."""
    from newsloom.app.backfill import needs_queue_store, queue_archive

    needs_queue_store(settings().db)
    with open_db(create=False) as store, progress() as bar:
        reading = bar.add_task("queueing records", total=None)
        done = bar.add_task("done", total=None, visible=False)

        def on_queued(q: Any) -> None:
            bar.update(reading, completed=q.records, description=f"queueing: {q.added:,} new, {q.before:,} queued before")

        ahead = settings().ingest_queue_ahead
        stalled: dict[str, Any] = {"open": None, "since": time.monotonic(), "told": False}

        def on_waiting(open_jobs: int) -> None:
            bar.update(reading, description=f"waiting for workers: {open_jobs:,} jobs open (at most {ahead:,})")
            if open_jobs != stalled["open"]:
                stalled.update(open=open_jobs, since=time.monotonic())
            elif not stalled["told"] and time.monotonic() - stalled["since"] > 60:
                stalled["told"] = True  # once: queuing may wait here for as long as no worker runs
                err.print(f"ingest --queue: waiting for workers: {open_jobs:,} jobs open (ingest_queue_ahead "
                          f"{ahead:,}) and none taken for a minute; is a `newsloom worker` running?", markup=False)

        def on_counts(counts: dict[str, int]) -> None:
            finished = counts.get("done", 0) + counts.get("dead", 0)
            bar.update(done, visible=True, total=sum(counts.values()), completed=finished,
                       description=f"done ({counts.get('running', 0):,} running, {counts.get('dead', 0):,} dead)")

        report = queue_archive(store, settings(), paths, workers=workers, wait=wait, on_queued=on_queued,
                               on_counts=on_counts, on_waiting=on_waiting)
    q, c = report.queued, report.counts
    out.print(f"ingest --queue: {plural(q.records, 'record')} read, {q.added:,} queued now, {q.before:,} "
              f"queued before; jobs {c.get('done', 0):,} done, {report.open:,} open, {c.get('dead', 0):,} dead",
              markup=False)
    if q.waited_s >= 1:
        out.print(f"queuing waited {q.waited_s:,.0f}s for workers (at most {settings().ingest_queue_ahead:,} "
                  "jobs open at a time: ingest_queue_ahead)", markup=False)
    for line in q.errors[:10]:
        out.print(f"  [error] {line}", markup=False)
    if len(q.errors) > 10:
        out.print(f"  ... and {len(q.errors) - 10:,} more unreadable records", markup=False)
    if report.stories:
        out.print(f"stories: {plural(report.stories, 'article')} given a story", markup=False)
    if c.get("dead"):
        out.print("dead jobs: see `newsloom jobs` (`--retry-dead` queues them again)", markup=False)
    if not report.waited and report.open:
        out.print("workers process the queued records (`newsloom worker`); run the same command again "
                  "to queue what is missing and watch", markup=False)
    if q.records == 0 and q.errors:
        err.print(f"Error: nothing queued; {plural(len(q.errors), 'input')} unreadable")
        click.get_current_context().exit(1)
    if report.waited and c.get("dead") and not c.get("done"):
        err.print("Error: nothing stored; every queued record failed (see `newsloom jobs`)")
        click.get_current_context().exit(1)


@click.command()
@click.option("--once", is_flag=True, help="One pass, then exit (no web server).")
@click.option("--no-default-sources", is_flag=True, help="Do not import the shipped world source list.")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address the web app listens on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="Web app port.")
@click.option("--no-web", is_flag=True, help="Do not serve the web app (fetch and process only).")
@click.option("--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Logs on stderr as text or as one JSON object a line.")
@click.option("--log-level", type=click.Choice(["debug", "info", "warning", "error"]), default="info",
              show_default=True)
@connect_timeout_option
@db_option
def run(once: bool, no_default_sources: bool, host: str, port: int, no_web: bool, log_format: str,
        log_level: str, connect_timeout: float | None) -> None:
    """The daemon: serve the web app while fetching due feeds, processing them, giving stories
    to what is owed and executing due removals, until SIGTERM/Ctrl-C (then the page in hand is
    finished, the web server closed, and it exits 0). A restart continues where it stopped. A
    database not reachable at start-up is tried again for --connect-timeout seconds. When the
    newsloom code on disk changes under it (an upgrade), it finishes the pass and exits 75 for
    the service manager to restart it on the new code."""
    from newsloom.app import daemon
    from newsloom.memtrim import limit_arenas

    limit_arenas()  # before the web server's and the processing thread's first allocation
    restore_logging = daemon.setup_logging(log_format, log_level)
    try:
        _run(once, no_default_sources, host, port, no_web, connect_timeout)
    finally:
        restore_logging()


def _run(once: bool, no_default_sources: bool, host: str, port: int, no_web: bool,
         connect_timeout: float | None = None) -> None:
    from newsloom.app import daemon

    if not (once or no_web):
        try:  # before the store is opened and models loaded: a taken port fails in a moment
            daemon.check_port(host, port)
        except RuntimeError as exc:
            raise NewsloomError(str(exc)) from None
    if once or no_web:  # serves nothing: all of it yields to a reader (else the processing thread does)
        lower_this_process(settings().pipeline_nice)
    with open_db_waiting(connect_timeout, create=True) as store:  # a database not up yet: waited for
        if not no_default_sources and (n := ensure_default_sources(store, settings()).added):
            out.print(f"first start: following {n} feeds from the default world source list")
        pipeline = Pipeline(store, settings())
        out.print(f"newsloom running on {settings().db}; Ctrl-C to stop", markup=False)
        out.print(_outlook_line(poll_outlook(store.list_feeds(), utcnow()), start=True), markup=False)

        last: list[Any] = []  # the last pass's (summary, crawl): --once exits 1 when nothing in it worked
        from newsloom.app.housekeeping import Housekeeper

        keeper = Housekeeper(store, settings())

        def on_pass(summary: RunSummary, crawl: Any) -> None:
            last[:] = [summary, crawl]
            _print_summary("pass", summary, crawl, show_errors=3)
            _takedowns(store, pipeline)  # publisher removal requests: verify, execute, alarm
            from newsloom.cli.takedown import recrawl_after_pass  # articles due again: retract / revise
            recrawl_after_pass(store, pipeline)
            _prune_neardup(pipeline)  # the shared near-duplicate keys kept to the window
            _merge_search_index(store)  # SQLite: FTS5 segments merged, a bounded step
            _housekeeping(keeper)  # old pages, fetch log and finished jobs deleted, hourly

        def on_sleep(seconds: float) -> None:
            at = utcnow() + timedelta(seconds=seconds)
            outlook = poll_outlook(store.list_feeds(), utcnow())
            out.print(f"next pass at {at:%H:%M:%S} UTC (in {duration(seconds)}); {_outlook_line(outlook)}",
                      markup=False)

        runner = daemon.Daemon(pipeline, on_pass=on_pass, max_passes=1 if once else None, on_sleep=on_sleep)
        runner.install_signals()  # before the web server and the first pass: a stop is never lost
        server = None
        from newsloom.app.status import Heartbeat  # `newsloom status` shows this process

        beat = Heartbeat(settings().db, "run", runner.live_fields).start()
        try:
            if not (once or no_web):
                try:
                    server = daemon.start_web(settings(), host, port)
                except RuntimeError as exc:
                    raise NewsloomError(str(exc)) from None
            _tdmrep(store)  # sites' TDM reservations known before their first pages are embedded
            totals = runner.run()
        finally:
            beat.stop()
            runner.restore_signals()
            if server is not None:
                daemon.stop_web(server)
        daemon.log.info("stopped", extra={"event": "stopped", "signal": runner.stopped_by,
                                          "passes": totals.passes, "counts": totals.counts})
        if once and runner.upgraded is None:  # the pass's summary is above; a cron user wants this last
            out.print(_outlook_line(poll_outlook(store.list_feeds(), utcnow())), markup=False)
            if last and _nothing_succeeded(*last):
                err.print(_ALL_FAILED)
                click.get_current_context().exit(1)
            return
    out.print(daemon.final_line(totals, runner.stopped_by), markup=False)
    if runner.upgraded is not None:  # the code on disk changed: a restart runs the new code
        sys.exit(daemon.EXIT_UPGRADED)


def _takedowns(store: Any, pipeline: Pipeline) -> None:
    """After each pass, without a person: verified removal requests are carried out (through
    the pipeline's own stories service and near-duplicate index), pending ones re-verified,
    overdue ones raise the alarm (log + audit log)."""
    from newsloom.app import rights

    _tdmrep(store)
    try:
        rep = rights.run_due(store, settings(), rights.Services(store, settings(), pipeline._stories,
                                                                 pipeline._deduper))
    except NewsloomError as exc:
        err.print(f"takedowns: {exc}", markup=False)
        return
    try:  # a Disallow added to robots.txt since the last pass hides what is stored from there
        rep.expired += rights.hide_disallowed(store, settings(), pipeline._robots,
                                              rights.Services(store, settings(), pipeline._stories,
                                                              pipeline._deduper))
    except NewsloomError as exc:
        err.print(f"robots sweep: {exc}", markup=False)
    if rep.executed or rep.verified or rep.expired:
        out.print(f"takedowns: {rep.verified} verified, {rep.executed} executed, {rep.expired} hidden "
                  "(expired or disallowed)", markup=False)
    if rep.overdue:
        err.print(f"ALARM: takedown request(s) past the deadline: {', '.join(map(str, rep.overdue))}", markup=False)


def _prune_neardup(pipeline: Pipeline) -> None:
    """After each pass: the keys of articles outside ``near_duplicate_window`` deleted from the
    shared near-duplicate index (PostgreSQL, or near_duplicate_index = "store"), a bounded
    batch a pass; the in-memory index bounds itself."""
    from newsloom.errors import StoreFull, StoreUnavailable

    if pipeline._deduper is None:
        return
    try:
        pipeline._deduper.prune()
    except (StoreFull, StoreUnavailable):
        raise
    except NewsloomError as exc:
        err.print(f"near-duplicate keys: {exc}", markup=False)


def _housekeeping(keeper: Any) -> None:
    """After a pass, at most hourly: what is older than its keep_*_days setting deleted
    (app/housekeeping.py), within a time budget; a line says what went."""
    from newsloom.app.housekeeping import describe
    from newsloom.errors import StoreFull, StoreUnavailable

    try:
        done = keeper.maybe_run()
    except (StoreFull, StoreUnavailable):
        raise
    except NewsloomError as exc:
        err.print(f"housekeeping: {exc}", markup=False)
        return
    if done is not None and done.total:
        out.print(f"housekeeping: {describe(done.deleted)}{'' if done.complete else ' (more left for later)'}",
                  markup=False)


def _merge_search_index(store: Any) -> None:
    """After each pass and at the end of an ingest: SQLite's full-text index merged a bounded
    step (store.merge_search_index: at most ~2,000 pages, ~0.2 s on a 100k store; usually
    nothing to do), so searches look words up in 2-6 index segments, not 9-21. A failure only
    costs search speed: said in one line, never stops the run or fails the ingest."""
    try:
        store.merge_search_index()
    except NewsloomError as exc:
        err.print(f"search index merge: {exc}", markup=False)


def _tdmrep(store: Any) -> None:
    """Each followed site's /.well-known/tdmrep.json, fetched at most daily (rights/tdmrep.py)."""
    from newsloom.app import rights

    try:
        rights.refresh_tdmrep(store, settings())
    except NewsloomError as exc:
        err.print(f"tdmrep: {exc}", markup=False)


def _outlook_line(o: PollOutlook, start: bool = False) -> str:
    """'164 feeds: 12 due now, 3 backing off (next retry 06:10 UTC), 1 switched off'."""
    parts = [f"{o.due_now:,} due now"] if start else []
    if o.backing_off:
        parts.append(f"{o.backing_off:,} backing off after errors (next retry {o.next_retry:%H:%M} UTC)")
    else:
        parts.append("none backing off")
    if o.switched_off:
        parts.append(f"{o.switched_off:,} switched off (`newsloom sources enable ID`)")
    if not start and o.next_due is not None:
        parts.append(f"next feed due {o.next_due:%H:%M} UTC")
    return f"{plural(o.feeds, 'feed')}: " + ", ".join(parts)
