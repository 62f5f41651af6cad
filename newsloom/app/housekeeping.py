"""Housekeeping: a store that a daemon writes to for months stays bounded where nothing needs
the rows any more. Deleted once older than their setting (0 keeps them for good):

- ``keep_pages_days`` (30): fetched pages, the bytes each article was extracted from — on real
  news pages the bulk of a store (a compressed page is several times its article's text). The
  article keeps its text, story, lineage, search entry and links; what goes is what a recrawl
  compares a page with (done after the last step, which the setting must outlive: config.py)
  and the proof a re-ingest of the same file is unchanged (it is then analysed again and found
  the same article). Pages from an archive go by the archive's dates: the archive is the copy.
- ``keep_fetch_log_days`` (30): the fetch log (`sources log`); /metrics' fetch counters keep
  counting what was deleted.
- ``keep_done_jobs_days`` (7): finished jobs of scale mode; dead letters stay for the operator,
  and a back-fill's finished jobs stay (compacted), its record of what it did.
- with no setting (caches, one row per site): what workers share through a PostgreSQL store
  (SQLite's `run` keeps it in memory) about a site: its robots.txt copy a day (``CACHE_DAYS``)
  after it expired, its request slot a day after its last request.

``newsloom run`` does it after a pass at most hourly, the worker holding the serial lock the
same, each time within a time budget (a large first clean-up after an upgrade takes a few
passes); ``newsloom prune`` does it at once, or says what it would delete (``--dry-run``).
SQLite reuses the freed pages for new rows, so the file stops growing rather than shrinks
(``VACUUM`` shrinks it, offline)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from newsloom.config import Settings
from newsloom.models import utcnow
from newsloom.store.base import Store

log = logging.getLogger(__name__)

#: kind -> the setting that says how many days it is kept
SETTINGS = {"pages": "keep_pages_days", "fetch_log": "keep_fetch_log_days", "jobs": "keep_done_jobs_days"}
EVERY_S = 3600.0  # a daemon's housekeeping at most this often...
AGAIN_S = 60.0  # ...or this soon again when the budget ran out with more to delete
BUDGET_S = 10.0
BATCH = 2000
CACHE_DAYS = 1.0  # robots.txt copies expired, and host slots unused, this long ago go


@dataclass
class Pruned:
    """Rows deleted by kind; ``complete`` is False when the time budget ran out first."""

    deleted: dict[str, int] = field(default_factory=dict)
    complete: bool = True

    @property
    def total(self) -> int:
        return sum(self.deleted.values())


def cutoffs(settings: Settings, now: datetime | None = None) -> dict[str, datetime]:
    """kind -> rows older than this go; kinds kept for good are absent."""
    now = now or utcnow()
    return {kind: now - timedelta(days=float(getattr(settings, name)))
            for kind, name in SETTINGS.items() if float(getattr(settings, name)) > 0}


def supported(store: Store) -> bool:
    return callable(getattr(store, "prune", None))


def plan(store: Store, settings: Settings, now: datetime | None = None) -> dict[str, tuple[int, int]]:
    """kind -> (rows, bytes) that :func:`prune` would delete now (bytes: pages' stored bodies)."""
    found = {kind: store.prunable(kind, before)  # type: ignore[attr-defined]
             for kind, before in cutoffs(settings, now).items()}
    if callable(getattr(store, "prune_fetch_caches", None)):
        found["fetch_caches"] = (store.fetch_caches_prunable(_caches_cutoff(now)), 0)  # type: ignore[attr-defined]
    return found


def _caches_cutoff(now: datetime | None) -> datetime:
    return (now or utcnow()) - timedelta(days=CACHE_DAYS)


def prune(store: Store, settings: Settings, now: datetime | None = None, budget_s: float | None = None,
          batch: int = BATCH) -> Pruned:
    """Delete what is older than its setting, oldest first, a batch per transaction, until none
    is left or ``budget_s`` seconds are spent (None: until none is left)."""
    out = Pruned()
    started = time.monotonic()
    for kind, before in cutoffs(settings, now).items():
        out.deleted[kind] = 0
        while True:
            if budget_s is not None and time.monotonic() - started >= budget_s:
                out.complete = False
                return out
            n = store.prune(kind, before, batch)  # type: ignore[attr-defined]
            out.deleted[kind] += n
            if n < batch:
                break
    if callable(getattr(store, "prune_fetch_caches", None)):
        if n := store.prune_fetch_caches(_caches_cutoff(now)):  # type: ignore[attr-defined]
            out.deleted["fetch_caches"] = n
    return out


class Housekeeper:
    """Housekeeping in a long-lived process: :meth:`maybe_run` after each pass (``run``) or step
    (the serial worker) does it when due — at the first call, then hourly — within ``budget_s``."""

    def __init__(self, store: Store, settings: Settings, every_s: float = EVERY_S, budget_s: float = BUDGET_S) -> None:
        self.store, self.settings, self.every_s, self.budget_s = store, settings, every_s, budget_s
        self._next = 0.0

    def maybe_run(self) -> Pruned | None:
        if time.monotonic() < self._next or not supported(self.store):
            return None
        self._next = time.monotonic() + min(AGAIN_S, self.every_s)  # also when it fails: not every pass
        done = prune(self.store, self.settings, budget_s=self.budget_s)
        self._next = time.monotonic() + (self.every_s if done.complete else min(AGAIN_S, self.every_s))
        if done.total:
            log.info("housekeeping: %s%s", describe(done.deleted), "" if done.complete else " (more left)",
                     extra={"event": "housekeeping", **{f"deleted_{k}": v for k, v in done.deleted.items()}})
        return done


NAMES = {"pages": "fetched pages", "fetch_log": "fetch-log entries", "jobs": "finished jobs",
         "fetch_caches": "robots.txt copies and host slots unused for a day"}


def describe(counts: dict[str, int]) -> str:
    """``{"pages": 3, "jobs": 1}`` -> "deleted 3 fetched pages, 1 finished jobs"."""
    return "deleted " + ", ".join(f"{n:,} {NAMES[k]}" for k, n in counts.items())
