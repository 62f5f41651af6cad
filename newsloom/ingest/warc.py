"""WARC archives (``.warc``, ``.warc.gz``; Common Crawl CC-NEWS style) through warcio.

Only ``response`` records with HTTP 200 and an HTML payload become documents; everything else
(requests, metadata, redirects, images, revisits) is skipped silently because it is normal.
Records are streamed one at a time; a body is read at most up to the size cap.

warcio does not report a cut-off archive: a truncated last record simply comes out short and a
truncated gzip member ends the iteration early. So this reader checks itself that every record
delivered its full Content-Length and that iteration ended at the end of the file; when not, it
yields one ``IngestItemError`` with the record's byte offset and stops that file, keeping what
came before.
"""

from __future__ import annotations

import contextlib
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from warcio.archiveiterator import ArchiveIterator
from warcio.limitreader import LimitReader

from newsloom.ingest.base import DEFAULT_MAX_BYTES, IngestItem, IngestItemError
from newsloom.models import RawDocument

_HTML_TYPES = ("text/html", "application/xhtml+xml")
# The body handed on is already de-chunked and decompressed by warcio, so these headers would
# describe bytes that no longer exist and mislead whoever reads ``headers`` later.
_DROP_HEADERS = {"content-encoding", "transfer-encoding", "content-length"}
_CHUNK = 64 * 1024


def _parse_warc_date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _media_type(content_type: str | None) -> tuple[str, str | None]:
    if not content_type:
        return "", None
    parts = [p.strip() for p in content_type.split(";")]
    charset = None
    for p in parts[1:]:
        key, _, val = p.partition("=")
        if key.strip().lower() == "charset" and val.strip():
            charset = val.strip().strip("\"'").lower()
    return parts[0].lower(), charset


def _headers(record: Any) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in record.http_headers.headers:
        key = name.strip().lower()
        if key in _DROP_HEADERS:
            continue
        out[key] = f"{out[key]}, {value}" if key in out else value
    return out


def _read_body(record: Any, max_bytes: int) -> bytes | None:
    """The decoded payload, or None when it is over the cap (the rest is drained, not kept)."""
    stream = record.content_stream()
    parts: list[bytes] = []
    size = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        size += len(chunk)
        if size > max_bytes:
            while stream.read(_CHUNK):
                pass
            return None
        parts.append(chunk)
    return b"".join(parts)


def _incomplete(record: Any) -> str | None:
    """Why a record is damaged, or None. Call after its payload has been read."""
    raw = record.raw_stream
    if not isinstance(raw, LimitReader):
        return "record header has no Content-Length (cut off or corrupt)"
    while raw.read(_CHUNK):
        pass
    if raw.limit > 0:
        return f"record is cut off ({raw.limit} bytes of its Content-Length missing)"
    return None


def read_warc(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Iterator[IngestItem | IngestItemError]:
    size = path.stat().st_size
    with path.open("rb") as fh:
        records = ArchiveIterator(fh)
        offset = 0
        while True:
            try:
                # warcio prints malformed-record warnings straight to stderr; this reader reports
                # them itself as IngestItemError, so the raw text is captured instead of shown.
                with contextlib.redirect_stderr(io.StringIO()):
                    record = next(records)
            except StopIteration:
                break
            # warcio raises whatever its parsers hit on garbage (ArchiveLoadFailed,
            # StatusAndHeadersParserException, zlib.error, AttributeError on a cut header line...);
            # any of them means the same thing here: the archive is unreadable from this offset on.
            except Exception as exc:  # noqa: BLE001
                yield IngestItemError(path, _describe(exc), offset=offset, stopped=True)
                return
            try:
                item, problem = _convert(record, path, offset, max_bytes)
                if problem is not None and problem.stopped:
                    yield problem
                    return
                damage = _incomplete(record)
                if damage:
                    yield IngestItemError(path, damage, offset=offset, stopped=True)
                    return
                with contextlib.redirect_stderr(io.StringIO()):
                    records.get_record_offset()  # finishes the record so .offset is the next one
                if records.err_count:
                    # Whatever follows the record is not the blank line the format requires, so
                    # its Content-Length was wrong and its body (and all after it) is suspect.
                    yield IngestItemError(
                        path,
                        "record's Content-Length does not match its data; stopped reading",
                        offset=offset,
                        stopped=True,
                    )
                    return
            except Exception as exc:  # noqa: BLE001  (same reason as above)
                yield IngestItemError(
                    path,
                    f"corrupt record ({type(exc).__name__}: {exc})",
                    offset=offset,
                    stopped=True,
                )
                return
            if problem is not None:
                yield problem
            elif item is not None:
                yield item
            offset = records.offset
        # The iterator ends quietly on a truncated gzip member or a cut record header: the only
        # sign is that it stopped before the end of the file.
        if records.offset < size and not _only_blank_after(fh, records.offset, size):
            yield IngestItemError(
                path,
                f"archive ends in a cut-off or unreadable record "
                f"({size - records.offset} bytes not read)",
                offset=records.offset,
                stopped=True,
            )


def _describe(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    if "non-chunked gzip" in text:
        return (
            "gzipped as one stream, not record by record as WARC requires; "
            "fix it with `warcio recompress IN OUT`"
        )
    if "Unknown archive format" in text:  # warcio quotes the line it found: binary junk on a terminal
        return ("not a WARC record: no WARC/ARC record header where a record should start "
                "(not a WARC file, or damaged here)")
    return f"corrupt archive ({type(exc).__name__}: {text[:200]})"


def _only_blank_after(fh: Any, start: int, size: int) -> bool:
    if size - start > 4096:
        return False
    fh.seek(start)
    return not fh.read().strip()


def _convert(
    record: Any, path: Path, offset: int, max_bytes: int
) -> tuple[IngestItem | None, IngestItemError | None]:
    if record.format != "warc":
        # warcio falls back to the legacy ARC format for any line it cannot read as WARC, so
        # a text file would otherwise pass as one odd "record".
        return None, IngestItemError(
            path, "not a WARC record (no 'WARC/1.x' header line)", offset=offset, stopped=True
        )
    if record.rec_type not in (
        "response",
        "request",
        "warcinfo",
        "metadata",
        "resource",
        "revisit",
        "conversion",
        "continuation",
    ):
        return None, IngestItemError(
            path,
            f"unknown WARC-Type {record.rec_type!r} (corrupt header)",
            offset=offset,
            stopped=True,
        )
    if record.rec_type != "response":
        return None, None
    url = record.rec_headers.get_header("WARC-Target-URI")
    if record.http_headers is None:
        if url and url.lower().startswith(("http:", "https:")):
            # An http(s) response always carries a status line; none means the header block
            # was cut (typically at the end of a truncated file).
            return None, IngestItemError(
                path,
                f"{url}: response record has no HTTP status line (cut off or corrupt); skipped",
                offset=offset,
            )
        return None, None
    status = record.http_headers.get_statuscode()
    if status != "200":
        return None, None
    media, charset = _media_type(record.http_headers.get_header("Content-Type"))
    if not media:
        # Common Crawl records what it sniffed when the server sent no Content-Type.
        media, _ = _media_type(record.rec_headers.get_header("WARC-Identified-Payload-Type"))
    if media not in _HTML_TYPES:
        return None, None
    if not url:
        return None, IngestItemError(
            path, "response record has no WARC-Target-URI; skipped", offset=offset
        )
    body = _read_body(record, max_bytes)
    if body is None:
        return None, IngestItemError(
            path, f"{url}: body larger than {max_bytes} bytes; skipped", offset=offset
        )
    raw = RawDocument(
        url=url,
        body=body,
        content_type=media,
        encoding=charset,
        http_status=200,
        headers=_headers(record),
        fetched_at=_parse_warc_date(record.rec_headers.get_header("WARC-Date"))
        or datetime.now(UTC),
        origin="warc",
    )
    return IngestItem(raw, where=f"{path}@{offset}"), None
