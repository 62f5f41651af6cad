"""Already-extracted articles, one JSON object per line (the corpora format).

Fields: ``doc_id``, ``title``, ``text`` (one of the two non-empty), ``lang``, ``date`` (ISO 8601
or null), ``url``, ``source``; any other field (``story_id``, ``topic``, ``license``...) is kept in
``IngestItem.extra``. A bad line yields an ``IngestItemError`` naming ``file:line`` and reading
goes on with the next line.

URLs identify articles in the store, so two articles must not share one. Corpora of translations
give every translation the URL of the original (MEANTIME does); such a line, or one marked
``is_translation``, gets ``urn:newsloom:doc:<doc_id>`` as its URL and keeps the given URL as
``primary_url``, which is what that URL is.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from newsloom.ingest.base import DEFAULT_MAX_BYTES, IngestItem, IngestItemError
from newsloom.models import Article

_KNOWN = {"doc_id", "title", "text", "lang", "date", "url", "source"}


def doc_urn(doc_id: str) -> str:
    """A stable URL for an article that has none, so re-ingesting it finds the same record."""
    return f"urn:newsloom:doc:{quote(doc_id, safe=':@-._~!$&()*+,;=')}"


class _BadLine(ValueError):
    pass


def _opt_str(row: dict[str, Any], key: str) -> str | None:
    value = row.get(key)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and key == "doc_id":
        return str(value)
    if not isinstance(value, str):
        raise _BadLine(f"field {key!r} must be a string, got {type(value).__name__}")
    return value.strip() or None


def parse_date(value: str) -> datetime:
    """ISO 8601 date or date-time; a value without a zone is taken as UTC."""
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _BadLine(f"date {value!r} is not an ISO 8601 date") from None
    return dt if dt.tzinfo else dt.replace(tzinfo=UTC)


def _article(row: Any) -> tuple[Article, dict[str, Any]]:
    if not isinstance(row, dict):
        raise _BadLine(f"expected a JSON object, got {type(row).__name__}")
    text = row.get("text")
    if text is None:
        text = ""
    if not isinstance(text, str):
        raise _BadLine(f"field 'text' must be a string, got {type(text).__name__}")
    title = _opt_str(row, "title")
    # A headline alone still places an article in a story (corpora have a few such rows);
    # whether it is long enough to keep is the pipeline's min_text_chars decision.
    if not text.strip() and not title:
        raise _BadLine("both 'title' and 'text' are missing or empty")
    doc_id = _opt_str(row, "doc_id")
    url = _opt_str(row, "url")
    if url is not None:
        parts = urlsplit(url)
        if not (parts.scheme in ("http", "https") and parts.netloc) and parts.scheme != "urn":
            raise _BadLine(f"url {url!r} is not an http(s) URL")
    if url is None and doc_id is None:
        raise _BadLine("neither 'url' nor 'doc_id' is given, so the article cannot be identified")
    date = _opt_str(row, "date")
    lang = _opt_str(row, "lang")
    article = Article(
        url=url or doc_urn(doc_id or ""),
        title=title,
        text=text,
        lang=lang.lower() if lang else None,
        published=parse_date(date) if date else None,
        source=_opt_str(row, "source"),
        doc_id=doc_id,
    )
    if not text.strip():  # kept as a short item, and says so (``newsloom articles show`` lists notes)
        article.notes.append("ingest: title only, the record has no 'text'")
    extra = {k: v for k, v in row.items() if k not in _KNOWN}
    return article, extra


def read_jsonl(
    path: Path, *, max_bytes: int = DEFAULT_MAX_BYTES, gzipped: bool = False
) -> Iterator[IngestItem | IngestItemError]:
    opener = gzip.open if gzipped else open
    seen_ids: dict[str, int] = {}
    seen_urls: dict[str, int] = {}
    with opener(path, "rb") as fh:  # type: ignore[operator]
        for lineno, line in enumerate(fh, start=1):
            if len(line) > max_bytes:
                yield IngestItemError(
                    path, f"line longer than {max_bytes} bytes; skipped", line=lineno
                )
                continue
            if not line.strip():
                continue
            try:
                # utf-8-sig: editors on Windows put a BOM on the first line.
                row = json.loads(line.decode("utf-8-sig" if lineno == 1 else "utf-8"))
                article, extra = _article(row)
            except UnicodeDecodeError as exc:
                yield IngestItemError(
                    path, f"not valid UTF-8 ({exc.reason} at byte {exc.start})", line=lineno
                )
                continue
            except json.JSONDecodeError as exc:
                yield IngestItemError(
                    path, f"not valid JSON ({exc.msg} at column {exc.colno})", line=lineno
                )
                continue
            except _BadLine as exc:
                yield IngestItemError(path, str(exc), line=lineno)
                continue
            if article.doc_id is not None:
                first = seen_ids.get(article.doc_id)
                if first is not None:
                    yield IngestItemError(
                        path,
                        f"doc_id {article.doc_id!r} repeats line {first}; skipped",
                        line=lineno,
                    )
                    continue
                seen_ids[article.doc_id] = lineno
            given = article.url
            synthesised = article.doc_id is not None and given == doc_urn(article.doc_id)
            if not synthesised and (given in seen_urls or extra.get("is_translation") is True):
                if article.doc_id is None:
                    yield IngestItemError(
                        path,
                        f"url {given!r} repeats line {seen_urls.get(given)} and there is "
                        "no doc_id to tell the articles apart; skipped",
                        line=lineno,
                    )
                    continue
                article.url = doc_urn(article.doc_id)
                article.primary_url = given
            else:
                seen_urls[given] = lineno
            yield IngestItem(article, where=f"{path}:{lineno}", extra=extra)
