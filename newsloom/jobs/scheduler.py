"""Due feeds become ``fetch-feed`` jobs. Every worker runs this between claims; the open-job key
``feed:<id>`` makes that safe (one open fetch per feed however many workers schedule), and the
fetch itself moves the feed's next_due forward."""

from __future__ import annotations

from newsloom.jobs.queue import FETCH_FEED, enqueue
from newsloom.models import utcnow
from newsloom.store import Store


def schedule_due_feeds(store: Store) -> int:
    """Queue a fetch of every due feed without an open one; returns how many were queued."""
    added = 0
    for feed in store.due_feeds(utcnow()):
        if feed.id is not None and enqueue(store, FETCH_FEED, {"feed_id": feed.id}, key=f"feed:{feed.id}"):
            added += 1
    return added
