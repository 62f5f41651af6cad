"""Sitemaps: ``<urlset>`` (plain and Google News) and ``<sitemapindex>``, parsed with lxml.

The XML comes from strangers, so the parser never resolves entities, never touches the network,
and refuses huge trees; elements are matched by local name because many news sites get the
namespace URIs slightly wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from lxml import etree

from newsloom.errors import FeedParseError
from newsloom.models import FeedItem

MAX_URLS = 50_000  # the sitemap protocol's own limit per file; more is ignored

_ROOT_RE = re.compile(rb"<(?:[\w.-]+:)?(urlset|sitemapindex)[\s>]")


@dataclass
class ParsedSitemap:
    kind: str  # "sitemap" | "sitemap_index"
    items: list[FeedItem] = field(default_factory=list)  # article URLs (urlset)
    sitemaps: list[FeedItem] = field(default_factory=list)  # child sitemaps (index), lastmod as published


def sniff_sitemap(body: bytes) -> str | None:
    """'urlset' / 'sitemapindex' if the document's root looks like a sitemap, else None."""
    m = _ROOT_RE.search(body[:4096])
    return m.group(1).decode() if m else None


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False,
                           load_dtd=False, dtd_validation=False, remove_comments=True,
                           remove_pis=True, recover=False)


def parse_date(text: str | None) -> datetime | None:
    """W3C datetime (``2024-05-01``, ``2024-05-01T10:00:00+02:00``, ``...Z``) to aware UTC."""
    if not text:
        return None
    text = text.strip()
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.astimezone(UTC)


def _local(el: etree._Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(el: etree._Element) -> dict[str, etree._Element]:
    out: dict[str, etree._Element] = {}
    for child in el:
        name = _local(child)
        if name and name not in out:
            out[name] = child
    return out


def _text(el: etree._Element | None) -> str | None:
    if el is None:
        return None
    t = "".join(el.itertext()).strip()
    return t or None


def parse_sitemap(body: bytes, url: str) -> ParsedSitemap:
    try:
        root = etree.fromstring(body, parser=_parser())
    except etree.XMLSyntaxError as exc:
        raise FeedParseError(url, f"malformed sitemap XML: {exc}") from None
    kind = _local(root)
    if kind not in ("urlset", "sitemapindex"):
        raise FeedParseError(url, f"root element <{kind}> is neither <urlset> nor <sitemapindex>")
    out = ParsedSitemap("sitemap" if kind == "urlset" else "sitemap_index")
    seen: set[str] = set()
    for entry in root:
        if len(seen) >= MAX_URLS:
            break
        name = _local(entry)
        if name not in ("url", "sitemap"):
            continue
        fields = _children(entry)
        loc = _text(fields.get("loc"))
        if not loc or loc in seen or not loc.startswith(("http://", "https://")):
            continue
        seen.add(loc)
        lastmod = parse_date(_text(fields.get("lastmod")))
        if name == "sitemap":
            out.sitemaps.append(FeedItem(url=loc, published=lastmod))
            continue
        item = FeedItem(url=loc, published=lastmod, guid=loc)
        news = fields.get("news")
        if news is not None:
            n = _children(news)
            item.title = _text(n.get("title"))
            item.published = parse_date(_text(n.get("publication_date"))) or lastmod
            pub = n.get("publication")
            if pub is not None:
                lang = _text(_children(pub).get("language"))
                item.lang = lang.lower() if lang else None
        out.items.append(item)
    return out
