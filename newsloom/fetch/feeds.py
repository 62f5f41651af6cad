"""One entry point for everything a Feed row can point at: RSS 0.9x/1.0/2.0 and Atom
(feedparser), JSON Feed 1.0/1.1 (parsed directly), sitemaps and Google News sitemaps (lxml).
"""

from __future__ import annotations

import calendar
import json
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urljoin

import feedparser

from newsloom.errors import FeedParseError
from newsloom.fetch.sitemaps import parse_date, parse_sitemap, sniff_sitemap
from newsloom.models import FeedItem

MAX_GUNZIPPED_BYTES = 50 * 1024 * 1024  # the sitemap protocol's uncompressed limit


@dataclass
class ParsedFeed:
    title: str | None
    kind: str  # "rss" | "atom" | "json" | "sitemap" | "sitemap_index"
    items: list[FeedItem] = field(default_factory=list)
    version: str | None = None  # feedparser's version ("rss20", "atom10", ...) or JSON Feed's
    language: str | None = None
    sitemaps: list[FeedItem] = field(default_factory=list)  # children of a sitemap index


def _gunzip(body: bytes, url: str) -> bytes:
    # bounded: a 1 MB gzip bomb would otherwise expand to gigabytes
    d = zlib.decompressobj(wbits=47)
    try:
        out = d.decompress(body, MAX_GUNZIPPED_BYTES + 1)
    except zlib.error as exc:
        raise FeedParseError(url, f"corrupt gzip data ({exc})") from None
    if len(out) > MAX_GUNZIPPED_BYTES:
        raise FeedParseError(url, f"gzipped document expands beyond {MAX_GUNZIPPED_BYTES} bytes")
    return out


def _absolute(base: str, link: str) -> str | None:
    """``link`` resolved against ``base``; None unless it is a usable http(s) URL."""
    try:
        out = urljoin(base, link.strip())
    except ValueError:  # e.g. "Invalid IPv6 URL" from a mangled bracket
        return None
    return out if out.startswith(("http://", "https://")) else None


def _is_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type:
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


def parse_feed(body: bytes, url: str, content_type: str | None = None) -> ParsedFeed:
    """Parse a feed or sitemap; raises FeedParseError when nothing usable is in ``body``."""
    if not body or not body.strip():
        raise FeedParseError(url, "empty document")
    if body[:2] == b"\x1f\x8b":
        body = _gunzip(body, url)
    if _is_json(body, content_type):
        return _parse_json_feed(body, url)
    if sniff_sitemap(body):
        sm = parse_sitemap(body, url)
        return ParsedFeed(title=None, kind=sm.kind, items=sm.items, sitemaps=sm.sitemaps)
    return _parse_xml_feed(body, url, content_type)


# --- RSS / Atom ---------------------------------------------------------------------------------
def _struct_to_dt(value: Any) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), tz=UTC)
    except (OverflowError, ValueError, TypeError):
        return None


def _lang(value: str | None) -> str | None:
    if not value or not isinstance(value, str):
        return None
    return value.strip().lower() or None


# feedparser flags these as bozo, but they only say the HTTP charset/type disagreed with the XML
_BENIGN_BOZO = (feedparser.CharacterEncodingOverride, feedparser.NonXMLContentType)


def _parse_xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # the HTTP content type lets feedparser honour its charset; no content-location on purpose:
    # feedparser would then "resolve" opaque guids like "id-1" against the feed URL
    headers = {"content-type": content_type} if content_type else {}
    try:
        d = feedparser.parse(body, response_headers=headers)
    except (UnicodeError, LookupError, ValueError) as exc:
        # feedparser trusts the XML declaration's encoding name and can trip over a bogus one
        raise FeedParseError(url, f"unreadable encoding ({exc.__class__.__name__}: {exc})") from None
    version = d.get("version") or ""
    meta = d.get("feed", {})
    feed_lang = _lang(meta.get("language"))
    items: list[FeedItem] = []
    seen: set[str] = set()
    for e in d.entries:
        link = e.get("link")
        if not link:
            # feedparser already turns a permalink <guid> into link; an Atom entry may only
            # have links with another rel
            link = next((lk.get("href") for lk in e.get("links", []) if lk.get("href")), None)
        if not link:
            continue
        link = _absolute(url, link)
        if link is None or link in seen:
            continue
        seen.add(link)
        items.append(FeedItem(
            url=link,
            title=(e.get("title") or "").strip() or None,
            summary=(e.get("summary") or "").strip() or None,
            published=_struct_to_dt(e.get("published_parsed") or e.get("updated_parsed")),
            lang=_lang(e.get("language")) or feed_lang,
            guid=e.get("id") or None,
        ))
    if not items:
        # a broken feed with readable entries is kept; a broken one without any is an error
        problem = d.get("bozo_exception")
        if d.get("bozo") and not isinstance(problem, _BENIGN_BOZO):
            raise FeedParseError(url, f"malformed XML: {problem}")
        if not version:
            raise FeedParseError(url, "no RSS, Atom, JSON Feed or sitemap found")
    kind = "atom" if version.startswith("atom") else "rss"
    return ParsedFeed(title=(meta.get("title") or "").strip() or None, kind=kind, items=items,
                      version=version or None, language=feed_lang)


# --- JSON Feed ----------------------------------------------------------------------------------
def _parse_json_feed(body: bytes, url: str) -> ParsedFeed:
    try:
        doc = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FeedParseError(url, f"invalid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise FeedParseError(url, "JSON document is not an object")
    version = doc.get("version")
    if not isinstance(version, str) or "jsonfeed.org/version/" not in version:
        raise FeedParseError(url, "JSON without a jsonfeed.org \"version\"; not a JSON Feed")
    raw_items = doc.get("items")
    if not isinstance(raw_items, list):
        raise FeedParseError(url, "JSON Feed without an \"items\" list")
    feed_lang = _lang(doc.get("language"))
    items: list[FeedItem] = []
    seen: set[str] = set()
    for it in raw_items:
        if not isinstance(it, dict):
            continue
        link = it.get("url") or it.get("external_url")
        if not isinstance(link, str) or not link.strip():
            continue
        link = _absolute(url, link)
        if link is None or link in seen:
            continue
        seen.add(link)
        summary = it.get("summary") or it.get("content_text")
        published = it.get("date_published") or it.get("date_modified")
        guid = it.get("id")
        title = it.get("title")
        items.append(FeedItem(
            url=link,
            title=title.strip() or None if isinstance(title, str) else None,
            summary=summary.strip() or None if isinstance(summary, str) else None,
            published=parse_date(published) if isinstance(published, str) else None,
            lang=_lang(it.get("language")) or feed_lang,
            guid=str(guid) if guid is not None else None,
        ))
    title = doc.get("title")
    return ParsedFeed(title=title.strip() or None if isinstance(title, str) else None, kind="json",
                      items=items, version=version.rsplit("/", 1)[-1], language=feed_lang)
