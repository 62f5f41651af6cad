"""crawl() end to end against a local server: pages delivered, outcomes logged, errors contained."""

from __future__ import annotations

import pytest
from asyncio import run  # each test drives its own event loop (no pytest-asyncio)
from localserver import LocalServer, Request, closed_port_url

from newsloom.config import Settings
from newsloom.errors import HTTPStatusError, StoreError
from newsloom.fetch.crawler import CrawlSummary, crawl, fetch_page
from newsloom.models import Feed, FetchLog, RawDocument, utcnow

HTML = "text/html; charset=utf-8"


def rss(server: LocalServer, paths: list[str]) -> str:
    items = "".join(f"<item><title>T{p}</title><link>{server.url(p)}</link></item>" for p in paths)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Good</title>{items}</channel></rss>"


class Sink:
    def __init__(self, seen: set[str] | None = None) -> None:
        self.pages: list[RawDocument] = []
        self.feeds: list[tuple[Feed, list[FetchLog]]] = []
        self.seen_urls = seen or set()
        self.messages: list[str] = []

    def seen(self, url: str) -> bool:
        return url in self.seen_urls

    def on_page(self, raw: RawDocument) -> None:
        self.pages.append(raw)

    def on_feed(self, feed: Feed, logs: list[FetchLog]) -> None:
        self.feeds.append((feed, logs))

    def feed(self, url: str) -> tuple[Feed, list[FetchLog]]:
        return next((f, logs) for f, logs in self.feeds if f.url == url)

    def crawl(self, feeds: list[Feed], settings: Settings) -> CrawlSummary:
        return run(crawl(feeds, settings, seen=self.seen, on_page=self.on_page,
                         on_feed=self.on_feed, progress=self.messages.append))


def test_good_and_broken_feed(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nDisallow: /private\n")
    server.route("/good.xml", rss(server, ["/a", "/b", "/seen", "/private/c", "/gone"]),
                 content_type="application/rss+xml", headers={"ETag": '"g1"'})
    server.route("/a", "<p>a</p>", content_type=HTML)
    server.route("/b", "<p>Olá</p>".encode("iso-8859-1"), content_type="text/html; charset=iso-8859-1")
    server.route("/private/c", "<p>c</p>", content_type=HTML)
    server.route("/gone", "gone", status=410)
    server.route("/broken.xml", "<rss><channel><title>x</titl", content_type="application/rss+xml")
    good = Feed(url=server.url("/good.xml"), id=1, source_id=10, interval_s=900)
    broken = Feed(url=server.url("/broken.xml"), id=2, source_id=20, interval_s=900)
    dead = Feed(url=closed_port_url("/feed"), id=3, source_id=30, interval_s=900)
    sink = Sink(seen={server.url("/seen")})

    summary = sink.crawl([good, broken, dead], settings)

    assert sorted(p.url for p in sink.pages) == [server.url("/a"), server.url("/b")]
    page_b = next(p for p in sink.pages if p.url.endswith("/b"))
    assert page_b.body == "<p>Olá</p>".encode("iso-8859-1") and page_b.encoding == "iso-8859-1"
    assert (page_b.feed_id, page_b.source_id, page_b.origin) == (1, 10, "fetch")
    assert page_b.feed_item is not None and page_b.feed_item.title == "T/b"
    assert server.requests_for("/seen") == [] and server.requests_for("/private/c") == []

    g, glogs = sink.feed(good.url)
    assert g.last_status == "ok" and g.etag == '"g1"' and g.title == "Good" and g.error_count == 0
    assert g.last_new_items == 4  # /seen was known already
    by_url = {log.url: log for log in glogs}
    assert by_url[good.url].status == "ok" and by_url[good.url].bytes > 0
    assert by_url[server.url("/a")].status == "ok"
    assert by_url[server.url("/private/c")].status == "robots"
    assert (by_url[server.url("/gone")].status, by_url[server.url("/gone")].http_status) == ("http_error", 410)
    assert all(log.feed_id == 1 for log in glogs)

    b, blogs = sink.feed(broken.url)
    assert b.error_count == 1 and b.last_status == "parse_error" and "malformed" in (b.last_error or "")
    assert [(log.status, log.http_status) for log in blogs] == [("parse_error", 200)]
    d, dlogs = sink.feed(dead.url)
    assert d.last_status == "unreachable" and dlogs[0].status == "unreachable"

    assert (summary.feeds_ok, summary.feeds_failed, summary.feeds_not_modified) == (1, 2, 0)
    assert (summary.pages_fetched, summary.pages_failed, summary.pages_skipped) == (2, 1, 2)
    assert summary.bytes > 0 and len(summary.errors) == 2
    assert any("4 new" in m for m in sink.messages)


def test_conditional_get_and_not_modified(server: LocalServer, settings: Settings) -> None:
    def handler(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.headers.get("If-None-Match") == '"v1"':
            return 304, {}, b""
        return 200, {"Content-Type": "application/rss+xml", "ETag": '"v1"',
                     "Last-Modified": "Mon, 01 Jan 2024 00:00:00 GMT"}, rss(server, ["/a"]).encode()

    server.route("/feed", handler=handler)
    server.route("/a", "<p>a</p>", content_type=HTML)
    sink = Sink()
    sink.crawl([Feed(url=server.url("/feed"), id=1)], settings)
    first, _ = sink.feeds[0]
    assert first.etag == '"v1"' and first.last_modified == "Mon, 01 Jan 2024 00:00:00 GMT"

    again = Sink()
    summary = again.crawl([first], settings)
    feed, logs = again.feeds[0]
    assert summary.feeds_not_modified == 1 and again.pages == []
    assert feed.last_status == "not_modified" and logs[0].status == "not_modified"
    assert feed.interval_s > first.interval_s  # nothing new: poll less often


def test_same_url_in_two_feeds_fetched_once(server: LocalServer, settings: Settings) -> None:
    server.route("/f1", rss(server, ["/shared", "/one"]), content_type="application/rss+xml")
    server.route("/f2", rss(server, ["/shared"]), content_type="application/rss+xml")
    server.route("/shared", "<p>s</p>", content_type=HTML)
    server.route("/one", "<p>1</p>", content_type=HTML)
    sink = Sink()
    summary = sink.crawl([Feed(url=server.url("/f1"), id=1), Feed(url=server.url("/f2"), id=2)], settings)
    assert len(server.requests_for("/shared")) == 1 and summary.pages_fetched == 2


def test_max_articles_per_feed(server: LocalServer, settings: Settings) -> None:
    paths = [f"/p{i}" for i in range(5)]
    for p in paths:
        server.route(p, "<p>x</p>", content_type=HTML)
    server.route("/feed", rss(server, paths), content_type="application/rss+xml")
    capped = Settings(**{**vars(settings), "max_articles_per_feed": 2})
    sink = Sink()
    sink.crawl([Feed(url=server.url("/feed"), id=1)], capped)
    assert len(sink.pages) == 2
    assert sum(len(server.requests_for(p)) for p in paths) == 2


def test_sitemap_index_followed(server: LocalServer, settings: Settings) -> None:
    index = f"""<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <sitemap><loc>{server.url('/sm-new.xml')}</loc><lastmod>2024-06-02</lastmod></sitemap>
      <sitemap><loc>{server.url('/sm-missing.xml')}</loc><lastmod>2024-06-01</lastmod></sitemap>
    </sitemapindex>"""
    child = f"""<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
      <url><loc>{server.url('/art')}</loc></url></urlset>"""
    server.route("/index.xml", index, content_type="application/xml")
    server.route("/sm-new.xml", child, content_type="application/xml")
    server.route("/art", "<p>art</p>", content_type=HTML)
    sink = Sink()
    summary = sink.crawl([Feed(url=server.url("/index.xml"), id=1, kind="sitemap")], settings)
    assert [p.url for p in sink.pages] == [server.url("/art")] and summary.feeds_ok == 1
    _, logs = sink.feeds[0]
    statuses = {log.url.rsplit("/", 1)[-1]: log.status for log in logs}
    assert statuses == {"index.xml": "ok", "sm-new.xml": "ok", "sm-missing.xml": "http_error", "art": "ok"}


def test_callback_errors_are_contained(server: LocalServer, settings: Settings) -> None:
    server.route("/feed", rss(server, ["/a"]), content_type="application/rss+xml")
    server.route("/a", "<p>a</p>", content_type=HTML)
    feeds: list[Feed] = []

    def bad_store(raw: RawDocument) -> None:
        raise StoreError(f"{raw.url}: database is locked")

    summary = run(crawl([Feed(url=server.url("/feed"), id=1)], settings, seen=lambda u: False,
                        on_page=bad_store, on_feed=lambda f, logs: feeds.append(f)))
    assert summary.callback_errors == 1 and len(feeds) == 1


def test_fetch_page(server: LocalServer, settings: Settings) -> None:
    server.redirect("/short", "/article")
    server.route("/article", "<p>x</p>", content_type=HTML)
    raw = run(fetch_page(server.url("/short"), settings))
    assert raw.url == server.url("/short") and raw.final_url == server.url("/article")
    assert raw.body == b"<p>x</p>" and raw.http_status == 200 and raw.content_type == "text/html"
    server.route("/missing", "no", status=404)
    with pytest.raises(HTTPStatusError):
        run(fetch_page(server.url("/missing"), settings))


def test_429_backs_off_feed_and_defers_host(server: LocalServer, settings: Settings) -> None:
    from datetime import timedelta

    from newsloom.fetch.http import Fetcher

    server.route("/busy.xml", "slow down", status=429, headers={"Retry-After": "3600"})
    server.route("/other.xml", rss(server, ["/a"]), content_type="application/rss+xml")
    busy = Feed(url=server.url("/busy.xml"), id=1, interval_s=900)
    other = Feed(url=server.url("/other.xml"), id=2, interval_s=900, error_count=0)
    sink = Sink()

    async def two_passes() -> tuple[CrawlSummary, CrawlSummary]:
        async with Fetcher(settings) as f:
            return (await crawl([busy], settings, seen=sink.seen, on_page=sink.on_page,
                                on_feed=sink.on_feed, fetcher=f),
                    await crawl([other], settings, seen=sink.seen, on_page=sink.on_page,
                                on_feed=sink.on_feed, fetcher=f))

    first, second = run(two_passes())
    # a 429 is "not now", not a failure of the feed
    assert (first.feeds_failed, first.feeds_deferred) == (0, 1)
    assert (second.feeds_failed, second.feeds_deferred) == (0, 1)
    b, blogs = sink.feed(busy.url)
    assert b.error_count == 0 and b.last_status == "retry_later"
    assert (blogs[0].status, blogs[0].http_status) == ("retry_later", 429)
    assert b.next_due is not None
    assert b.next_due - utcnow() >= timedelta(seconds=3590)  # Retry-After beats the 900 s interval
    o, ologs = sink.feed(other.url)
    # the host asked for an hour of quiet: the other feed is deferred, not failed, not requested
    assert o.last_status == "retry_later" and o.error_count == 0 and ologs[0].status == "retry_later"
    assert server.requests_for("/other.xml") == []


def test_items_beyond_the_cap_stay_free_for_other_feeds(server: LocalServer, settings: Settings) -> None:
    for p in ("/new", "/old"):
        server.route(p, "<p>x</p>", content_type=HTML)
    dated = f"""<rss version="2.0"><channel><title>A</title>
      <item><link>{server.url('/old')}</link><pubDate>Mon, 01 Jan 2024 00:00:00 GMT</pubDate></item>
      <item><link>{server.url('/new')}</link><pubDate>Tue, 02 Jan 2024 00:00:00 GMT</pubDate></item>
    </channel></rss>"""
    server.route("/a.xml", dated, content_type="application/rss+xml")
    # B answers later, so A has taken its one page before B looks
    server.route("/b.xml", rss(server, ["/old"]), content_type="application/rss+xml", delay=0.3)
    capped = Settings(**{**vars(settings), "max_articles_per_feed": 1})
    sink = Sink()
    sink.crawl([Feed(url=server.url("/a.xml"), id=1), Feed(url=server.url("/b.xml"), id=2)], capped)
    by_feed = {p.feed_id: p.url for p in sink.pages}
    assert by_feed == {1: server.url("/new"), 2: server.url("/old")}  # A took its newest only


def test_seen_failure_is_contained(server: LocalServer, settings: Settings) -> None:
    server.route("/feed", rss(server, ["/a"]), content_type="application/rss+xml")
    server.route("/a", "<p>a</p>", content_type=HTML)
    pages: list[RawDocument] = []

    def broken_seen(url: str) -> bool:
        raise StoreError("database is locked")

    summary = run(crawl([Feed(url=server.url("/feed"), id=1)], settings, seen=broken_seen,
                        on_page=pages.append, on_feed=lambda f, logs: None))
    assert summary.callback_errors == 1 and len(pages) == 1


def test_a_bug_in_a_callback_propagates_unwrapped(server: LocalServer, settings: Settings) -> None:
    server.route("/feed", rss(server, ["/a"]), content_type="application/rss+xml")
    server.route("/a", "<p>a</p>", content_type=HTML)

    def buggy(raw: RawDocument) -> None:
        raise KeyError("not a NewsloomError: a programming error must stay loud")

    with pytest.raises(KeyError):
        run(crawl([Feed(url=server.url("/feed"), id=1)], settings, seen=lambda u: False,
                  on_page=buggy, on_feed=lambda f, logs: None))


def test_processing_a_page_does_not_stall_the_other_fetches(server: LocalServer, settings: Settings) -> None:
    """With the pipeline's runner (one processing thread), the second page is fetched while the
    first one is still being processed: processing A waits until the server has seen the
    request for B. In the event loop, that wait could never end (it gives up after 10 s)."""
    import asyncio
    import functools
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    server.route("/f1.xml", rss(server, ["/a"]), content_type="application/rss+xml")
    # the second feed answers late: its page is asked for only after A is being processed
    server.route("/f2.xml", rss(server, ["/b"]), content_type="application/rss+xml", delay=0.5)
    server.route("/a", "<p>a</p>", content_type=HTML)
    server.route("/b", "<p>b</p>", content_type=HTML)
    saw_b: list[bool] = []

    def on_page(raw: RawDocument) -> None:
        if raw.url.endswith("/a"):
            deadline = time.monotonic() + 10
            while not server.requests_for("/b") and time.monotonic() < deadline:
                time.sleep(0.02)
            saw_b.append(bool(server.requests_for("/b")))

    worker = ThreadPoolExecutor(1)

    async def runner(fn, *args):  # type: ignore[no-untyped-def]
        return await asyncio.get_running_loop().run_in_executor(worker, functools.partial(fn, *args))

    feeds = [Feed(url=server.url("/f1.xml"), id=1, interval_s=900), Feed(url=server.url("/f2.xml"), id=2, interval_s=900)]
    sink = Sink()
    try:
        run(crawl(feeds, settings, seen=sink.seen, on_page=on_page, on_feed=sink.on_feed, run=runner))
    finally:
        worker.shutdown()
    assert saw_b == [True]
    assert threading.current_thread() is threading.main_thread()
