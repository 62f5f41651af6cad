"""OPML source lists: read them (import), write them (export), and the list shipped with newsloom.

OPML is the format every feed reader imports and exports. Outlines may nest to any depth; a nested
outline without ``xmlUrl`` is a category, one with ``xmlUrl`` is a feed. newsloom adds two things
that plain OPML has no standard place for: a ``country`` attribute (ISO 3166-1 alpha-2) on a feed
outline, and ``type="sitemap"`` for a news sitemap polled instead of a feed.

Parsing is safe against hostile files: lxml never resolves entities, loads a DTD or touches the
network, so "billion laughs" and XXE payloads stay inert text.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from newsloom.errors import OPMLError
from newsloom.models import Feed, Source

_KINDS = ("feed", "sitemap")
_LANG_RE = re.compile(r"^[a-z]{2,3}$")
_COUNTRY_RE = re.compile(r"^[A-Z]{2}$")
# "UK" is the most common wrong code in hand-written lists; ISO says GB.
_COUNTRY_ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class OPMLEntry:
    """One followed feed (or news sitemap) of one outlet, as a source list describes it."""

    name: str
    feed_url: str
    site_url: str | None = None
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    language: str | None = None  # ISO 639-1 (primary subtag only), lower case
    category: str | None = None  # nesting path of the enclosing outlines, "Europe/Germany"
    kind: str = "feed"  # "feed" | "sitemap"

    def to_source(self) -> Source:
        return Source(
            name=self.name,
            url=self.site_url or self.feed_url,
            country=self.country,
            language=self.language,
        )

    def to_feed(self, source_id: int | None = None) -> Feed:
        return Feed(url=self.feed_url, source_id=source_id, kind=self.kind, title=self.name)

    @classmethod
    def from_models(cls, source: Source, feed: Feed, category: str | None = None) -> OPMLEntry:
        """For export: the store keeps outlets and feeds apart; OPML has one outline per feed."""
        site = source.url if source.url != feed.url else None
        return cls(
            name=feed.title or source.name,
            feed_url=feed.url,
            site_url=site,
            country=source.country,
            language=source.language,
            category=category,
            kind=feed.kind if feed.kind in _KINDS else "feed",
        )


class OPMLEntries(list[OPMLEntry]):
    """The entries of one OPML file, plus what was wrong with it but not fatal.

    A plain ``list`` to callers that only want the entries; ``problems`` holds one human-readable
    line per skipped outline, repeated feed URL or dropped attribute, so the CLI can show them.
    """

    def __init__(self, entries: Iterable[OPMLEntry] = (), title: str | None = None) -> None:
        super().__init__(entries)
        self.title = title
        self.problems: list[str] = []
        self.duplicates: list[str] = []  # feed URLs that appeared more than once (first one kept)


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def _sniff(data: bytes, where: str) -> None:
    """Name the common wrong inputs before lxml does, because its messages say nothing useful
    to someone who picked the wrong file ("Start tag expected, '<' not found")."""
    if not data.strip():
        raise OPMLError(f"{where}: empty file, expected an OPML document")
    head = data[:2048]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        head = data[:4096].decode("utf-16", errors="replace").encode("utf-8")
    if b"\x00" in head:
        raise OPMLError(f"{where}: binary data, not an OPML document")
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if start[:1] in (b"{", b"["):
        raise OPMLError(f"{where}: looks like JSON, not an OPML document")
    lowered = start[:512].lower()
    if lowered.startswith(b"<!doctype html") or lowered.startswith(b"<html"):
        raise OPMLError(f"{where}: an HTML page, not an OPML document")
    if not start.startswith(b"<"):
        raise OPMLError(f"{where}: not XML (does not start with '<'), expected an OPML document")
    # No OPML needs entity declarations; refusing them outright (as defusedxml does) is simpler
    # to trust than any limit on how far they may expand.
    if b"<!ENTITY" in head or b"<!ENTITY" in data:
        raise OPMLError(
            f"{where}: declares XML entities, which OPML never needs; refused for safety"
        )


def _syntax_message(exc: etree.XMLSyntaxError) -> str:
    msg = str(exc)
    if "not proper UTF-8" in msg or "Invalid bytes in character encoding" in msg:
        return f"not valid UTF-8 (or not valid in the encoding it declares) ({msg})"
    if "nsupported encoding" in msg:
        return f"declares an encoding lxml cannot read ({msg})"
    return f"not well-formed XML ({msg})"


def _clean(value: str | None) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    return value or None


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def _kind(type_attr: str | None, url: str) -> str:
    t = (type_attr or "").strip().lower()
    if t == "sitemap":
        return "sitemap"
    if not t:
        # Lists written by hand often leave out type; a .xml URL with "sitemap" in its path
        # is never a feed in practice.
        path = urlsplit(url).path.lower()
        if "sitemap" in path and path.endswith((".xml", ".xml.gz")):
            return "sitemap"
    return "feed"


def parse_opml(data: bytes, where: str) -> OPMLEntries:
    """Parse an OPML document into flat entries, one per feed outline.

    ``where`` names the input (a path or URL) in every message. Raises ``OPMLError`` when the
    input is not an OPML document at all; outlines that are merely wrong (no usable URL, bad
    country code, repeated feed URL) are skipped or cleaned and listed in ``.problems``.
    """
    if not isinstance(data, (bytes, bytearray)):
        raise OPMLError(f"{where}: expected bytes, got {type(data).__name__}")
    _sniff(bytes(data), where)
    try:
        root = etree.fromstring(bytes(data), parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise OPMLError(f"{where}: {_syntax_message(exc)}") from None
    if root is None:
        raise OPMLError(f"{where}: no root element, expected <opml>")
    tag = etree.QName(root).localname.lower() if isinstance(root.tag, str) else ""
    if tag == "html":
        raise OPMLError(f"{where}: an HTML page, not an OPML document")
    if tag in ("rss", "feed", "rdf", "urlset", "sitemapindex"):
        what = "a sitemap" if tag in ("urlset", "sitemapindex") else "a feed"
        raise OPMLError(
            f"{where}: this is {what} (<{tag}>), not an OPML list; add it as a single feed instead"
        )
    if tag != "opml":
        raise OPMLError(f"{where}: XML root element is <{tag}>, expected <opml>")
    body = root.find("body")
    if body is None:
        raise OPMLError(f"{where}: <opml> has no <body> element")

    title = _clean(root.findtext("head/title"))
    out = OPMLEntries(title=title)
    seen: dict[str, int] = {}  # feed URL -> line of first occurrence
    _walk(body, (), where, out, seen)
    return out


def _walk(
    parent: etree._Element,
    path: tuple[str, ...],
    where: str,
    out: OPMLEntries,
    seen: dict[str, int],
) -> None:
    for node in parent:
        if not isinstance(node.tag, str) or etree.QName(node).localname != "outline":
            continue
        line = node.sourceline or 0
        label = _clean(node.get("text")) or _clean(node.get("title"))
        xml_url = _clean(node.get("xmlUrl") or node.get("xmlurl"))
        if xml_url:
            entry = _entry(node, label, xml_url, path, where, line, out)
            if entry is not None:
                first = seen.get(entry.feed_url)
                if first is not None:
                    out.duplicates.append(entry.feed_url)
                    out.problems.append(
                        f"{where}:{line}: feed {entry.feed_url} repeats line {first}; "
                        "kept the first"
                    )
                else:
                    seen[entry.feed_url] = line
                    out.append(entry)
        elif len(node) == 0:
            out.problems.append(
                f"{where}:{line}: outline {label or '(no text)'!r} has no xmlUrl; skipped"
            )
        # A feed outline with children is unusual but legal: its children inherit its name.
        if len(node):
            _walk(node, path + ((label or "untitled").replace("/", "-"),), where, out, seen)


def _entry(
    node: etree._Element,
    label: str | None,
    xml_url: str,
    path: tuple[str, ...],
    where: str,
    line: int,
    out: OPMLEntries,
) -> OPMLEntry | None:
    at = f"{where}:{line}"
    if not _is_http_url(xml_url):
        out.problems.append(f"{at}: xmlUrl {xml_url!r} is not an http(s) URL; skipped")
        return None
    site = _clean(node.get("htmlUrl") or node.get("htmlurl"))
    if site and not _is_http_url(site):
        out.problems.append(f"{at}: htmlUrl {site!r} is not an http(s) URL; dropped")
        site = None

    language = _clean(node.get("language"))
    if language:
        primary = language.replace("_", "-").split("-")[0].lower()
        if _LANG_RE.match(primary):
            language = primary
        else:
            out.problems.append(f"{at}: language {language!r} is not an ISO 639 code; dropped")
            language = None

    country = _clean(node.get("country"))
    if country:
        code = _COUNTRY_ALIASES.get(country.upper(), country.upper())
        if _COUNTRY_RE.match(code):
            country = code
        else:
            out.problems.append(
                f"{at}: country {country!r} is not an ISO 3166-1 alpha-2 code; dropped"
            )
            country = None

    category = "/".join(path) if path else None
    if category is None:
        # Flat lists (no nesting) may carry OPML 2.0's own "category" attribute instead:
        # comma-separated, slash-delimited paths; the first one is the outline's home.
        attr = _clean(node.get("category"))
        if attr:
            category = attr.split(",")[0].strip().strip("/") or None

    return OPMLEntry(
        name=label or site or xml_url,
        feed_url=xml_url,
        site_url=site,
        country=country,
        language=language,
        category=category,
        kind=_kind(node.get("type"), xml_url),
    )


def write_opml(entries: Iterable[OPMLEntry], title: str = "newsloom sources") -> bytes:
    """Serialise entries as OPML 2.0, nesting outlines by ``category`` path (first-seen order).

    ``parse_opml(write_opml(entries))`` gives the same entries back.
    """
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = title
    body = etree.SubElement(root, "body")
    folders: dict[tuple[str, ...], etree._Element] = {(): body}

    def folder(path: tuple[str, ...]) -> etree._Element:
        if path not in folders:
            parent = folder(path[:-1])
            folders[path] = etree.SubElement(parent, "outline", text=path[-1], title=path[-1])
        return folders[path]

    for entry in entries:
        if entry.kind not in _KINDS:
            raise OPMLError(f"{entry.feed_url}: kind {entry.kind!r} is not one of {_KINDS}")
        path = tuple(p for p in (entry.category or "").split("/") if p)
        attrs = {
            "text": entry.name,
            "title": entry.name,
            "type": "sitemap" if entry.kind == "sitemap" else "rss",
            "xmlUrl": entry.feed_url,
        }
        if entry.site_url:
            attrs["htmlUrl"] = entry.site_url
        if entry.language:
            attrs["language"] = entry.language
        if entry.country:
            attrs["country"] = entry.country
        etree.SubElement(folder(path), "outline", attrs)

    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def default_opml_path() -> Path:
    """The world-media list shipped inside the package."""
    return Path(str(resources.files("newsloom") / "data" / "world.opml"))


def load_default_sources() -> OPMLEntries:
    """Parse the shipped world-media list (what ``newsloom init`` follows by default)."""
    path = default_opml_path()
    return parse_opml(path.read_bytes(), str(path))
