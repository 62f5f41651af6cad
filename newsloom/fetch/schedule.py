"""When to poll a feed next. Pure functions: a Feed in, a new Feed out, no I/O, no clock
unless ``now`` is omitted.

- After a poll the interval moves toward "about one new item per poll": no new items makes
  it 1.5x longer, one keeps it, n > 1 divides it by n (at most by 4), always within
  [min_feed_interval_s, max_feed_interval_s].
- After an error the feed backs off exponentially from its normal interval
  (interval * 2^(errors-1), capped by max_backoff_s) and never sooner than a Retry-After; the
  normal interval itself is kept so the feed returns to its rhythm once it recovers.
- RetryLater (our own rate limit said "not now") and a 429 (the host's) are no fault of the
  feed: it is simply deferred (after the Retry-After when given), without counting an error.
- A feed that answers 410 Gone ``disable_after_410`` polls in a row, or 404 Not Found
  ``disable_after_404`` polls in a row, is switched off (``active = False``, with the reason in
  ``last_error``); ``newsloom sources enable FEED_ID`` switches it back on. A 404 gets more
  chances than a 410: sites break their feed URLs for a day during redesigns.
- Every delay is stretched by a small share (``poll_jitter``, at most +10% by default) derived
  from the feed URL and the poll time, so feeds imported together spread out instead of falling
  due in the same second. Only ever later, never sooner: a Retry-After stays honoured.
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import datetime, timedelta

from newsloom.config import Settings
from newsloom.errors import FeedParseError, FetchError, HTTPStatusError, RetryLater
from newsloom.models import Feed, utcnow

GROW = 1.5
MAX_SHRINK = 4


def _clamp(value: float, settings: Settings) -> int:
    return int(min(settings.max_feed_interval_s, max(settings.min_feed_interval_s, round(value))))


def next_interval(interval_s: int, new_items: int, settings: Settings) -> int:
    if new_items <= 0:
        return _clamp(interval_s * GROW, settings)
    return _clamp(interval_s / min(new_items, MAX_SHRINK), settings)


def jittered(delay_s: float, feed: Feed, now: datetime, settings: Settings) -> float:
    """``delay_s`` stretched by up to ``poll_jitter`` of itself; deterministic for the same feed
    URL and time (a hash, not ``random``: tests and replays see the same schedule)."""
    if settings.poll_jitter <= 0 or delay_s <= 0:
        return delay_s
    digest = hashlib.blake2b(f"{feed.url}|{now.isoformat()}".encode(), digest_size=8).digest()
    share = int.from_bytes(digest, "big") / 2**64  # uniform in [0, 1)
    return delay_s * (1.0 + settings.poll_jitter * share)


def on_success(feed: Feed, settings: Settings, *, new_items: int, not_modified: bool = False,
               now: datetime | None = None) -> Feed:
    """The feed answered (200 or 304): adapt the interval, clear errors, set next_due."""
    now = now or utcnow()
    new_items = 0 if not_modified else max(0, new_items)
    interval = next_interval(feed.interval_s or settings.default_feed_interval_s, new_items, settings)
    return dataclasses.replace(
        feed,
        interval_s=interval,
        next_due=now + timedelta(seconds=jittered(interval, feed, now, settings)),
        error_count=0,
        gone_count=0,
        last_status="not_modified" if not_modified else "ok",
        last_error=None,
        last_fetched=now,
        last_new_items=new_items,
    )


def is_deferral(error: BaseException) -> bool:
    """Not the feed's fault, only "not now": our own rate limit (RetryLater) or the host's
    429 Too Many Requests. The feed is simply asked later, without counting an error."""
    return isinstance(error, RetryLater) or (isinstance(error, HTTPStatusError) and error.code == 429)


def error_status(error: BaseException) -> str:
    """The short outcome recorded in Feed.last_status and FetchLog.status."""
    if isinstance(error, HTTPStatusError) and error.code == 429:
        return RetryLater.status  # the HTTP code stays in FetchLog.http_status
    if isinstance(error, FetchError):
        return error.status
    if isinstance(error, FeedParseError):
        return "parse_error"
    return "error"


def retry_after_of(error: BaseException) -> float | None:
    if isinstance(error, (HTTPStatusError, RetryLater)):
        return error.retry_after
    return None


def backoff_s(interval_s: int, error_count: int, settings: Settings,
              retry_after: float | None = None) -> int:
    """Seconds until the next attempt after ``error_count`` consecutive errors."""
    base = max(interval_s, settings.min_feed_interval_s)
    delay = base * 2 ** max(0, min(error_count - 1, 32))  # min(): 2**huge would be a bigint
    if retry_after is not None:
        delay = max(delay, retry_after)
    return int(min(delay, settings.max_backoff_s))


def on_error(feed: Feed, settings: Settings, error: BaseException, *,
             now: datetime | None = None) -> Feed:
    """The poll failed: back off (honouring Retry-After) and keep the message for the user."""
    now = now or utcnow()
    retry_after = retry_after_of(error)
    interval = feed.interval_s or settings.default_feed_interval_s
    if is_deferral(error):
        return dataclasses.replace(
            feed, next_due=now + timedelta(seconds=min(retry_after or interval, settings.max_backoff_s)),
            last_status=error_status(error), last_error=str(error))
    errors = feed.error_count + 1
    delay = jittered(backoff_s(interval, errors, settings, retry_after), feed, now, settings)
    status, message, active = error_status(error), str(error), feed.active
    limit = gone_limit(error, settings)
    gone = feed.gone_count + 1 if limit is not None else 0
    if limit is not None and gone >= limit:
        active = False
        status = "disabled"
        message = (f"{message}; switched off after {gone} polls in a row answered HTTP "
                   f"{getattr(error, 'code', '?')} (newsloom sources enable {feed.id or 'FEED_ID'} to follow it again)")
    return dataclasses.replace(
        feed,
        error_count=errors,
        next_due=now + timedelta(seconds=delay),
        last_status=status,
        last_error=message,
        last_fetched=now,
        last_new_items=0,
        active=active,
        gone_count=gone,
    )


def gone_limit(error: BaseException, settings: Settings) -> int | None:
    """Consecutive polls after which this answer switches a feed off, or None (never)."""
    if isinstance(error, HTTPStatusError):
        if error.code == 410:
            return max(1, settings.disable_after_410)
        if error.code == 404:
            return max(1, settings.disable_after_404)
    return None


def is_due(feed: Feed, now: datetime | None = None) -> bool:
    return feed.active and (feed.next_due is None or feed.next_due <= (now or utcnow()))
