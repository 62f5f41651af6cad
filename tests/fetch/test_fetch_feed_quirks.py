"""Feeds as real readers meet them: empty or self links, enclosure-only items, stray whitespace
before the XML declaration, a bare "&", UTF-8 labelled windows-1252 — parsed and crawled from
the loopback server."""

from __future__ import annotations

from asyncio import run

import pytest
from localserver import LocalServer

from newsloom.config import Settings
from newsloom.errors import FeedParseError
from newsloom.fetch.crawler import crawl
from newsloom.fetch.feeds import parse_feed
from newsloom.models import Feed, FetchLog, RawDocument

FEED = "https://quirks.example/feed.xml"
HTML = "text/html; charset=utf-8"


def channel(items: str, head: str = "<title>Quirks</title><link>https://quirks.example/</link>") -> bytes:
    return (f"<?xml version='1.0' encoding='utf-8'?><rss version='2.0'><channel>{head}{items}"
            "</channel></rss>").encode()


@pytest.mark.parametrize("link", ["", "   ", "#", "#top", FEED, FEED + "#x"])
def test_empty_fragment_or_self_link_is_no_article(link: str) -> None:
    body = channel(f"<item><title>A</title><link>{link}</link><guid isPermaLink='false'>a-1</guid></item>")
    assert parse_feed(body, FEED).items == []


@pytest.mark.parametrize("link", ["", " ", "#"])
def test_empty_link_falls_back_to_a_permalink_guid(link: str) -> None:
    body = channel(f"<item><title>A</title><link>{link}</link><guid>https://quirks.example/a</guid></item>")
    assert [i.url for i in parse_feed(body, FEED).items] == ["https://quirks.example/a"]


def test_atom_empty_href_is_no_article() -> None:
    body = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>A</title>
      <entry><title>e</title><id>urn:1</id><link href=""/></entry>
      <entry><title>f</title><id>urn:2</id><link rel="alternate" href="https://quirks.example/f"/></entry>
    </feed>"""
    assert [i.url for i in parse_feed(body, FEED).items] == ["https://quirks.example/f"]


def test_enclosure_only_item_does_not_make_the_mp3_an_article() -> None:
    body = channel(
        "<item><title>Episode 1</title><enclosure url='https://cdn.example/ep1.mp3' "
        "type='audio/mpeg' length='100'/></item>"
        "<item><title>Episode 2</title><link>https://quirks.example/ep2</link><enclosure "
        "url='https://cdn.example/ep2.mp3' type='audio/mpeg' length='100'/></item>")
    assert [i.url for i in parse_feed(body, FEED).items] == ["https://quirks.example/ep2"]
    atom = b"""<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>P</title>
      <entry><title>e</title><id>urn:1</id>
        <link rel="enclosure" type="audio/mpeg" href="https://cdn.example/e.mp3"/></entry></feed>"""
    assert parse_feed(atom, FEED).items == []


@pytest.mark.parametrize("items", ["", "<item><title>A</title><link>https://quirks.example/a</link></item>"])
def test_whitespace_before_xml_declaration(items: str) -> None:
    f = parse_feed(b"\r\n   \n" + channel(items), FEED)
    assert f.title == "Quirks" and len(f.items) == (1 if items else 0)


@pytest.mark.parametrize("items", ["", "<item><title>A</title><link>https://quirks.example/a</link></item>"])
def test_bare_ampersand_in_channel_link(items: str) -> None:
    body = channel(items, head="<title>Quirks</title><link>https://quirks.example/?a=1&b=2</link>")
    f = parse_feed(body, FEED)
    assert f.title == "Quirks" and len(f.items) == (1 if items else 0)


def test_no_items_and_a_fatal_error_is_still_an_error() -> None:
    with pytest.raises(FeedParseError, match="malformed"):
        parse_feed(b"<?xml version='1.0'?><rss version='2.0'><channel><title>C & D</title><ite", FEED)


@pytest.mark.parametrize("label", ["windows-1252", "iso-8859-1", "ISO-8859-15"])
def test_utf8_feed_labelled_legacy_decodes_as_utf8(label: str) -> None:
    body = channel("<item><title>Euro € — «ok»</title><link>https://quirks.example/e</link></item>",
                   head="<title>Euro €</title>").replace(b"encoding='utf-8'", f"encoding='{label}'".encode())
    for ctype in (None, f"application/rss+xml; charset={label}"):
        f = parse_feed(body, FEED, ctype)
        assert f.title == "Euro €" and f.items[0].title == "Euro € — «ok»"


def test_real_windows_1252_feed_still_decodes() -> None:
    body = ("<?xml version='1.0' encoding='windows-1252'?><rss version='2.0'><channel><title>Euro €"
            "</title><item><title>Café — ok</title><link>https://quirks.example/c</link></item>"
            "</channel></rss>").encode("cp1252")
    f = parse_feed(body, FEED)
    assert f.title == "Euro €" and f.items[0].title == "Café — ok"


# --- crawled from the loopback server -----------------------------------------------------------
def _crawl(feeds: list[Feed], settings: Settings) -> tuple[list[RawDocument], list[tuple[Feed, list[FetchLog]]], object]:
    pages: list[RawDocument] = []
    done: list[tuple[Feed, list[FetchLog]]] = []
    summary = run(crawl(feeds, settings, seen=lambda url: False, on_page=pages.append,
                        on_feed=lambda f, logs: done.append((f, logs))))
    return pages, done, summary


def test_crawl_never_fetches_the_feed_or_an_enclosure_as_an_article(server: LocalServer,
                                                                     settings: Settings) -> None:
    body = channel(
        "<item><title>Blank</title><link> </link><guid isPermaLink='false'>x1</guid></item>"
        "<item><title>Hash</title><link>#</link></item>"
        f"<item><title>Audio</title><enclosure url='{server.url('/ep.mp3')}' type='audio/mpeg' length='1'/></item>"
        f"<item><title>Guid</title><link></link><guid>{server.url('/by-guid')}</guid></item>")
    server.route("/feed.xml", body, content_type="application/rss+xml")
    server.route("/by-guid", "<p>guid page</p>", content_type=HTML)
    pages, done, summary = _crawl([Feed(url=server.url("/feed.xml"), id=1)], settings)
    assert [p.url for p in pages] == [server.url("/by-guid")]
    assert len(server.requests_for("/feed.xml")) == 1 and server.requests_for("/ep.mp3") == []


def test_crawl_accepts_healthy_quirky_feeds(server: LocalServer, settings: Settings) -> None:
    server.route("/ws.xml", b"\n\n  " + channel(""), content_type="application/rss+xml")
    server.route("/amp.xml", channel("", head="<title>Q</title><link>http://q.example/?a=1&b=2</link>"),
                 content_type="application/rss+xml")
    euro = channel(f"<item><title>Euro €</title><link>{server.url('/e')}</link></item>")
    server.route("/euro.xml", euro.replace(b"utf-8", b"windows-1252"),
                 content_type="application/rss+xml; charset=windows-1252")
    server.route("/e", "<p>e</p>", content_type=HTML)
    feeds = [Feed(url=server.url(p), id=i) for i, p in enumerate(["/ws.xml", "/amp.xml", "/euro.xml"])]
    pages, done, summary = _crawl(feeds, settings)
    assert summary.feeds_ok == 3 and summary.feeds_failed == 0  # type: ignore[attr-defined]
    assert all(f.last_status == "ok" and f.error_count == 0 for f, _ in done)
    assert pages[0].feed_item is not None and pages[0].feed_item.title == "Euro €"
