"""The recrawl in scale mode: articles due again (``recrawl_steps``: 1 h, 24 h, 7 d after their
first fetch) become ``recrawl`` jobs that any worker runs, so the recrawl's fetching and analysis
spread over the workers as the crawl's do (``newsloom run`` recrawls in its own process instead,
after each pass: ``app.recrawl.recrawl_for``).

- **Scheduling**, by the serial lock's holder only (one scheduler, no races): the most overdue
  due articles, in jobs of :data:`BATCH`, while fewer than :data:`OPEN_CAP` recrawl jobs are
  open (a queue backed up behind a back-fill does not grow without end). Each queued article is
  *held* (``recrawl_at`` moved :data:`HOLD` ahead, its steps done unchanged): not due again,
  so never queued twice; if its job never finishes (dead-letter) it falls due after the hold.
- **A job** reads its articles again and skips one whose steps done changed since it was
  queued (a retry after a worker was killed mid-job: that one is done), then recrawls them like
  ``run`` does (conditional requests through the shared limiter; unchanged pages cheap; a
  change stored as a revision). Fetches still waiting at half the lease are cancelled and
  those articles left held, for a later job, so a slow host never makes the lease run out.
- **A page found gone** (404/410, redirect to the home page, noindex now) is retracted by the
  worker holding the stories (the serial lock), because taking an article out of its story
  needs the clusterer's state: a worker without it queues a ``retract`` job, which only that
  worker claims.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from newsloom.app.recrawl import RecrawlReport, fetch_all, recrawl_items, retract
from newsloom.config import Settings
from newsloom.errors import NewsloomError, NotFoundError
from newsloom.jobs.queue import RECRAWL, RETRACT, enqueue
from newsloom.models import utcnow
from newsloom.rights import recrawl as rule
from newsloom.store import Store

log = logging.getLogger("newsloom.worker")

BATCH = 50  # articles a job: at 1 request/s to one host, under a minute
OPEN_CAP = 20  # recrawl jobs open at once
HOLD = timedelta(hours=1)  # a queued article is not due again before this


def schedule_recrawl(store: Store, settings: Settings, now: datetime | None = None,
                     batch: int = BATCH, open_cap: int = OPEN_CAP) -> int:
    """Queue ``recrawl`` jobs for the articles due now; returns the jobs queued."""
    steps = rule.parse_steps(settings.recrawl_steps)
    room = open_cap - store.open_jobs(RECRAWL) if steps else 0  # type: ignore[attr-defined]
    if room <= 0:
        return 0
    now = now or utcnow()
    due = store.recrawl_due(now, *rule.window(now, steps), room * batch, len(steps))  # type: ignore[attr-defined]
    queued = 0
    for start in range(0, len(due), batch):
        chunk = due[start:start + batch]
        first, done = chunk[0][0], chunk[0][3]
        with store.transaction():  # the job and its articles' hold land together, or neither
            if enqueue(store, RECRAWL, {"articles": [[aid, n] for aid, _, _, n in chunk]},
                       key=f"recrawl:{first}:{done}") is None:
                continue  # its key's job is still open (queued past the hold): due again, not held
            queued += 1
            store.hold_recrawl([aid for aid, _, _, _ in chunk], now + HOLD)  # type: ignore[attr-defined]
    return queued


def run_recrawl_job(store: Store, settings: Settings, pipeline: Any, data: dict[str, Any],
                    services: Any = None, within_s: float | None = None) -> RecrawlReport:
    """One ``recrawl`` job. ``services`` (``app.rights.Services``): this worker holds the
    stories and retracts itself; None: it queues a ``retract`` job for the one that does."""
    wanted = _articles(data)
    items = [item for item in store.recrawl_items(list(wanted))  # type: ignore[attr-defined]
             if item[3] == wanted[item[0]]]  # steps done since queued: a retried job's finished part

    def retracting(aid: int, url: str, reason: str) -> None:
        if services is not None:
            retract(store, services, aid, url, reason)
        else:
            enqueue(store, RETRACT, {"article": aid, "url": url, "reason": reason}, key=f"retract:{aid}")

    if not items:
        return RecrawlReport()
    return recrawl_items(store, settings, pipeline, items, retracting, fetch_all(settings, pipeline, within_s))


def run_retract_job(store: Store, services: Any, data: dict[str, Any]) -> str:
    """One ``retract`` job (the stories' holder only): the article hidden and out of its story,
    as ``newsloom run``'s recrawl does it. An article removed meanwhile is done already."""
    try:
        aid, url, reason = int(data["article"]), str(data["url"]), str(data["reason"])
    except (KeyError, TypeError, ValueError):
        raise NewsloomError("retract job: needs 'article' (an id), 'url' and 'reason'") from None
    try:
        if store.get_article(aid).status == "removed":
            return "removed already"
    except NotFoundError:
        return "removed already"
    retract(store, services, aid, url, reason)
    return "retracted"


def _articles(data: dict[str, Any]) -> dict[int, int]:
    """{article id: steps done when queued} from a job's payload."""
    try:
        return {int(aid): int(done) for aid, done in data["articles"]}
    except (KeyError, TypeError, ValueError):
        raise NewsloomError("recrawl job: 'articles' must be a list of [article id, steps done]") from None
