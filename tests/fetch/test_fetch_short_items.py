"""Short items: a feed item whose page cannot be had but which has a title and a summary is stored
as a short article (text = the summary without HTML, note "short item: <reason>") through the
normal commit path: dedupe, store, stories."""

from __future__ import annotations

from datetime import UTC, datetime

from localserver import LocalServer

from newsloom.config import Settings
from newsloom.errors import FetchTimeout, HTTPStatusError, RetryLater
from newsloom.fetch.short_items import reason_of, short_article, strip_html
from newsloom.models import Feed, FeedItem, Source
from newsloom.pipeline import Pipeline
from newsloom.store import Store

HTML = "text/html; charset=utf-8"
SUMMARY = ("<p>The central bank raised its main interest rate by half a point on Thursday, "
           "the <b>third</b> rise this year.</p><p>Markets had expected the move.</p>")


def test_strip_html_keeps_paragraphs_and_drops_feed_tails() -> None:
    assert strip_html(SUMMARY) == ("The central bank raised its main interest rate by half a point on "
                                   "Thursday, the third rise this year.\n\nMarkets had expected the move.")
    assert strip_html("Fish &amp; chips prices rise again across the country [&#8230;]") == \
        "Fish & chips prices rise again across the country"
    assert strip_html("<p>Short text about a thing.</p><p>The post Thing appeared first on Site.</p>") == \
        "Short text about a thing."


def test_short_article_needs_a_title_and_a_real_summary() -> None:
    feed = Feed(url="https://f.example/rss", id=3, source_id=4)
    item = FeedItem(url="https://f.example/a", title="Rates up", summary=SUMMARY, lang="en",
                    published=datetime(2024, 5, 2, tzinfo=UTC))
    art = short_article(item, feed, "HTTP 404")
    assert art is not None and art.text.startswith("The central bank") and art.title == "Rates up"
    assert art.notes == ["short item: HTTP 404"] and (art.feed_id, art.source_id) == (3, 4)
    assert art.published == item.published and art.lang == "en"
    assert short_article(FeedItem(url="u", title=None, summary=SUMMARY), feed, "x") is None
    assert short_article(FeedItem(url="u", title="T", summary="<p>Read more</p>"), feed, "x") is None
    future = FeedItem(url="u", title="T", summary=SUMMARY, published=datetime(2999, 1, 1, tzinfo=UTC))
    assert short_article(future, feed, "x").published is None  # type: ignore[union-attr]


def test_which_failures_make_a_short_item() -> None:
    assert reason_of(HTTPStatusError("u", 404)) == "HTTP 404"
    assert reason_of(HTTPStatusError("u", 403)) == "HTTP 403"
    assert reason_of(FetchTimeout("u", "slow")) == "timeout"
    # "later" is no reason: the page is fetched on a later pass
    assert reason_of(HTTPStatusError("u", 429)) is None
    assert reason_of(RetryLater("u", "busy", retry_after=60)) is None


def _feed(server: LocalServer, items: list[tuple[str, str, str]]) -> str:
    body = "".join(f"<item><title>{t}</title><link>{server.url(p)}</link><description><![CDATA[{d}]]>"
                   "</description></item>" for p, t, d in items)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{body}</channel></rss>"


def test_unreachable_pages_become_short_items_and_go_through_dedupe(server: LocalServer, settings: Settings,
                                                                    store: Store) -> None:
    other = SUMMARY.replace("half a point", "a quarter point").replace("third", "second")
    server.route("/feed.xml", _feed(server, [
        ("/paywalled", "Central bank raises rates", SUMMARY),
        ("/gone", "Bank lifts rates again", SUMMARY),  # same summary: a duplicate of the first
        ("/short", "Brief: rates", other),
        ("/no-summary", "Only a title", ""),
    ]), content_type="application/rss+xml")
    server.route("/paywalled", "subscribe", status=403)
    server.route("/gone", "gone", status=404)
    server.route("/short", "<html><body><p>Subscribe to read.</p></body></html>", content_type=HTML)
    server.route("/no-summary", "gone", status=404)
    src = store.add_source(Source(name="Local", url=server.url("/")))
    feed = store.add_feed(Feed(url=server.url("/feed.xml"), source_id=src.id))

    summary, crawl_summary = Pipeline(store, settings, with_stories=False).fetch_once([feed])

    assert crawl_summary.short_items == 3  # type: ignore[attr-defined]
    stored = {a.url: a for a in store.list_articles()}
    assert set(stored) == {server.url(p) for p in ("/paywalled", "/gone", "/short")}
    paywalled, gone = stored[server.url("/paywalled")], stored[server.url("/gone")]
    assert paywalled.notes[0] == "short item: HTTP 403" and paywalled.text.startswith("The central bank")
    assert paywalled.title == "Central bank raises rates" and paywalled.source == "Local"
    assert paywalled.lang == "en" and paywalled.content_hash
    # the normal dedupe path: whichever of the two was stored first (pages are fetched and
    # analysed concurrently) is the original, the other its duplicate
    assert {paywalled.duplicate_of, gone.duplicate_of} in ({None, paywalled.id}, {None, gone.id})
    assert (paywalled.duplicate_of is None) != (gone.duplicate_of is None)
    assert stored[server.url("/short")].notes[0].startswith("short item: page rejected: no article")
    assert summary.counts["new"] == 2 and summary.counts["duplicate"] == 1  # type: ignore[attr-defined]
    log = {entry.url: entry for entry in store.fetch_log(feed.id)}
    assert log[server.url("/paywalled")].status == "http_error"  # the log still says what happened
    assert log[server.url("/short")].status == "rejected"
    # a later pass does not ask again: the URL is stored
    before = len(server.requests)
    Pipeline(store, settings, with_stories=False).fetch_once([store.get_feed(feed.id)])  # type: ignore[arg-type]
    assert [r.path for r in server.requests[before:] if r.path != "/robots.txt"] == ["/feed.xml", "/no-summary"]
