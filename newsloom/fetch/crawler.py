"""One polite pass over a list of feeds. Network only: the caller stores what it is handed.

For each feed: conditional GET, parse (following a sitemap index a bounded way down), update
the feed's schedule, then fetch up to ``settings.max_articles_per_feed`` article pages the
caller has not ``seen``, handing each to ``on_page`` as a RawDocument. Every fetch outcome
becomes a FetchLog, handed with the updated Feed to ``on_feed`` once the feed is done.

Feeds run concurrently; the per-host token bucket serialises requests to one host, so feeds
of different hosts proceed in parallel. A feed's failure is recorded and never stops others;
errors raised by the callbacks (NewsloomError) are counted and reported, not propagated.
"""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from newsloom.config import Settings
from newsloom.errors import (
    FeedParseError,
    FetchError,
    NewsloomError,
    RetryLater,
    RobotsDisallowed,
)
from newsloom.fetch import schedule
from newsloom.fetch.feeds import ParsedFeed, parse_feed
from newsloom.fetch.http import Fetcher, FetchResult
from newsloom.models import Feed, FeedItem, FetchLog, RawDocument

MAX_CHILD_SITEMAPS = 5  # newest children of a sitemap index fetched per pass
MAX_SITEMAP_DEPTH = 2  # an index of indexes is allowed; deeper nesting is ignored

_OLDEST = datetime.min.replace(tzinfo=UTC)


@dataclass
class CrawlSummary:
    feeds_ok: int = 0
    feeds_not_modified: int = 0
    feeds_failed: int = 0
    feeds_deferred: int = 0  # not asked: the host's rate limit / Retry-After said "later"
    pages_fetched: int = 0
    pages_failed: int = 0
    pages_skipped: int = 0  # already seen, listed by another feed, robots, or deferred
    bytes: int = 0
    callback_errors: int = 0
    seconds: float = 0.0
    errors: list[str] = field(default_factory=list)  # one line per failed feed


def to_raw(result: FetchResult, item: FeedItem | None = None, feed: Feed | None = None) -> RawDocument:
    return RawDocument(
        url=result.url,
        body=result.body,
        content_type=result.content_type,
        encoding=result.encoding,
        http_status=result.status_code,
        headers=result.headers,
        final_url=result.final_url,
        feed_item=item,
        source_id=feed.source_id if feed else None,
        feed_id=feed.id if feed else None,
        origin="fetch",
    )


def _log(url: str, feed: Feed, result: FetchResult | None = None,
         error: BaseException | None = None, elapsed_ms: float = 0.0) -> FetchLog:
    if error is not None:
        code = getattr(error, "code", None)
        return FetchLog(url=url, status=schedule.error_status(error),
                        http_status=code if isinstance(code, int) else None,
                        elapsed_ms=elapsed_ms, error=str(error), feed_id=feed.id)
    assert result is not None
    return FetchLog(url=url, status="not_modified" if result.not_modified else "ok",
                    http_status=result.status_code, bytes=len(result.body),
                    elapsed_ms=result.elapsed_ms, feed_id=feed.id)


class _Crawl:
    def __init__(self, fetcher: Fetcher, settings: Settings, seen: Callable[[str], bool],
                 on_page: Callable[[RawDocument], None],
                 on_feed: Callable[[Feed, list[FetchLog]], None],
                 progress: Callable[[str], None] | None) -> None:
        self.fetcher, self.settings, self.seen = fetcher, settings, seen
        self.on_page, self.on_feed, self.progress = on_page, on_feed, progress
        self.summary = CrawlSummary()
        self.claimed: set[str] = set()  # page URLs already taken by a feed in this pass

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    def _call(self, what: str, fn: Callable[..., None], *args: object) -> str | None:
        try:
            fn(*args)
        except NewsloomError as exc:
            self.summary.callback_errors += 1
            self._say(f"{what} failed: {exc}")
            return str(exc)
        return None

    def _seen(self, url: str) -> bool:
        try:
            return self.seen(url)
        except NewsloomError as exc:  # a store hiccup: fetch again rather than lose the page
            self.summary.callback_errors += 1
            self._say(f"seen({url}) failed: {exc}")
            return False

    async def feed(self, feed: Feed) -> None:
        logs: list[FetchLog] = []
        start = time.perf_counter()
        try:
            result = await self.fetcher.fetch(feed.url, kind="feed", etag=feed.etag,
                                              last_modified=feed.last_modified)
        except FetchError as exc:
            logs.append(_log(feed.url, feed, error=exc,
                             elapsed_ms=(time.perf_counter() - start) * 1000))
            self._fail(feed, exc, logs)
            return
        self.summary.bytes += len(result.body)
        if result.not_modified:
            logs.append(_log(feed.url, feed, result))
            self.summary.feeds_not_modified += 1
            self._say(f"{feed.url}: not modified")
            self._call("on_feed", self.on_feed,
                       schedule.on_success(feed, self.settings, new_items=0, not_modified=True), logs)
            return
        try:
            parsed = parse_feed(result.body, result.final_url, result.content_type)
        except FeedParseError as exc:
            log = _log(feed.url, feed, error=exc, elapsed_ms=result.elapsed_ms)
            log.http_status, log.bytes = result.status_code, len(result.body)
            logs.append(log)
            self._fail(feed, exc, logs)
            return
        logs.append(_log(feed.url, feed, result))
        items = parsed.items + await self._children(parsed, feed, logs, depth=1)
        feed = dataclasses.replace(
            feed,
            etag=result.headers.get("etag") or None,
            last_modified=result.headers.get("last-modified") or None,
            title=feed.title or parsed.title,
        )
        new: list[FeedItem] = []
        for it in sorted(items, key=lambda i: i.published or _OLDEST, reverse=True):
            if it.url in self.claimed or self._seen(it.url):
                self.summary.pages_skipped += 1
            else:
                new.append(it)
        self._say(f"{feed.url}: {len(items)} items, {len(new)} new")
        # newest first; only what is fetched now is claimed, so another feed listing one of
        # the rest can still fetch it in this pass
        pages = new[: self.settings.max_articles_per_feed]
        self.claimed.update(it.url for it in pages)
        page_logs = await asyncio.gather(*(self.page(it, feed) for it in pages))
        logs.extend(page_logs)
        self.summary.feeds_ok += 1
        self._call("on_feed", self.on_feed,
                   schedule.on_success(feed, self.settings, new_items=len(new)), logs)

    async def _children(self, parsed: ParsedFeed, feed: Feed, logs: list[FetchLog],
                        depth: int) -> list[FeedItem]:
        """Items of a sitemap index's newest child sitemaps (bounded breadth and depth)."""
        if not parsed.sitemaps or depth > MAX_SITEMAP_DEPTH:
            return []
        children = sorted(parsed.sitemaps, key=lambda i: i.published or _OLDEST, reverse=True)
        items: list[FeedItem] = []
        for child in children[:MAX_CHILD_SITEMAPS]:
            try:
                result = await self.fetcher.fetch(child.url, kind="feed")
                sub = parse_feed(result.body, result.final_url, result.content_type)
            except (FetchError, FeedParseError) as exc:
                logs.append(_log(child.url, feed, error=exc))
                continue
            self.summary.bytes += len(result.body)
            logs.append(_log(child.url, feed, result))
            items.extend(sub.items)
            items.extend(await self._children(sub, feed, logs, depth + 1))
        return items

    async def page(self, item: FeedItem, feed: Feed) -> FetchLog:
        start = time.perf_counter()
        try:
            result = await self.fetcher.fetch(item.url, kind="page")
        except FetchError as exc:
            if isinstance(exc, (RetryLater, RobotsDisallowed)):
                self.summary.pages_skipped += 1
            else:
                self.summary.pages_failed += 1
            return _log(item.url, feed, error=exc, elapsed_ms=(time.perf_counter() - start) * 1000)
        self.summary.pages_fetched += 1
        self.summary.bytes += len(result.body)
        log = _log(item.url, feed, result)
        problem = self._call("on_page", self.on_page, to_raw(result, item, feed))
        if problem is not None:
            log.status, log.error = "error", problem
        return log

    def _fail(self, feed: Feed, exc: BaseException, logs: list[FetchLog]) -> None:
        if isinstance(exc, RetryLater):
            self.summary.feeds_deferred += 1
        else:
            self.summary.feeds_failed += 1
            self.summary.errors.append(str(exc))
        self._say(f"{feed.url}: {exc}")
        self._call("on_feed", self.on_feed, schedule.on_error(feed, self.settings, exc), logs)


async def crawl(
    feeds: list[Feed],
    settings: Settings,
    *,
    seen: Callable[[str], bool],
    on_page: Callable[[RawDocument], None],
    on_feed: Callable[[Feed, list[FetchLog]], None],
    progress: Callable[[str], None] | None = None,
    fetcher: Fetcher | None = None,
) -> CrawlSummary:
    """Poll ``feeds`` (the caller picks the due ones, see ``schedule.is_due``) and their pages."""
    start = time.perf_counter()
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    job = _Crawl(fetcher, settings, seen, on_page, on_feed, progress)
    try:
        async with asyncio.TaskGroup() as tg:
            for f in feeds:
                tg.create_task(job.feed(f))
    except BaseExceptionGroup as group:
        # only a bug (not a NewsloomError, those are contained per feed) gets here; hand the
        # caller the exception itself rather than a group wrapping it
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        raise
    finally:
        if own:
            await fetcher.aclose()
    job.summary.seconds = time.perf_counter() - start
    return job.summary


async def fetch_page(url: str, settings: Settings, fetcher: Fetcher | None = None) -> RawDocument:
    """Fetch one article page politely (robots, rate limit, caps); raises FetchError."""
    if fetcher is not None:
        return to_raw(await fetcher.fetch(url, kind="page"))
    async with Fetcher(settings) as own:
        return to_raw(await own.fetch(url, kind="page"))
