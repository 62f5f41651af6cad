"""One entry point for everything a Feed row can point at: RSS 0.9x/1.0/2.0 and Atom
(feedparser), JSON Feed 1.0/1.1 (parsed directly), sitemaps and Google News sitemaps (lxml).
"""

from __future__ import annotations

import calendar
import codecs
import json
import re
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urldefrag, urljoin

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


def _absolute(base: str, link: str | None) -> str | None:
    """``link`` resolved against ``base``; None unless it is a usable http(s) URL of its own.

    A blank, whitespace or fragment-only link ("#", "#top") would resolve to the feed itself,
    which is then fetched as if it were an article: such a link is no link."""
    link = (link or "").strip()
    if not link or link.startswith("#"):
        return None
    try:
        out = urljoin(base, link)
    except ValueError:  # e.g. "Invalid IPv6 URL" from a mangled bracket
        return None
    if not out.startswith(("http://", "https://")) or urldefrag(out)[0] == urldefrag(base)[0]:
        return None
    return out


def _is_json(body: bytes, content_type: str | None) -> bool:
    if content_type and "json" in content_type:
        return True
    return body.lstrip(b"\xef\xbb\xbf \t\r\n")[:1] == b"{"


_HTML_PAGE = re.compile(rb"\A(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html)[\s>]", re.I | re.S)
_ALTERNATE = re.compile(rb"<link\b[^>]*>", re.I)


def _html_page_message(body: bytes, url: str) -> str:
    """A web page given as a feed: say so, and name the feed it advertises, if any."""
    for tag in _ALTERNATE.findall(body[:200_000]):
        low = tag.lower()
        if b"alternate" in low and re.search(rb"application/(?:rss|atom)\+xml|application/feed\+json", low):
            href = re.search(rb"""href\s*=\s*["']([^"']+)["']""", tag, re.I)
            if href:
                found = urljoin(url, href.group(1).decode("utf-8", "replace").strip())
                return f"an HTML page, not a feed; the page names its feed: {found}"
    return "an HTML page, not a feed; give the address of its RSS/Atom feed or news sitemap"


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


_XML_DECL = re.compile(rb"""^(\s*<\?xml[^>]*?encoding\s*=\s*["'])([^"']*)(["'])""", re.I)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([^\s;\"']+)", re.I)
_UNICODE = ("utf_8", "utf_16", "utf_32", "utf_8_sig")
# "&" not starting an entity or character reference: the commonest XML error in real feeds
_BARE_AMP = re.compile(rb"&(?!(?:#[0-9]+|#x[0-9a-fA-F]+|[A-Za-z_][\w.-]*);)")


def _codec(label: str | None) -> str | None:
    try:
        return codecs.lookup(label).name.replace("-", "_") if label else None
    except LookupError:
        return None


def _prefer_utf8(body: bytes, content_type: str | None) -> tuple[bytes, str | None]:
    """Bytes that are valid UTF-8 with multibyte sequences are UTF-8, whatever legacy charset the
    header or XML declaration names: a feed re-encoded on its way (CMS, CDN) keeps the old label,
    and legacy text almost never happens to decode as UTF-8 with multibyte sequences."""
    if body.isascii():
        return body, content_type
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return body, content_type
    decl = _XML_DECL.match(body)
    header = _CHARSET.search(content_type or "")
    labels = [_codec(decl.group(2).decode("ascii", "replace")) if decl else None,
              _codec(header.group(1)) if header else None]
    if all(lab is None or lab.startswith(_UNICODE) for lab in labels):
        return body, content_type
    if decl:
        body = decl.group(1) + b"utf-8" + decl.group(3) + body[decl.end():]
    if content_type:
        content_type = _CHARSET.sub("charset=utf-8", content_type)
    return body, content_type


def _feedparse(body: bytes, url: str, content_type: str | None) -> Any:
    # the HTTP content type lets feedparser honour its charset; no content-location on purpose:
    # feedparser would then "resolve" opaque guids like "id-1" against the feed URL
    headers = {"content-type": content_type} if content_type else {}
    try:
        return feedparser.parse(body, response_headers=headers)
    except (UnicodeError, LookupError, ValueError) as exc:
        # feedparser trusts the XML declaration's encoding name and can trip over a bogus one
        raise FeedParseError(url, f"unreadable encoding ({exc.__class__.__name__}: {exc})") from None


def _is_broken(d: Any) -> bool:
    return bool(d.get("bozo")) and not isinstance(d.get("bozo_exception"), _BENIGN_BOZO)


def _entry_link(e: Any, base: str) -> str | None:
    """The article URL of one entry: its link, else a permalink guid; never an enclosure (an
    mp3 is not an article) and never the feed itself."""
    enclosures = {lk.get("href") for lk in e.get("links", []) if lk.get("rel") == "enclosure"}
    candidates = [e.get("link")]
    # an Atom entry may only have links with another rel; "enclosure", "self", "edit" ... are
    # not the article
    candidates += [lk.get("href") for lk in e.get("links", []) if lk.get("rel") in (None, "alternate")]
    guid = e.get("id")
    if isinstance(guid, str) and guid.strip().startswith(("http://", "https://")):
        candidates.append(guid)  # feedparser only moves a guid into link when <link> is absent
    for link in candidates:
        if link and link not in enclosures:
            out = _absolute(base, link)
            if out is not None:
                return out
    return None


def _parse_xml_feed(body: bytes, url: str, content_type: str | None) -> ParsedFeed:
    # whitespace before "<?xml" makes the declaration illegal; mature readers drop it
    stripped = body.lstrip(b" \t\r\n")
    if stripped[:5] == b"<?xml":
        body = stripped
    body, content_type = _prefer_utf8(body, content_type)
    d = _feedparse(body, url, content_type)
    if _is_broken(d) and not d.entries and _BARE_AMP.search(body):
        # a bare "&" (say in the channel link) is repaired and the feed read again; a feed
        # still broken after the repair is treated as before
        fixed = _feedparse(_BARE_AMP.sub(b"&amp;", body), url, content_type)
        if not _is_broken(fixed):
            d = fixed
    version = d.get("version") or ""
    meta = d.get("feed", {})
    feed_lang = _lang(meta.get("language"))
    items: list[FeedItem] = []
    seen: set[str] = set()
    for e in d.entries:
        link = _entry_link(e, url)
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
        if _HTML_PAGE.match(body):  # was "malformed XML: <unknown>:2:144: mismatched tag"
            raise FeedParseError(url, _html_page_message(body, url))
        # a broken feed with readable entries is kept; a broken one without any is an error
        if _is_broken(d):
            raise FeedParseError(url, f"malformed XML: {d.get('bozo_exception')}")
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
