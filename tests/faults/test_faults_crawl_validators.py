"""A page fetched but not stored must not be hidden by its feed's "304 Not Modified" later: the
feed keeps its old validators (ETag, Last-Modified) when any of its pages was not stored, so its
next poll is answered in full and lists that page again; a full disk or a lost database ends the
crawl at once (the feeds not written stay due) instead of failing page after page."""

from __future__ import annotations

from asyncio import run
from types import SimpleNamespace

import pytest
from localserver import LocalServer

from newsloom.config import Settings
from newsloom.errors import StoreError, StoreFull
from newsloom.fetch.crawler import crawl
from newsloom.models import Feed, FetchLog, RawDocument

HTML = "<html><body><article><h1>T</h1><p>text</p></article></body></html>"


def _site(srv: LocalServer) -> None:
    items = "".join(f"<item><title>T{i}</title><link>{srv.url(f'/p{i}')}</link></item>" for i in range(3))
    srv.route("/feed", f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{items}</channel></rss>",
              headers={"Content-Type": "application/rss+xml", "ETag": '"v2"', "Last-Modified": "Wed, 02 Dec 2026 08:00:00 GMT"})
    for i in range(3):
        srv.route(f"/p{i}", HTML, content_type="text/html")


def _settings() -> Settings:
    return Settings(db="sqlite:///:memory:", requests_per_second_per_host=1000.0, timeout_s=3.0,
                    concurrency=4, allow_private_networks=True)


def _crawl(srv: LocalServer, on_page) -> list[Feed]:  # type: ignore[no-untyped-def]
    written: list[Feed] = []

    def on_feed(feed: Feed, _logs: list[FetchLog]) -> None:
        written.append(feed)

    run(crawl([Feed(url=srv.url("/feed"), id=1, etag='"v1"')], _settings(), seen=lambda _u: False,
              on_page=on_page, on_feed=on_feed))
    return written


@pytest.mark.parametrize("how", ["returned", "raised"])
def test_a_page_not_stored_keeps_the_feeds_old_validators(how: str) -> None:
    def on_page(raw: RawDocument) -> object:
        if raw.url.endswith("/p1"):
            if how == "raised":
                raise StoreError("p1: could not be stored")
            return SimpleNamespace(status="error", message="p1: could not be stored")
        return SimpleNamespace(status="new", message=None)

    with LocalServer() as srv:
        _site(srv)
        [feed] = _crawl(srv, on_page)
    assert feed.etag == '"v1"' and feed.last_modified is None  # asked in full next time
    assert feed.next_due is not None and feed.last_status == "ok"


def test_every_page_stored_takes_the_new_validators() -> None:
    with LocalServer() as srv:
        _site(srv)
        [feed] = _crawl(srv, lambda raw: SimpleNamespace(status="new", message=None))
    assert feed.etag == '"v2"' and feed.last_modified == "Wed, 02 Dec 2026 08:00:00 GMT"


def test_a_full_disk_ends_the_crawl_and_the_feed_is_not_written() -> None:
    calls: list[str] = []

    def on_page(raw: RawDocument) -> object:
        calls.append(raw.url)
        raise StoreFull("sqlite:///x.db: the disk is full")

    with LocalServer() as srv:
        _site(srv)
        with pytest.raises(StoreFull, match="disk is full"):
            _crawl(srv, on_page)
