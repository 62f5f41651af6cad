"""Single pages saved as files: ``.html``/``.htm`` and ``.txt`` (optionally gzipped).

Bytes are passed through untouched: guessing the encoding is extraction's job, which sees the
``<meta charset>`` and can try several decodings; doing it here would lose that information.
"""

from __future__ import annotations

import gzip
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

from lxml import etree

from newsloom.ingest.base import DEFAULT_MAX_BYTES, IngestItem, IngestItemError
from newsloom.models import RawDocument


def file_url(path: Path) -> str:
    """The ``file://`` URL of a path, absolute so the same file always gets the same URL."""
    return path.resolve().as_uri()


def _read_capped(path: Path, max_bytes: int, gzipped: bool) -> bytes:
    opener = gzip.open if gzipped else open
    with opener(path, "rb") as fh:  # type: ignore[operator]
        data = fh.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise IngestItemError(path, f"larger than {max_bytes} bytes; not read")
    return data


def _is_http_url(url: str) -> bool:
    parts = urlsplit(url)
    return parts.scheme in ("http", "https") and bool(parts.netloc)


def page_url(html: bytes) -> str | None:
    """The page's own absolute URL from ``<link rel=canonical>`` or ``og:url``, if it has one.

    A saved page keeps its identity this way, so ingesting a file and later fetching the same
    article are recognised as one page.
    """
    if not html.strip():
        return None
    # canonical and og:url live in <head>: parsing only it (not a 500 KB body) keeps reading
    # files cheap in the single process that feeds the extraction workers
    end = html.lower().find(b"</head>", 0, 256 * 1024)
    if end > 0:
        html = html[: end + 7]
    parser = etree.HTMLParser(no_network=True, remove_comments=True, remove_pis=True)
    try:
        root = etree.fromstring(html, parser=parser)
    except (etree.ParserError, ValueError):
        return None
    if root is None:
        return None
    for link in root.iter("link"):
        rels = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rels and _is_http_url(href):
            return href
    for meta in root.iter("meta"):
        if (meta.get("property") or meta.get("name") or "").strip().lower() == "og:url":
            content = (meta.get("content") or "").strip()
            if _is_http_url(content):
                return content
    return None


def _mtime(path: Path) -> datetime:
    # The file's age is the best stand-in for "when it was fetched" that a saved page has.
    return datetime.fromtimestamp(path.stat().st_mtime, tz=UTC)


def read_html(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, gzipped: bool = False
) -> Iterator[IngestItem]:
    body = _read_capped(path, max_bytes, gzipped)
    own = file_url(path)
    url = page_url(body) or own
    raw = RawDocument(
        url=url,
        body=body,
        content_type="text/html",
        fetched_at=_mtime(path),
        final_url=own if url != own else None,
        origin="file",
    )
    yield IngestItem(raw, where=str(path))


def _starts_as_html(body: bytes) -> bool:
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith((b"<!doctype html", b"<html"))


def read_text(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, gzipped: bool = False
) -> Iterator[IngestItem]:
    body = _read_capped(path, max_bytes, gzipped)
    if _starts_as_html(body):  # a saved web page named .txt: its markup was stored as the text
        yield from read_html(path, max_bytes=max_bytes, gzipped=gzipped)
        return
    raw = RawDocument(
        url=file_url(path),
        body=body,
        content_type="text/plain",
        fetched_at=_mtime(path),
        origin="file",
    )
    yield IngestItem(raw, where=str(path))
