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
import hashlib
import math
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import urlsplit

from newsloom.config import Settings
from newsloom.errors import (
    FeedParseError,
    FetchError,
    NewsloomError,
    RetryLater,
    RobotsDisallowed,
    StoreFull,
    StoreUnavailable,
)
from newsloom.fetch import schedule
from newsloom.fetch.feeds import ParsedFeed, parse_feed
from newsloom.fetch.http import Fetcher, FetchResult
from newsloom.fetch.short_items import reason_of, short_article
from newsloom.models import Article, Feed, FeedItem, FetchLog, RawDocument, RejectedPage, utcnow

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
    pages_skipped: int = 0  # already seen, listed by another feed, robots, deferred, rejected before
    pages_rejected: int = 0  # fetched, but processing rejected them (remembered, see RejectedPage)
    short_items: int = 0  # page missing or rejected: the feed's title + summary handed on instead
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


def body_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


def _log(url: str, feed: Feed, result: FetchResult | None = None,
         error: BaseException | None = None) -> FetchLog:
    if error is not None:
        code = getattr(error, "code", None)
        # request time only (set by the Fetcher): queue, robots and rate-limit waits are not
        # the host's slowness
        return FetchLog(url=url, status=schedule.error_status(error),
                        http_status=code if isinstance(code, int) else None,
                        elapsed_ms=getattr(error, "elapsed_ms", 0.0), error=str(error), feed_id=feed.id)
    assert result is not None
    return FetchLog(url=url, status="not_modified" if result.not_modified else "ok",
                    http_status=result.status_code, bytes=len(result.body),
                    elapsed_ms=result.elapsed_ms, feed_id=feed.id)


Runner = Callable[..., Awaitable[object]]


async def _inline(fn: Callable[..., object], *args: object) -> object:
    return fn(*args)


def pages_in_hand(settings: Settings) -> int:
    """How many pages a pass holds at once, fetched or being fetched and not yet processed:
    enough to keep the fetches in flight and the processing busy, bounded so that a backlog
    waits as feed items (a URL each), not as page bodies."""
    return max(16, 4 * settings.concurrency)


class _Crawl:
    def __init__(self, fetcher: Fetcher, settings: Settings, seen: Callable[[str], bool],
                 on_page: Callable[[RawDocument], object],
                 on_feed: Callable[[Feed, list[FetchLog]], None],
                 progress: Callable[[str], None] | None,
                 rejected: Callable[[str], RejectedPage | None] | None = None,
                 on_rejected: Callable[[RejectedPage], None] | None = None,
                 on_short: Callable[[Article], object] | None = None,
                 run: Runner | None = None) -> None:
        self.fetcher, self.settings, self.seen = fetcher, settings, seen
        self.run = run or _inline
        self.on_page, self.on_feed, self.progress = on_page, on_feed, progress
        self.rejected, self.on_rejected, self.on_short = rejected, on_rejected, on_short
        self.summary = CrawlSummary()
        self.claimed: set[str] = set()  # page URLs already taken by a feed in this pass
        # Pages in hand: fetched (or being fetched) and not yet processed. Fetching on loopback or
        # a fast network outruns processing (embedding, stories), and without a bound a pass with
        # a backlog held every fetched body at once (one pass of 2,400 small synthetic pages:
        # main process peak 276 MB, 266 with the bound; real pages are ~20x larger). The bound is taken before a
        # page's host slot is booked (booking and then waiting for the bound would bunch the
        # requests to one host). So that the pages of one slow host, each sleeping for its slot,
        # cannot fill the bound, a page first takes one of its host's few places (2, or the
        # host's requests a second when more), given back as soon as it is fetched.
        self.in_hand = asyncio.Semaphore(pages_in_hand(settings))
        self._host_places: dict[str, asyncio.Semaphore] = {}

    def _say(self, message: str) -> None:
        if self.progress is not None:
            self.progress(message)

    async def _call(self, what: str, fn: Callable[..., object], *args: object,
                    inline: bool = False) -> tuple[object, str | None]:
        """``(what fn returned, None)`` or ``(None, the error)``: a callback's failure is counted
        and reported, never propagated. Callbacks that write run through ``self.run`` (see
        ``crawl``); lookups (``inline``) are called here, so they never wait behind a page
        being processed."""
        try:
            return (fn(*args) if inline else await self.run(fn, *args)), None
        except (StoreFull, StoreUnavailable):
            raise  # the disk or the database: the pass ends, the feeds not written stay due
        except NewsloomError as exc:
            self.summary.callback_errors += 1
            self._say(f"{what} failed: {exc}")
            return None, str(exc)

    async def _seen(self, url: str) -> bool:
        try:
            return self.seen(url)
        except (StoreFull, StoreUnavailable):
            raise
        except NewsloomError as exc:  # a store hiccup: fetch again rather than lose the page
            self.summary.callback_errors += 1
            self._say(f"seen({url}) failed: {exc}")
            return False

    async def feed(self, feed: Feed) -> None:
        logs: list[FetchLog] = []
        try:
            result = await self.fetcher.fetch(feed.url, kind="feed", etag=feed.etag,
                                              last_modified=feed.last_modified)
        except FetchError as exc:
            logs.append(_log(feed.url, feed, error=exc))
            await self._fail(feed, exc, logs)
            return
        self.summary.bytes += len(result.body)
        if result.not_modified:
            logs.append(_log(feed.url, feed, result))
            self.summary.feeds_not_modified += 1
            self._say(f"{feed.url}: not modified")
            await self._call("on_feed", self.on_feed,
                       schedule.on_success(feed, self.settings, new_items=0, not_modified=True), logs)
            return
        try:
            parsed = parse_feed(result.body, result.final_url, result.content_type)
        except FeedParseError as exc:
            log = _log(feed.url, feed, error=exc)
            log.http_status, log.bytes = result.status_code, len(result.body)
            log.elapsed_ms = result.elapsed_ms
            logs.append(log)
            await self._fail(feed, exc, logs)
            return
        logs.append(_log(feed.url, feed, result))
        items = parsed.items + await self._children(parsed, feed, logs, depth=1)
        old = feed
        feed = dataclasses.replace(
            feed,
            etag=result.headers.get("etag") or None,
            last_modified=result.headers.get("last-modified") or None,
            title=feed.title or parsed.title,
        )
        new: list[FeedItem] = []
        for it in sorted(items, key=lambda i: i.published or _OLDEST, reverse=True):
            if it.url in self.claimed or await self._seen(it.url):
                self.summary.pages_skipped += 1
            else:
                new.append(it)
        self._say(f"{feed.url}: {len(items)} items, {len(new)} new")
        # newest first; only what is fetched now is claimed, so another feed listing one of
        # the rest can still fetch it in this pass
        pages = new[: self.settings.max_articles_per_feed]
        self.claimed.update(it.url for it in pages)
        page_logs = await asyncio.gather(*(self.page(it, feed) for it in pages))
        logs.extend(log for log in page_logs if log is not None)
        if any(log is not None and log.status == "error" for log in page_logs):
            # a page was fetched but could not be stored (disk full, database gone or locked):
            # the feed keeps its old validators, so its next poll is answered in full and lists
            # that page again, instead of "304 Not Modified" hiding it for good
            feed = dataclasses.replace(feed, etag=old.etag, last_modified=old.last_modified)
        self.summary.feeds_ok += 1
        await self._call("on_feed", self.on_feed,
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

    async def _known_rejected(self, url: str) -> RejectedPage | None:
        if self.rejected is None:
            return None
        known, problem = await self._call("rejected", self.rejected, url, inline=True)
        return known if problem is None else None  # type: ignore[return-value]

    def _host_place(self, url: str) -> asyncio.Semaphore:
        host = urlsplit(url).netloc.lower()
        place = self._host_places.get(host)
        if place is None:
            per_host = max(2, math.ceil(self.settings.requests_per_second_per_host))
            place = self._host_places[host] = asyncio.Semaphore(min(per_host, pages_in_hand(self.settings)))
        return place

    async def page(self, item: FeedItem, feed: Feed) -> FetchLog | None:
        place = self._host_place(item.url)
        await place.acquire()  # given back as soon as the page is fetched (or given up)
        released = False

        def free_place() -> None:
            nonlocal released
            if not released:
                released = True
                place.release()

        try:
            async with self.in_hand:  # given back once the page is processed
                return await self._page(item, feed, free_place)
        finally:
            free_place()

    async def _page(self, item: FeedItem, feed: Feed, free_place: Callable[[], None]) -> FetchLog | None:
        known = await self._known_rejected(item.url)
        if known is not None and (utcnow() - known.checked_at).total_seconds() < self.settings.rejected_recheck_s:
            self.summary.pages_skipped += 1  # rejected lately: not asked again so soon
            return None
        try:
            # a page rejected before is asked conditionally: unchanged, it costs a 304
            result = await self.fetcher.fetch(item.url, kind="page",
                                              etag=known.etag if known else None,
                                              last_modified=known.last_modified if known else None)
        except FetchError as exc:
            free_place()
            if isinstance(exc, (RetryLater, RobotsDisallowed)) or schedule.is_deferral(exc):
                self.summary.pages_skipped += 1
            else:
                self.summary.pages_failed += 1
            reason = reason_of(exc)
            if reason is not None:
                await self._short(item, feed, reason)
            return _log(item.url, feed, error=exc)
        free_place()  # the host may serve the next page while this one is processed
        self.summary.bytes += len(result.body)
        log = _log(item.url, feed, result)
        digest = body_hash(result.body)
        if known is not None and (result.not_modified or digest == known.content_hash):
            # still the page that was rejected: not processed again
            self.summary.pages_skipped += 1
            await self._remember(dataclasses.replace(known, checked_at=utcnow()))
            log.status, log.error = "rejected", f"unchanged since rejected: {known.reason}"
            return log
        self.summary.pages_fetched += 1
        outcome, problem = await self._call("on_page", self.on_page, to_raw(result, item, feed))
        if problem is not None:
            log.status, log.error = "error", problem
        elif getattr(outcome, "status", None) == "error":  # handed back, not raised: not stored either
            log.status, log.error = "error", str(getattr(outcome, "message", None) or "not stored")
        elif getattr(outcome, "status", None) == "rejected":
            # on_page may hand back what became of the page (pipeline.Outcome): a rejected page
            # shows as such in the log and is remembered with its validators
            reason = str(getattr(outcome, "message", None) or "rejected")
            log.status, log.error = "rejected", reason
            self.summary.pages_rejected += 1
            await self._remember(RejectedPage(url=item.url, reason=reason, etag=result.headers.get("etag"),
                                        last_modified=result.headers.get("last-modified"),
                                        content_hash=digest))
            # "url: no article: ..." -> "page rejected: no article: ..."
            await self._short(item, feed, "page rejected: " + reason.removeprefix(f"{item.url}: "))
        return log

    async def _short(self, item: FeedItem, feed: Feed, reason: str) -> None:
        """The page is missing: the feed's title and summary go on as a short item, if any."""
        if self.on_short is None:
            return
        article = short_article(item, feed, reason)
        if article is None:
            return
        _, problem = await self._call("on_short", self.on_short, article)
        if problem is None:
            self.summary.short_items += 1

    async def _remember(self, page: RejectedPage) -> None:
        if self.on_rejected is not None:
            await self._call("on_rejected", self.on_rejected, page)

    async def _fail(self, feed: Feed, exc: BaseException, logs: list[FetchLog]) -> None:
        if schedule.is_deferral(exc):  # our rate limit or the host's 429: "later", not failed
            self.summary.feeds_deferred += 1
        else:
            self.summary.feeds_failed += 1
            self.summary.errors.append(str(exc))
        self._say(f"{feed.url}: {exc}")
        await self._call("on_feed", self.on_feed, schedule.on_error(feed, self.settings, exc), logs)


async def crawl(
    feeds: list[Feed],
    settings: Settings,
    *,
    seen: Callable[[str], bool],
    on_page: Callable[[RawDocument], object],
    on_feed: Callable[[Feed, list[FetchLog]], None],
    progress: Callable[[str], None] | None = None,
    fetcher: Fetcher | None = None,
    rejected: Callable[[str], RejectedPage | None] | None = None,
    on_rejected: Callable[[RejectedPage], None] | None = None,
    on_short: Callable[[Article], object] | None = None,
    run: Runner | None = None,
) -> CrawlSummary:
    """Poll ``feeds`` (the caller picks the due ones, see ``schedule.is_due``) and their pages.

    ``on_page`` may return an object with ``status`` and ``message`` (``pipeline.Outcome``):
    a "rejected" page is logged as such and handed to ``on_rejected``; ``rejected(url)`` gives
    back what was remembered, so the page is asked again only every ``rejected_recheck_s``,
    conditionally, and processed again only when its body changed. When a page cannot be had
    (HTTP error, timeout, robots, rejected) but its feed item has a title and a summary,
    ``on_short`` gets it as a short Article (see ``short_items``).

    ``run(fn, *args)`` awaits one call of a callback that writes (``on_page``, ``on_feed``,
    ``on_short``, ``on_rejected``); by default it calls it in the event loop. The pipeline runs
    them in one processing thread (extract, store, embed, cluster take tens of milliseconds a
    page, during which the other fetches in flight carry on), which also keeps every write of
    a pass on one thread. The lookups (``seen``, ``rejected``) are called in the event loop:
    they must be quick reads that do not share the writer's connection (the pipeline turns on
    the store's reader connections)."""
    start = time.perf_counter()
    own = fetcher is None
    fetcher = fetcher or Fetcher(settings)
    job = _Crawl(fetcher, settings, seen, on_page, on_feed, progress, rejected, on_rejected, on_short, run)
    try:
        async with asyncio.TaskGroup() as tg:
            for f in feeds:
                tg.create_task(job.feed(f))
    except BaseExceptionGroup as group:
        # only a bug (not a NewsloomError, those are contained per feed) gets here; hand the
        # caller the exception itself rather than a group wrapping it
        if len(group.exceptions) == 1:
            raise group.exceptions[0] from None
        # several feeds met the same full disk or lost database at once: that one error
        full = [e for e in group.exceptions if isinstance(e, StoreFull)]
        if all(isinstance(e, StoreFull | StoreUnavailable) for e in group.exceptions):
            raise (full or group.exceptions)[0] from None
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
