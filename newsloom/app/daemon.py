"""``newsloom run`` as a daemon: one process that fetches due feeds, runs the pipeline, gives
stories to what is owed, executes due removals and (optionally) serves the web app, until
SIGTERM/SIGINT. The loop itself is ``Pipeline.run_forever``; this module adds what a long-lived
process needs around it: structured logs, a status line per pass, the web server thread and a
graceful stop (the page in hand is finished, the web server closed, exit 0)."""

from __future__ import annotations

import dataclasses
import json
import logging
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from newsloom.app.sources import poll_outlook
from newsloom.codeversion import EXIT_UPGRADED, CodeChanged, CodeWatch, remember
from newsloom.errors import StoreError, StoreFull, StoreUnavailable
from newsloom.memtrim import release_free_heap
from newsloom.models import utcnow
from newsloom.pipeline import Pipeline, RunSummary

log = logging.getLogger("newsloom.run")

# attributes every LogRecord has: anything else was passed in ``extra=`` and goes into the JSON
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time, level, logger, message and the record's ``extra`` fields.
    Hand-written (a dozen lines) rather than a dependency such as python-json-logger."""

    def format(self, record: logging.LogRecord) -> str:
        doc: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        doc.update({k: v for k, v in vars(record).items() if k not in _STANDARD and not k.startswith("_")})
        if record.exc_info:
            doc["exception"] = self.formatException(record.exc_info)
        return json.dumps(doc, default=str, ensure_ascii=False)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time (a test runner swaps it per command)."""

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, _value: Any) -> None:
        pass


def setup_logging(fmt: str = "text", level: str = "info") -> Callable[[], None]:
    """Log to stderr, as text or JSON lines, at ``level`` (debug, info, warning, error).
    Returns a function that puts the previous logging set-up back."""
    root = logging.getLogger()
    before = (list(root.handlers), root.level)
    handler = _StderrHandler()
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s",
                                               datefmt="%H:%M:%S"))
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level.upper())

    def restore() -> None:
        root.removeHandler(handler)
        for h in before[0]:
            root.addHandler(h)
        root.setLevel(before[1])

    return restore


@dataclass
class Totals:
    """What the daemon did since it started (for the status line and the last line)."""
    passes: int = 0
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, summary: RunSummary) -> None:
        self.passes += 1
        self.seconds += summary.seconds
        for status, n in summary.counts.items():
            self.counts[status] = self.counts.get(status, 0) + n

    @property
    def articles(self) -> int:
        return sum(n for s, n in self.counts.items() if s not in ("error", "rejected", "unchanged"))


def status_fields(store: Any, summary: RunSummary, crawl: Any, due_at_start: int) -> dict[str, Any]:
    """The numbers of one pass: feeds due at its start, fetched, still in flight (0: a pass ends
    when every fetch has), backing off after errors; articles stored and articles/s."""
    outlook = poll_outlook(store.list_feeds(), utcnow())
    stored = sum(n for s, n in summary.counts.items() if s not in ("error", "rejected", "unchanged"))
    return {"feeds_due": due_at_start,
            "feeds_fetched": getattr(crawl, "feeds_ok", 0) + getattr(crawl, "feeds_not_modified", 0)
            + getattr(crawl, "feeds_failed", 0),
            "feeds_in_flight": 0, "feeds_backing_off": outlook.backing_off,
            "feeds_due_now": outlook.due_now, "articles": stored,
            "articles_per_s": round(stored / summary.seconds, 2) if summary.seconds > 0 else 0.0,
            "errors": len(summary.errors)}


def status_line(f: dict[str, Any]) -> str:
    return (f"status: feeds {f['feeds_due']} due, {f['feeds_fetched']} fetched, {f['feeds_in_flight']} in flight, "
            f"{f['feeds_backing_off']} backing off; {f['articles']} articles ({f['articles_per_s']}/s), "
            f"{f['errors']} errors")


def _clock() -> tuple[datetime, float]:
    """(wall clock, seconds elapsed on a clock that only ever moves forward, suspend included)."""
    elapsed = time.clock_gettime(time.CLOCK_BOOTTIME) if hasattr(time, "CLOCK_BOOTTIME") else time.monotonic()
    return utcnow(), elapsed


class Daemon:
    """Runs ``pipeline.run_forever`` with a graceful stop. The first SIGTERM/SIGINT during a
    fetch pass raises KeyboardInterrupt in the main thread: the crawl's fetches are cancelled,
    while ``fetch_once`` waits for its processing thread, so the page being stored is finished
    (one transaction) and nothing is half-written; feeds not done stay due for the next start.
    Between passes the signal only ends the sleep.

    Faults: the database going away (PostgreSQL restarting, a terminated connection, a SQLite
    file locked by another process) pauses the loop with growing back-off (``outage_backoff_s``)
    and a log line per try, then carries on; a full disk ends it (StoreFull: one line, exit 1),
    with everything stored before intact. A wall-clock jump (the sleeps themselves run on a
    monotonic clock) moves every feed's next due time by the jump, so after a jump forward the
    feeds do not all fall due at once and after a jump back none waits the jump out.

    Upgrades: the newsloom code on disk changing under the process (``pip install -U``, ``git
    pull``; ``newsloom.codeversion``), seen before each pass and every ``code.every_s`` seconds
    of a pause, is one warning line; the pass in hand is finished and the loop ends with
    ``upgraded`` set, for the caller to exit with status 75 (EXIT_UPGRADED) so that the
    service manager starts it again on the new code."""

    clock_jump_s = 60.0  # wall clock vs elapsed time drift above which it counts as a jump

    def __init__(self, pipeline: Pipeline, on_pass: Callable[[RunSummary, Any], None] | None = None,
                 max_passes: int | None = None, idle_sleep_s: float = 30.0,
                 on_sleep: Callable[[float], None] | None = None,
                 clock: Callable[[], tuple[datetime, float]] = _clock,
                 outage_backoff_s: tuple[float, float] = (1.0, 60.0),
                 code: CodeWatch | None = None) -> None:
        self.pipeline = pipeline
        self.code = code or remember()
        self.upgraded: str | None = None  # the line saying what changed on disk, once seen
        self.clock = clock
        self.outage_backoff_s = outage_backoff_s
        self._clock_at: tuple[datetime, float] | None = None
        self._redo_since: datetime | None = None  # a pass the database failed: its feeds again
        self.on_sleep = on_sleep
        self.on_pass = on_pass
        self.max_passes = max_passes
        self.idle_sleep_s = idle_sleep_s
        self.totals = Totals()
        self.stopped_by: str | None = None
        self._in_pass = False
        self._due_at_start = 0
        self._pass_started: datetime | None = None
        self._stored_in_pass = 0
        self._pass_counts: dict[str, int] = {}  # outcomes of the pass in hand, by status
        self._sleep_until: datetime | None = None

    def live_fields(self, store: Any) -> dict[str, Any]:
        """What `newsloom status` shows for this process (app/status.Heartbeat calls it from its
        thread with its own connection): the phase, feeds in flight (due at the pass's start and
        not fetched since), articles stored since start."""
        fields: dict[str, Any] = {"passes": self.totals.passes,
                                  "articles": self.totals.articles + self._stored_in_pass}
        started = self._pass_started
        if self.stopped_by:
            fields["state"] = f"stopping ({self.stopped_by})"
        elif self._in_pass and started is not None:
            done = sum(1 for f in store.list_feeds() if f.last_fetched is not None and f.last_fetched >= started)
            fields["feeds_in_flight"] = max(0, self._due_at_start - done)
            fields["state"] = f"pass {self.totals.passes + 1}: {self._due_at_start} feeds due"
        elif self._sleep_until is not None:
            fields["feeds_in_flight"] = 0
            fields["state"] = f"sleeping until {self._sleep_until:%H:%M:%S} UTC"
        else:
            fields["state"] = "starting"
        return fields

    # --- signals -------------------------------------------------------------------------------
    def _on_signal(self, signum: int, _frame: object) -> None:
        name = signal.Signals(signum).name
        first = self.stopped_by is None
        self.stopped_by = self.stopped_by or name
        if first:
            log.info("%s received: finishing the page in hand, then stopping", name, extra={"event": "stopping"})
            if self._in_pass:
                raise KeyboardInterrupt  # unwinds the crawl; fetch_once's finally finishes the page

    def install_signals(self) -> None:
        self._old_handlers = {sig: signal.signal(sig, self._on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore_signals(self) -> None:
        """Put back the handlers found (the CLI's own, or a test runner's)."""
        for sig, handler in getattr(self, "_old_handlers", {}).items():
            signal.signal(sig, handler)

    # --- upgrades ------------------------------------------------------------------------------
    def _upgrade(self, message: str) -> None:
        """The code on disk changed: say so once, and stop after the pass in hand."""
        if self.upgraded is not None:
            return
        self.upgraded = message
        self.stopped_by = self.stopped_by or "upgrade"
        log.warning("%s; finishing the pass in hand, then exiting with status %d so that the service manager "
                    "starts newsloom again on the new code", message, EXIT_UPGRADED,
                    extra={"event": "code_changed", "exit_code": EXIT_UPGRADED})

    def _should_stop(self, force: bool = False) -> bool:
        """A signal came, or the code on disk changed (looked at every ``code.every_s`` s)."""
        if self.stopped_by is None and (message := self.code.changed(force)) is not None:
            self._upgrade(message)
        return self.stopped_by is not None

    # --- the loop --------------------------------------------------------------------------------
    def run(self) -> Totals:
        """Passes until stopped (or ``max_passes``). Returns what was done."""
        pipeline = self.pipeline
        original_fetch = pipeline.fetch_once

        def fetch_once(*args: Any, **kwargs: Any) -> Any:
            if self._should_stop(force=True):  # no pass (and no worker pool) on other code
                raise KeyboardInterrupt
            self.check_clock()
            self._redo_feeds()
            pipeline.store.trouble = None  # type: ignore[attr-defined]
            self._pass_started = utcnow()
            self._due_at_start = len(pipeline.store.due_feeds(self._pass_started))
            self._stored_in_pass = 0
            self._pass_counts = {}
            self._in_pass = True
            outer = kwargs.get("on_outcome")

            def on_outcome(outcome: Any) -> None:  # counts what is stored, live, for the status view
                status = getattr(outcome, "status", None)
                if status not in ("error", "rejected", "unchanged"):
                    self._stored_in_pass += 1
                if status:
                    self._pass_counts[status] = self._pass_counts.get(status, 0) + 1
                if outer is not None:
                    outer(outcome)

            kwargs["on_outcome"] = on_outcome
            try:
                if self.stopped_by:
                    raise KeyboardInterrupt
                result = original_fetch(*args, **kwargs)
            except StoreError:
                self._redo_since = self._pass_started
                raise
            finally:
                self._in_pass = False
            # a page that could not be stored is an outcome of the pass, not an exception: the
            # store says whether it was the disk or the database (SQLStore.trouble)
            trouble = getattr(pipeline.store, "trouble", None)
            if isinstance(trouble, StoreFull | StoreUnavailable):
                self._redo_since = self._pass_started
                raise trouble
            return result

        def on_pass(summary: RunSummary, crawl: Any) -> None:
            self.totals.add(summary)
            self._stored_in_pass = 0
            self._pass_counts = {}
            fields = status_fields(pipeline.store, summary, crawl, self._due_at_start)
            log.info(status_line(fields), extra={"event": "pass", "pass": self.totals.passes, **fields})
            release_free_heap()  # a months-long run: freed heap back to the system each pass
            if self.on_pass is not None:
                self.on_pass(summary, crawl)

        def on_sleep(seconds: float) -> None:
            self._sleep_until = utcnow() + timedelta(seconds=seconds)
            log.debug("sleeping %.0fs until the next feed is due", seconds, extra={"event": "sleep",
                                                                                   "seconds": seconds})
            if self.on_sleep is not None:
                self.on_sleep(seconds)

        pipeline.fetch_once = fetch_once  # type: ignore[method-assign]
        pause = self.outage_backoff_s[0]
        try:
            while self.stopped_by is None:
                try:
                    pipeline.run_forever(stop=self._should_stop, on_pass=on_pass,
                                         idle_sleep_s=self.idle_sleep_s, max_passes=self.max_passes,
                                         on_sleep=on_sleep)
                    break
                except StoreUnavailable as exc:
                    if self.max_passes is not None:
                        raise  # a one-shot run reports it and exits non-zero
                    self._outage(exc, pause)
                    pause = min(self.outage_backoff_s[1], pause * 2)
        except KeyboardInterrupt:
            self.stopped_by = self.stopped_by or "SIGINT"
        except CodeChanged as exc:  # a worker pool refused to start on other code (parallel.process_pool)
            self._upgrade(str(exc))
        finally:
            pipeline.fetch_once = original_fetch  # type: ignore[method-assign]
            # a pass cut short by the stop never reached on_pass: what it stored still counts
            # (the last line said "nothing new (0 articles stored)" over pages it had stored)
            for status, n in self._pass_counts.items():
                self.totals.counts[status] = self.totals.counts.get(status, 0) + n
            self._pass_counts = {}
        return self.totals

    def _outage(self, exc: StoreError, pause: float) -> None:
        """The database is away: say so on one line, forget in-memory story state that may be
        ahead of what was committed (rebuilt from the store), wait ``pause`` (or a stop)."""
        log.warning("database unavailable: %s; retrying in %.0fs", exc, pause,
                    extra={"event": "store_unavailable", "retry_s": pause})
        self.pipeline._stories = None
        deadline = time.monotonic() + pause
        while time.monotonic() < deadline and self.stopped_by is None:
            time.sleep(min(0.2, pause))

    def _redo_feeds(self) -> None:
        """After an outage: the feeds fetched in the failed pass are due again at once (they
        kept their old validators, so the pages not stored are listed and fetched again; the
        ones stored are skipped). Raises StoreUnavailable while the database is still away."""
        since = self._redo_since
        if since is None:
            return
        store, now = self.pipeline.store, utcnow()
        with store.transaction():
            for feed in store.list_feeds():
                if feed.active and feed.last_fetched is not None and feed.last_fetched >= since:
                    store.update_feed(dataclasses.replace(feed, next_due=now))
        self._redo_since = None

    def check_clock(self) -> float:
        """Compare the wall clock's progress with the elapsed time since the last pass; on a
        jump (more than ``clock_jump_s`` apart) move every followed feed's next due time by the
        jump and return it (seconds; negative: the clock went back), else 0."""
        wall, elapsed = self.clock()
        before, self._clock_at = self._clock_at, (wall, elapsed)
        if before is None:
            return 0.0
        jump = (wall - before[0]).total_seconds() - (elapsed - before[1])
        if abs(jump) <= self.clock_jump_s:
            return 0.0
        store = self.pipeline.store
        moved = 0
        with store.transaction():
            for feed in store.list_feeds():
                if feed.next_due is not None:
                    store.update_feed(dataclasses.replace(feed, next_due=feed.next_due + timedelta(seconds=jump)))
                    moved += 1
        log.warning("the wall clock jumped %s by %.0fs: the next due time of %d feeds moved with it",
                    "forward" if jump > 0 else "back", abs(jump), moved,
                    extra={"event": "clock_jump", "seconds": round(jump, 1), "feeds": moved})
        return jump


def check_port(host: str, port: int) -> None:
    """Fail at once, before any work, when the web port cannot be had (another process listens
    on it, or the address is not this machine's): uvicorn would only say so from its thread,
    and the caller used to wait 30 s for a server that never started. RuntimeError naming it."""
    import errno
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError as exc:
        raise RuntimeError(f"--host {host}: cannot resolve it ({exc.strerror or exc})") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            sock.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise RuntimeError(f"--port {port}: {host}:{port} is already in use by another process "
                                   "(another `newsloom run` or `serve`?); stop it or choose another --port") from None
            raise RuntimeError(f"--host/--port {host}:{port}: cannot listen there "
                               f"({exc.strerror or exc})") from None


def start_web(settings: Any, host: str, port: int) -> Any:
    """The reader in a thread of this process; raises RuntimeError when it did not start."""
    from newsloom.web.server import start_in_thread

    check_port(host, port)

    server = start_in_thread(settings, host=host, port=port)
    if not getattr(server, "started", False):
        server.should_exit = True
        raise RuntimeError(f"--host/--port {host}:{port}: the web server did not start (port in use?)")
    log.info("serving the web app on http://%s:%d/", host, port, extra={"event": "web", "host": host, "port": port})
    return server


def stop_web(server: Any, timeout_s: float = 5.0) -> None:
    """Ask uvicorn to exit and wait (briefly) for its thread: open requests are answered first."""
    server.should_exit = True
    deadline = time.monotonic() + timeout_s
    for thread in threading.enumerate():
        if thread.name == "newsloom-web":
            thread.join(max(0.0, deadline - time.monotonic()))


def final_line(totals: Totals, stopped_by: str | None) -> str:
    counts = ", ".join(f"{n:,} {s.replace('_', ' ')}" for s, n in sorted(totals.counts.items())) or "nothing new"
    why = f"stopped on {stopped_by}" if stopped_by else "done"
    return (f"{why} after {totals.passes} pass{'es' if totals.passes != 1 else ''}: {counts} "
            f"({totals.articles:,} articles stored in {totals.seconds:.1f}s); everything stored is kept")
