"""What a running newsloom is doing, for `newsloom status` (once, `--watch` live, or `--json`).

Two sources, so that one view serves `newsloom run` on SQLite and any number of `newsloom worker`
processes on PostgreSQL alike:

- the store itself: feeds due now, backing off and switched off; articles and stories; articles
  still waiting for a story (story lag); queued, running and dead jobs and how long the oldest
  queued job has waited (queue lag);
- heartbeats: every long-running process writes a small JSON document under the state key
  ``process:<host>:<pid>`` every few seconds (``Heartbeat``): its role, what it is doing, feeds
  in flight, what it has stored, since when. A process that stops says so and removes its entry;
  one killed with -9 stops beating and is shown as *silent* once its heartbeat is three intervals
  old (and dropped after a day).

Articles/s in the live view is the change in the article count between two refreshes, so it is the
rate of the whole installation, whichever processes store."""

from __future__ import annotations

import json
import logging
import os
import socket
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newsloom.app.sources import poll_outlook
from newsloom.errors import NewsloomError
from newsloom.models import utcnow

log = logging.getLogger("newsloom.status")

PREFIX = "process:"
INTERVAL_S = 5.0
FORGET_AFTER = timedelta(days=1)


def process_key(host: str | None = None, pid: int | None = None) -> str:
    return f"{PREFIX}{host or socket.gethostname()}:{pid or os.getpid()}"


class Heartbeat:
    """Publishes ``fields(store)`` (a JSON-able dict; ``store`` is the beat's own connection) with role, host, pid, start and update times under
    this process's state key, every ``interval_s`` seconds from a daemon thread, on its own store
    connection (``open_store(url)``), so the beat never waits for, or holds up, the pipeline's
    writer. A failing write is logged once and retried at the next beat: a status view must never
    stop the work it describes."""

    def __init__(self, db_url: str, role: str, fields: Callable[[Any], dict[str, Any]],
                 interval_s: float = INTERVAL_S) -> None:
        self.db_url, self.role, self.fields, self.interval_s = db_url, role, fields, interval_s
        self.key = process_key()
        self.started = utcnow()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._store: Any = None
        self._failing = False

    def document(self, store: Any = None) -> dict[str, Any]:
        try:
            live = dict(self.fields(store))
        except Exception as exc:  # noqa: BLE001 - the view is best effort; the work goes on
            live = {"state": f"status unavailable ({exc})"}
        return {"role": self.role, "host": socket.gethostname(), "pid": os.getpid(),
                "started": self.started.isoformat(), "updated": utcnow().isoformat(),
                "interval_s": self.interval_s, **live}

    def beat(self) -> None:
        from newsloom.store import open_store

        try:
            if self._store is None:
                self._store = open_store(self.db_url, create=False)
            self._store.set_state(self.key, json.dumps(self.document(self._store), default=str, ensure_ascii=False))
            self._failing = False
        except Exception as exc:  # noqa: BLE001 - see the class docstring
            if not self._failing:
                log.warning("status heartbeat not written (%s); the work goes on", exc,
                            extra={"event": "heartbeat-failed"})
            self._failing = True
            self._close_store()

    def start(self) -> "Heartbeat":
        self.beat()
        self._thread = threading.Thread(target=self._loop, name="newsloom-heartbeat", daemon=True)
        self._thread.start()
        return self

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.beat()

    def stop(self) -> None:
        """Stop beating and remove this process's entry (a clean stop is not 'silent')."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(self.interval_s + 5)
        try:
            if self._store is not None:
                self._store.delete_state(self.key)
        except Exception:  # noqa: BLE001 - the entry then ages out as silent, then forgotten
            pass
        self._close_store()

    def _close_store(self) -> None:
        if self._store is not None:
            try:
                self._store.close()
            except Exception:  # noqa: BLE001
                pass
            self._store = None


@dataclass
class Process:
    key: str
    role: str
    host: str
    pid: int
    started: datetime | None
    updated: datetime | None
    silent: bool  # no beat for three intervals: killed, hung, or its machine is gone
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass
class Snapshot:
    at: datetime
    feeds_active: int
    feeds_due_now: int
    feeds_backing_off: int
    feeds_switched_off: int
    next_due: datetime | None
    articles: int
    stories: int
    without_story: int  # stored, not yet given a story (the story stage's lag, in articles)
    jobs: dict[str, int]  # state -> count
    oldest_queued_s: float | None  # queue lag: how long the oldest runnable job has waited
    processes: list[Process]
    recrawl_due: int = 0  # articles due for a recrawl now (app/recrawl.py)
    recrawl_late_s: float | None = None  # how late the most overdue of them is
    articles_per_s: float | None = None  # filled in by ``rate`` from two snapshots
    store_bytes: int | None = None  # what the store takes on disk (SQLite: file + WAL; PostgreSQL: its schema)
    disk_free_bytes: int | None = None  # free on the store's file system (SQLite only)

    def to_json(self) -> dict[str, Any]:
        return json.loads(json.dumps(asdict(self), default=str))


def _dt(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def processes(store: Any, now: datetime | None = None) -> list[Process]:
    """Heartbeats in the store; entries silent for a day are deleted (a crashed process's)."""
    now = now or utcnow()
    found: list[Process] = []
    for key, value in store.states(PREFIX).items():
        try:
            doc = json.loads(value)
            if not isinstance(doc, dict):
                raise ValueError("not an object")
        except ValueError:
            doc = {}
        updated = _dt(doc.get("updated"))
        interval = float(doc.get("interval_s") or INTERVAL_S)
        age = (now - updated) if updated else FORGET_AFTER
        if age >= FORGET_AFTER:
            try:
                store.delete_state(key)
            except NewsloomError:
                pass
            continue
        rest = {k: v for k, v in doc.items() if k not in ("role", "host", "pid", "started", "updated", "interval_s")}
        found.append(Process(key=key, role=str(doc.get("role") or "?"), host=str(doc.get("host") or "?"),
                             pid=int(doc.get("pid") or 0), started=_dt(doc.get("started")), updated=updated,
                             silent=age.total_seconds() > 3 * interval, fields=rest))
    return found


def snapshot(store: Any, now: datetime | None = None, settings: Any = None) -> Snapshot:
    """One look at the store (a handful of counting queries); with ``settings``, the recrawl's
    backlog by its schedule too."""
    now = now or utcnow()
    outlook = poll_outlook(store.list_feeds(), now)
    jobs: dict[str, int] = {}
    oldest: float | None = None
    if hasattr(store, "job_counts"):
        for (_kind, state), n in store.job_counts().items():
            jobs[state] = jobs.get(state, 0) + n
        queued = [j for j in store.list_jobs("queued", limit=200) if j.created_at is not None]
        runnable = [j for j in queued if j.run_after is None or j.run_after <= now]
        if runnable:
            oldest = max(0.0, (now - min(j.created_at for j in runnable)).total_seconds())  # type: ignore[type-var]
    waiting = store.articles_without_story(limit=100_000) if hasattr(store, "articles_without_story") else []
    recrawl: tuple[int, float | None] = (0, None)
    if settings is not None:
        from newsloom.app.recrawl import backlog

        recrawl = backlog(store, settings, now)
    used, free = store.disk_usage() if hasattr(store, "disk_usage") else (None, None)
    return Snapshot(at=now, feeds_active=outlook.active, feeds_due_now=outlook.due_now,
                    feeds_backing_off=outlook.backing_off, feeds_switched_off=outlook.switched_off,
                    next_due=outlook.next_due, articles=store.count_articles(),
                    stories=store.count_stories() if hasattr(store, "count_stories") else 0,
                    without_story=len(waiting), jobs=jobs, oldest_queued_s=oldest,
                    processes=processes(store, now), recrawl_due=recrawl[0], recrawl_late_s=recrawl[1],
                    store_bytes=used, disk_free_bytes=free)


def rate(before: Snapshot | None, now: Snapshot) -> Snapshot:
    """``now`` with articles/s since ``before`` (None on the first look)."""
    if before is not None:
        seconds = (now.at - before.at).total_seconds()
        if seconds > 0:
            now.articles_per_s = round(max(0, now.articles - before.articles) / seconds, 2)
    return now
