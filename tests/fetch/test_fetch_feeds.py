"""Feed and sitemap parsing: every format a Feed row can point at, and hostile input."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime

import pytest

from newsloom.errors import FeedParseError
from newsloom.fetch.feeds import parse_feed
from newsloom.fetch.sitemaps import parse_sitemap

BASE = "https://news.example/feed"

RSS20 = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel>
  <title>Example News</title><language>en-GB</language>
  <item><title>First</title><link>https://news.example/a1</link>
    <description>Summary one</description><guid>id-1</guid>
    <pubDate>Tue, 02 Jan 2024 10:00:00 GMT</pubDate></item>
  <item><title>Relative</title><link>/a2</link></item>
  <item><title>Duplicate</title><link>https://news.example/a1</link></item>
  <item><title>Permalink guid only</title><guid isPermaLink="true">https://news.example/a3</guid></item>
  <item><title>No link at all</title></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
         xmlns:dc="http://purl.org/dc/elements/1.1/">
  <channel rdf:about="https://rdf.example/"><title>RDF News</title><link>https://rdf.example/</link>
    <dc:language>de</dc:language></channel>
  <item rdf:about="https://rdf.example/x"><title>Eins</title><link>https://rdf.example/x</link>
    <dc:date>2024-03-01T08:30:00+01:00</dc:date></item>
</rdf:RDF>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
  <title>Le Fil</title><id>urn:x</id><updated>2024-05-01T12:00:00Z</updated>
  <entry><title>Premier</title><id>urn:e1</id><link rel="alternate" href="https://fil.example/1"/>
    <updated>2024-05-01T12:00:00Z</updated><summary>Résumé</summary></entry>
</feed>""".encode()

JSONFEED = {
    "version": "https://jsonfeed.org/version/1.1", "title": "JSON News", "language": "es",
    "items": [
        {"id": "1", "url": "https://json.example/1", "title": "Uno",
         "content_text": "Texto", "date_published": "2024-02-03T04:05:06Z"},
        {"id": "2", "external_url": "https://other.example/2", "language": "ca"},
        {"id": "3", "title": "no url"},
        "not an object",
    ],
}

NEWS_SITEMAP = b"""<?xml version="1.0" encoding="UTF-8"?>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
        xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
  <url><loc>https://paper.example/world/1</loc><lastmod>2024-06-01</lastmod>
    <news:news><news:publication><news:name>Paper</news:name><news:language>pt-BR</news:language>
      </news:publication><news:publication_date>2024-06-01T09:15:00-03:00</news:publication_date>
      <news:title>Soldados capturados</news:title></news:news></url>
  <url><loc>https://paper.example/plain</loc><lastmod>2024-05-30T10:00:00Z</lastmod></url>
  <url><loc>javascript:alert(1)</loc></url>
</urlset>"""

SITEMAP_INDEX = b"""<?xml version="1.0" encoding="UTF-8"?>
<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <sitemap><loc>https://paper.example/sitemap-2024-06.xml</loc><lastmod>2024-06-02</lastmod></sitemap>
  <sitemap><loc>https://paper.example/sitemap-2024-05.xml</loc></sitemap>
</sitemapindex>"""


def test_rss20() -> None:
    f = parse_feed(RSS20, BASE, "application/rss+xml")
    assert (f.kind, f.version, f.title, f.language) == ("rss", "rss20", "Example News", "en-gb")
    assert [i.url for i in f.items] == ["https://news.example/a1", "https://news.example/a2",
                                        "https://news.example/a3"]
    first = f.items[0]
    assert (first.title, first.summary, first.guid, first.lang) == ("First", "Summary one", "id-1", "en-gb")
    assert first.published == datetime(2024, 1, 2, 10, tzinfo=UTC)


def test_rss10_rdf() -> None:
    f = parse_feed(RSS10, BASE)
    assert f.kind == "rss" and f.version == "rss10" and f.title == "RDF News"
    (item,) = f.items
    assert item.url == "https://rdf.example/x" and item.lang == "de"
    assert item.published == datetime(2024, 3, 1, 7, 30, tzinfo=UTC)


def test_atom() -> None:
    f = parse_feed(ATOM, BASE, "application/atom+xml")
    assert f.kind == "atom" and f.title == "Le Fil"
    (item,) = f.items
    assert (item.url, item.title, item.summary, item.guid) == ("https://fil.example/1", "Premier", "Résumé", "urn:e1")
    assert item.published == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_json_feed() -> None:
    f = parse_feed(json.dumps(JSONFEED).encode(), BASE, "application/feed+json")
    assert (f.kind, f.version, f.title, f.language) == ("json", "1.1", "JSON News", "es")
    assert [(i.url, i.lang) for i in f.items] == [("https://json.example/1", "es"),
                                                  ("https://other.example/2", "ca")]
    assert f.items[0].published == datetime(2024, 2, 3, 4, 5, 6, tzinfo=UTC)
    assert f.items[0].summary == "Texto"
    # sniffed without a content type too, and 1.0 is accepted
    v1 = parse_feed(json.dumps({**JSONFEED, "version": "https://jsonfeed.org/version/1"}).encode(), BASE)
    assert v1.version == "1" and len(v1.items) == 2


@pytest.mark.parametrize("body, message", [
    (b"{not json", "invalid JSON"),
    (b'{"title": "x", "items": []}', "not a JSON Feed"),
    (b'{"version": "https://jsonfeed.org/version/1.1", "items": 3}', "items"),
    (b"[1, 2]", "not an object"),
])
def test_bad_json_feed(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message):
        parse_feed(body, BASE, "application/json")


def test_news_sitemap() -> None:
    f = parse_feed(NEWS_SITEMAP, BASE, "application/xml")
    assert f.kind == "sitemap" and f.sitemaps == []
    news, plain = f.items  # the javascript: URL is dropped
    assert (news.url, news.title, news.lang) == ("https://paper.example/world/1", "Soldados capturados", "pt-br")
    assert news.published == datetime(2024, 6, 1, 12, 15, tzinfo=UTC)  # publication_date wins
    assert plain.title is None and plain.published == datetime(2024, 5, 30, 10, tzinfo=UTC)


def test_sitemap_index_returns_children() -> None:
    f = parse_feed(SITEMAP_INDEX, BASE)
    assert f.kind == "sitemap_index" and f.items == []
    assert [c.url for c in f.sitemaps] == ["https://paper.example/sitemap-2024-06.xml",
                                           "https://paper.example/sitemap-2024-05.xml"]
    assert f.sitemaps[0].published == datetime(2024, 6, 2, tzinfo=UTC)


def test_gzipped_sitemap() -> None:
    f = parse_feed(gzip.compress(NEWS_SITEMAP), BASE, "application/x-gzip")
    assert len(f.items) == 2


def test_gzip_bomb_is_refused() -> None:
    bomb = gzip.compress(b"<urlset>" + b" " * (60 * 1024 * 1024), compresslevel=1)
    with pytest.raises(FeedParseError, match="expands beyond"):
        parse_feed(bomb, BASE)


def test_sitemap_entities_are_not_expanded() -> None:
    laughs = b"""<?xml version="1.0"?>
<!DOCTYPE urlset [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;"><!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY ext SYSTEM "file:///etc/passwd">]>
<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">
  <url><loc>https://x.example/&d;</loc></url>
  <url><loc>https://x.example/&ext;</loc></url>
  <url><loc>https://x.example/ok</loc></url>
</urlset>"""
    sm = parse_sitemap(laughs, BASE)  # pytest-timeout catches a hang
    text = " ".join(i.url for i in sm.items)
    assert "aaaaaaaaaa" not in text and "root:" not in text
    assert "https://x.example/ok" in text


@pytest.mark.parametrize("body", [
    b"<rss version='2.0'><channel><title>Oops</title><item><title>x</titl",
    b"<?xml version='1.0'?><urlset><url><loc>https://a.example/</loc></url>",
    b"\x00\x01\x02 binary garbage",
    b"<html><body><p>just a web page</p></body></html>",
    b"   ",
])
def test_malformed_or_not_a_feed(body: bytes) -> None:
    with pytest.raises(FeedParseError) as info:
        parse_feed(body, BASE)
    assert BASE in str(info.value)


def test_mildly_broken_feed_keeps_its_entries() -> None:
    # an unescaped "&" makes the XML invalid (bozo), but the entries are still readable
    broken = RSS20.replace(b"<title>First</title>", b"<title>Fish & Chips</title>")
    f = parse_feed(broken, BASE)
    assert len(f.items) == 3 and f.items[0].title == "Fish & Chips"


def test_empty_but_valid_feed_is_not_an_error() -> None:
    f = parse_feed(b"<rss version='2.0'><channel><title>Quiet</title></channel></rss>", BASE)
    assert f.items == [] and f.title == "Quiet"


def test_bogus_encoding_declaration_is_a_parse_error() -> None:
    body = b'<?xml version="1.0" encoding="utf-\xbaW\xd7"?><rss version="2.0"><channel></channel></rss>'
    with pytest.raises(FeedParseError, match="encoding"):
        parse_feed(body, BASE)


def test_unusable_links_are_dropped() -> None:
    body = RSS20.replace(b"<link>/a2</link>", b"<link>http://[broken/a2</link>")
    assert [i.url for i in parse_feed(body, BASE).items] == ["https://news.example/a1",
                                                             "https://news.example/a3"]
