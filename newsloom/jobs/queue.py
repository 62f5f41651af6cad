"""Job kinds, payloads and the retry policy over the store's job table (store/_jobs.py).

Kinds: ``fetch-feed`` ({"feed_id": n}: one polite fetch of a feed and its new pages) and
``process-page`` ({"url": ..., "html": ...}: extract, dedupe and store one page; or {"doc": ...,
"where": ...}: one archive record queued by ``newsloom ingest --queue``, see backfill.py),
``recrawl`` ({"articles": [[id, steps done], ...]}: fetch stored articles again, see recrawl.py)
and ``retract`` ({"article": id, "url": ..., "reason": ...}: hide an article a recrawl found gone;
only the worker holding the stories runs it). All are idempotent, which is what makes a retry
after a killed worker safe: a page already stored is recognised by its URL and content hash and
not stored again; a feed fetched twice finds its pages stored; a recrawl skips the articles whose
step count moved since it was queued; a retraction of a removed article does nothing."""

from __future__ import annotations

import json
from typing import Any

from newsloom.errors import NewsloomError
from newsloom.store import Store
from newsloom.store._jobs import STATES, Job

__all__ = ["FETCH_FEED", "KINDS", "PROCESS_PAGE", "RECRAWL", "RETRACT", "STATES", "Job", "backoff_s", "enqueue", "payload"]

FETCH_FEED = "fetch-feed"
PROCESS_PAGE = "process-page"
RECRAWL = "recrawl"
RETRACT = "retract"
KINDS = (FETCH_FEED, PROCESS_PAGE, RECRAWL, RETRACT)
# what any worker claims; a retraction reaches the stories, which only the serial lock's holder has
ANY_WORKER = (FETCH_FEED, PROCESS_PAGE, RECRAWL)
MAX_TRIES = 5


def backoff_s(tries: int, base_s: float = 5.0, cap_s: float = 3600.0) -> float:
    """Seconds before try ``tries + 1``: 5 s, 10 s, 20 s, ... doubling, at most an hour."""
    return min(cap_s, base_s * 2 ** max(0, tries - 1))


def enqueue(store: Store, kind: str, data: dict[str, Any], key: str | None = None,
            max_tries: int = MAX_TRIES) -> int | None:
    """Queue a job (None when one with the same ``key`` is still open)."""
    if kind not in KINDS:
        raise NewsloomError(f"job kind {kind!r}: unknown; expected one of {', '.join(KINDS)}")
    return store.enqueue_job(kind, json.dumps(data, ensure_ascii=False), key, max_tries)  # type: ignore[attr-defined]


def payload(job: Job) -> dict[str, Any]:
    try:
        data = json.loads(job.payload)
    except ValueError as exc:
        raise NewsloomError(f"job {job.id}: payload is not JSON ({exc})") from None
    if not isinstance(data, dict):
        raise NewsloomError(f"job {job.id}: payload is not a JSON object")
    return data
