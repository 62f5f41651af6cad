"""OPML import/export: nesting, attributes, round trip, and inputs that are not OPML."""

from __future__ import annotations

import pytest

from newsloom.errors import OPMLError
from newsloom.fetch.opml import OPMLEntry, parse_opml, write_opml

NESTED = b"""<?xml version="1.0" encoding="UTF-8"?>
<opml version="2.0">
  <head><title>My news</title></head>
  <body>
    <outline text="Europe">
      <outline text="Germany">
        <outline text="Tagesschau" type="rss" xmlUrl="https://www.tagesschau.de/xml/rss2/"
                 htmlUrl="https://www.tagesschau.de/" language="de-DE" country="de"/>
      </outline>
      <outline title="ANSA" type="rss" xmlUrl="https://www.ansa.it/sito/ansait_rss.xml" language="it" country="IT"/>
    </outline>
    <outline text="Top level feed" xmlUrl="https://example.org/feed.xml"/>
    <outline text="Reuters" type="sitemap" xmlUrl="https://www.reuters.com/sitemap.xml"/>
  </body>
</opml>
"""


def test_nested_outlines_are_flattened_with_category_path() -> None:
    entries = parse_opml(NESTED, "nested.opml")
    assert entries.title == "My news"
    assert [e.name for e in entries] == ["Tagesschau", "ANSA", "Top level feed", "Reuters"]
    tagesschau, ansa, top, reuters = entries
    assert tagesschau.category == "Europe/Germany"
    assert ansa.category == "Europe"
    assert top.category is None
    assert tagesschau.site_url == "https://www.tagesschau.de/"
    assert ansa.site_url is None


def test_language_and_country_are_normalised() -> None:
    tagesschau = parse_opml(NESTED, "nested.opml")[0]
    assert tagesschau.language == "de"  # primary subtag of de-DE
    assert tagesschau.country == "DE"  # upper case ISO 3166-1


def test_kind_from_type_attribute() -> None:
    entries = parse_opml(NESTED, "nested.opml")
    assert [e.kind for e in entries] == ["feed", "feed", "feed", "sitemap"]


def test_sitemap_inferred_from_url_when_type_missing() -> None:
    data = b'<opml version="1.0"><body><outline text="x" xmlUrl="https://a.example/news-sitemap.xml"/></body></opml>'
    assert parse_opml(data, "x.opml")[0].kind == "sitemap"


def test_round_trip() -> None:
    entries = list(parse_opml(NESTED, "nested.opml"))
    again = parse_opml(write_opml(entries, "My news"), "written.opml")
    assert list(again) == entries
    assert again.title == "My news"
    assert again.problems == []


def test_round_trip_keeps_unicode_and_ampersands() -> None:
    entry = OPMLEntry(
        name="BBC News عربي & more",
        feed_url="https://example.com/rss?a=1&b=2",
        site_url="https://example.com/?x=<y>",
        country="GB",
        language="ar",
        category="Asia/Middle East",
    )
    assert list(parse_opml(write_opml([entry]), "w.opml")) == [entry]


def test_write_nests_by_category() -> None:
    from lxml import etree

    entries = [
        OPMLEntry("A", "https://a.example/rss", category="Europe/France"),
        OPMLEntry("B", "https://b.example/rss", category="Europe/France"),
        OPMLEntry("C", "https://c.example/rss", category="Europe"),
    ]
    root = etree.fromstring(write_opml(entries))
    europe = root.find("body/outline")
    assert europe.get("text") == "Europe"
    france = europe.find("outline")
    assert france.get("text") == "France"
    assert [o.get("text") for o in france] == ["A", "B"]


def test_write_rejects_unknown_kind() -> None:
    with pytest.raises(OPMLError, match="kind"):
        write_opml([OPMLEntry("A", "https://a.example/rss", kind="podcast")])


def test_duplicate_feed_urls_are_reported_not_fatal() -> None:
    data = b"""<opml version="2.0"><body>
      <outline text="One" xmlUrl="https://dup.example/rss"/>
      <outline text="Cat"><outline text="Two" xmlUrl="https://dup.example/rss"/></outline>
    </body></opml>"""
    entries = parse_opml(data, "dups.opml")
    assert [e.name for e in entries] == ["One"]
    assert entries.duplicates == ["https://dup.example/rss"]
    assert any("dups.opml:3" in p and "repeats line 2" in p for p in entries.problems)


def test_bad_outlines_are_skipped_and_reported() -> None:
    data = b"""<opml version="2.0"><body>
      <outline text="No url"/>
      <outline text="Relative" xmlUrl="/feed.xml"/>
      <outline text="JS" xmlUrl="javascript:alert(1)"/>
      <outline text="Bad country" xmlUrl="https://ok.example/rss" country="Germany" language="english!"/>
      <outline text="UK" xmlUrl="https://uk.example/rss" country="uk"/>
    </body></opml>"""
    entries = parse_opml(data, "bad.opml")
    assert [e.name for e in entries] == ["Bad country", "UK"]
    assert entries[0].country is None and entries[0].language is None
    assert entries[1].country == "GB"
    text = "\n".join(entries.problems)
    assert "no xmlUrl" in text and "/feed.xml" in text and "javascript" in text
    assert "Germany" in text and "english!" in text


def test_flat_list_uses_category_attribute() -> None:
    data = b'<opml version="2.0"><body><outline text="x" xmlUrl="https://x.example/rss" category="/Europe/Spain,/News"/></body></opml>'
    assert parse_opml(data, "c.opml")[0].category == "Europe/Spain"


def test_declared_latin1_encoding_is_honoured() -> None:
    data = '<?xml version="1.0" encoding="ISO-8859-1"?><opml version="1.0"><body><outline text="Le Monde élu" xmlUrl="https://lm.example/rss"/></body></opml>'.encode(
        "latin-1"
    )
    assert parse_opml(data, "latin.opml")[0].name == "Le Monde élu"


def test_utf16_with_bom_is_read() -> None:
    data = '<?xml version="1.0" encoding="UTF-16"?><opml version="1.0"><body><outline text="Ynet ידיעות" xmlUrl="https://y.example/rss"/></body></opml>'.encode(
        "utf-16"
    )
    assert parse_opml(data, "u16.opml")[0].name == "Ynet ידיעות"


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"", "empty file"),
        (b"   \n  ", "empty file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        (b'{"feeds": []}', "JSON"),
        (b"[1, 2]", "JSON"),
        (b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>", "HTML page"),
        (b"<html><body>hello</body></html>", "HTML page"),
        (b"hello world", "not XML"),
        (b"<?xml version='1.0'?><catalog><book/></catalog>", "root element is <catalog>"),
        (b"<rss version='2.0'><channel><title>x</title></channel></rss>", "this is a feed"),
        (b"<urlset xmlns='http://www.sitemaps.org/schemas/sitemap/0.9'/>", "this is a sitemap"),
        (b"<opml version='2.0'><head/></opml>", "no <body>"),
        (b"<opml><body><outline text='x'></body></opml>", "not well-formed"),
        (
            '<opml><body><outline text="caf\u00e9"/></body></opml>'.encode("latin-1"),
            "not valid UTF-8",
        ),
    ],
)
def test_not_opml_raises_opml_error_naming_file(data: bytes, fragment: str) -> None:
    with pytest.raises(OPMLError) as info:
        parse_opml(data, "input/list.opml")
    message = str(info.value)
    assert message.startswith("input/list.opml: ")
    assert fragment in message


def test_str_input_is_rejected_clearly() -> None:
    with pytest.raises(OPMLError, match="expected bytes"):
        parse_opml("<opml/>", "s.opml")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "doctype",
    [
        # "billion laughs"
        '<!ENTITY a "AAAAAAAAAA"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">',
        # XXE
        '<!ENTITY b SYSTEM "file:///etc/passwd">',
    ],
)
def test_entity_declarations_are_refused(doctype: str) -> None:
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [{doctype}]>\n'
        '<opml version="2.0"><body><outline text="&b;" xmlUrl="https://x.example/rss"/></body></opml>'
    ).encode()
    with pytest.raises(OPMLError, match="evil.opml: declares XML entities"):
        parse_opml(data, "evil.opml")


def test_plain_doctype_is_accepted() -> None:
    data = b'<?xml version="1.0"?><!DOCTYPE opml><opml version="2.0"><body><outline text="a" xmlUrl="https://x.example/rss"/></body></opml>'
    assert len(parse_opml(data, "d.opml")) == 1


def test_conversion_to_models() -> None:
    entry = parse_opml(NESTED, "nested.opml")[0]
    source = entry.to_source()
    assert (source.name, source.url, source.country, source.language) == (
        "Tagesschau",
        "https://www.tagesschau.de/",
        "DE",
        "de",
    )
    feed = entry.to_feed(source_id=7)
    assert (feed.url, feed.kind, feed.source_id) == (
        "https://www.tagesschau.de/xml/rss2/",
        "feed",
        7,
    )
    back = OPMLEntry.from_models(source, feed, category=entry.category)
    assert back == entry
