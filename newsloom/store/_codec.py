"""Dataclass <-> row conversion shared by both backends, and the text folding used for search.

Kept free of any database driver so the two backends cannot drift apart in how a field is stored.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import unicodedata
import zlib
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any, TypeVar

from newsloom.errors import StoreError
from newsloom.models import (
    Article,
    Embed,
    Feed,
    FeedItem,
    FetchLog,
    Image,
    RawDocument,
    Revision,
    Source,
    Story,
    Suppression,
    TakedownRequest,
)
from newsloom.models import AuditEntry

T = TypeVar("T")

# How a field is stored when it is not a plain scalar. Every other field maps 1:1 to a column.
DT, JSON, BOOL, BYTES, ZLIB, FEED_ITEM = "dt", "json", "bool", "bytes", "zlib", "feed_item"

KINDS: dict[type, dict[str, str]] = {
    Source: {"created_at": DT},
    Feed: {"next_due": DT, "last_fetched": DT, "active": BOOL},
    FetchLog: {"at": DT},
    RawDocument: {"body": ZLIB, "headers": JSON, "fetched_at": DT, "feed_item": FEED_ITEM},
    Article: {
        "paragraph_langs": JSON,
        "published": DT,
        "updated": DT,
        "authors": JSON,
        "images": JSON,
        "embeds": JSON,
        "is_copy": BOOL,
        "minhash": BYTES,
        "cleanup_log": JSON,
        "notes": JSON,
        "rights": JSON,
        "entities": JSON,
        "quotes": JSON,
        "fetched_at": DT,
    },
    Revision: {"seen_at": DT},
    TakedownRequest: {"statement": BOOL, "received_at": DT, "deadline": DT, "verified_at": DT,
                      "executed_at": DT, "checked_at": DT},
    AuditEntry: {"at": DT},
    Suppression: {"at": DT},
    Story: {
        "headlines": JSON,
        "languages": JSON,
        "countries": JSON,
        "sources": JSON,
        "first_seen": DT,
        "last_updated": DT,
        "centroid": BYTES,
        "timeline": JSON,
        "entities": JSON,
        "quotes": JSON,
    },
}

# JSON lists of these dataclasses are rebuilt on read.
NESTED: dict[tuple[type, str], type] = {(Article, "images"): Image, (Article, "embeds"): Embed}


def columns(model: type) -> list[str]:
    """Column names of a model's table, in field order, without ``id`` (the database assigns it)."""
    return [f.name for f in dataclasses.fields(model) if f.name != "id"]


def has_id(model: type) -> bool:
    return any(f.name == "id" for f in dataclasses.fields(model))


def strip_nul(obj: Any) -> Any:
    """Drop NUL characters: PostgreSQL refuses them in text and jsonb; SQLite follows suit so
    both backends return the same string."""
    if isinstance(obj, str):
        return obj.replace("\x00", "") if "\x00" in obj else obj
    if isinstance(obj, list | tuple):
        return [strip_nul(v) for v in obj]
    if isinstance(obj, dict):
        return {strip_nul(k): strip_nul(v) for k, v in obj.items()}
    return obj


def _json_default(obj: Any) -> Any:
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return dataclasses.asdict(obj)
    if isinstance(obj, datetime | date):
        return obj.isoformat()
    if hasattr(obj, "item"):  # numpy scalars from the analysis stages
        return obj.item()
    if hasattr(obj, "tolist"):
        return obj.tolist()
    raise TypeError(f"{type(obj).__name__} is not JSON serialisable")


def dump_json(value: Any, where: str) -> str | None:
    if value is None:
        return None
    try:
        return json.dumps(strip_nul(value), ensure_ascii=False, default=_json_default)
    except (TypeError, ValueError) as exc:
        raise StoreError(f"{where}: cannot be stored as JSON ({exc})") from None


def load_json(value: Any) -> Any:
    # PostgreSQL's jsonb arrives already parsed; SQLite gives text.
    return json.loads(value) if isinstance(value, str | bytes) else value


def to_utc(value: Any, where: str) -> datetime | None:
    if value is None:
        return None
    if not isinstance(value, datetime):
        raise StoreError(f"{where}: expected a datetime, got {type(value).__name__} {value!r}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise StoreError(f"{where}: naive datetime {value.isoformat()}; pass a timezone-aware one")
    return value.astimezone(UTC)


def dt_text(value: datetime | None) -> str | None:
    # Fixed width (always microseconds, always +00:00) so text order is time order in SQLite.
    return None if value is None else value.isoformat(timespec="microseconds")


def parse_dt(value: Any) -> datetime | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    dt = datetime.fromisoformat(value)
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def compress(body: Any, where: str) -> bytes:
    if isinstance(body, str):
        raise StoreError(f"{where}: body must be bytes, got str")
    try:
        # level 1: pages are kept for re-running cleanup, not archived; level 6 cost 5 ms a page
        return zlib.compress(bytes(body), 1)
    except TypeError:
        raise StoreError(f"{where}: body must be bytes, got {type(body).__name__}") from None


def decompress(blob: Any, where: str) -> bytes:
    try:
        return zlib.decompress(bytes(blob))
    except zlib.error as exc:
        raise StoreError(f"{where}: stored body is corrupt ({exc})") from None


def encode_feed_item(item: FeedItem | None, where: str) -> str | None:
    if item is None:
        return None
    d = dataclasses.asdict(item)
    d["published"] = dt_text(to_utc(item.published, f"{where}.feed_item.published"))
    return dump_json(d, where)


def decode_feed_item(value: Any) -> FeedItem | None:
    d = load_json(value)
    if d is None:
        return None
    d = _known(FeedItem, d)
    d["published"] = parse_dt(d.get("published"))
    return FeedItem(**d)


@functools.cache
def _field_names(model: type) -> frozenset[str]:
    return frozenset(f.name for f in dataclasses.fields(model))


def _known(model: type, d: dict[str, Any]) -> dict[str, Any]:
    # Tolerate keys written by an older or newer model version instead of failing the read.
    names = _field_names(model)
    return {k: v for k, v in d.items() if k in names}


@functools.cache
def _empty_of(model: type, name: str) -> Callable[[], Any]:
    f = next(f for f in dataclasses.fields(model) if f.name == name)
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory
    value = None if f.default is dataclasses.MISSING else f.default
    return lambda: value


def _empty(model: type, name: str) -> Any:
    return _empty_of(model, name)()


def decode_json_field(model: type, name: str, value: Any) -> Any:
    data = json.loads(value) if isinstance(value, str | bytes) else value  # load_json, inlined
    if data is None:
        return _empty_of(model, name)()
    nested = NESTED.get((model, name))
    if nested is not None:
        return [nested(**_known(nested, d)) for d in data]
    return data


def to_row(obj: Any, dt_in: Callable[[datetime | None], Any]) -> dict[str, Any]:
    """Column values of a model instance; ``dt_in`` turns a UTC datetime into the backend's form."""
    model = type(obj)
    kinds = KINDS[model]
    out: dict[str, Any] = {}
    for name in columns(model):
        value = getattr(obj, name)
        where = f"{model.__name__}.{name}"
        kind = kinds.get(name)
        if kind == DT:
            value = dt_in(to_utc(value, where))
        elif kind == JSON:
            value = dump_json(value, where)
        elif kind == FEED_ITEM:
            value = encode_feed_item(value, where)
        elif kind == ZLIB:
            value = compress(value, where)
        elif kind == BOOL:
            value = bool(value)
        elif kind == BYTES:
            value = None if value is None else bytes(value)
        elif isinstance(value, str):
            value = strip_nul(value)
        out[name] = value
    return out


@functools.cache
def _plan(model: type, names: tuple[str, ...] | None = None) -> tuple[bool, tuple[tuple[str, str | None], ...]]:
    """What :func:`from_row` does per column of ``model`` (``names``: only these), worked out
    once (asking ``dataclasses.fields`` three times per row cost ~40 us an article)."""
    kinds = KINDS[model]
    cols = columns(model)
    if names is not None:
        unknown = set(names) - set(cols) - {"id"}
        if unknown:
            raise StoreError(f"{model.__name__}: no column {', '.join(sorted(unknown))}")
        cols = [c for c in cols if c in names]
    return has_id(model), tuple((name, kinds.get(name)) for name in cols)


def from_row(model: type[T], row: Any, names: tuple[str, ...] | None = None) -> T:
    """A model instance from a row that maps column names to values. ``names``: the row holds
    only these columns (and ``id``); the other fields keep their defaults, so such an instance
    is a partial view for one page, never something to save back."""
    with_id, plan = _plan(model, names)
    kw: dict[str, Any] = {"id": row["id"]} if with_id else {}
    for name, kind in plan:
        value = row[name]
        if kind is None:
            pass
        elif kind == DT:
            value = parse_dt(value)
        elif kind == JSON:
            value = decode_json_field(model, name, value)
        elif kind == FEED_ITEM:
            value = decode_feed_item(value)
        elif kind == ZLIB:
            value = decompress(value, f"{model.__name__} {row['id']}")
        elif kind == BOOL:
            value = bool(value)
        elif kind == BYTES and value is not None:
            value = bytes(value)
        kw[name] = value
    return model(**kw)


# --- search text ----------------------------------------------------------------------------


def search_tokens(query: str) -> list[str]:
    """Words of a user query: runs of letters, marks and digits.

    Hand-written instead of ``re.findall(r"\\w+")`` because ``\\w`` splits words at combining
    marks (Devanagari vowel signs, Arabic harakat), which would break search in those scripts.
    """
    out: list[str] = []
    word: list[str] = []
    for ch in query:
        if unicodedata.category(ch)[0] in "LMN":
            word.append(ch)
        elif word:
            out.append("".join(word))
            word = []
    if word:
        out.append("".join(word))
    return out


_LATIN_END = 0x0250  # end of Latin Extended-B: the range FTS5's remove_diacritics folds


def fold(text: str) -> str:
    """Lower-case and strip diacritics from Latin letters (é -> e, ß stays), like SQLite FTS5's
    ``unicode61 remove_diacritics 2``; other scripts (Cyrillic й, Devanagari) are left whole."""
    out: list[str] = []
    for ch in text.lower():
        if 0x00C0 <= ord(ch) < _LATIN_END:
            base = unicodedata.normalize("NFD", ch)[0]
            out.append(base if ord(base) < _LATIN_END else ch)
        elif 0x0300 <= ord(ch) < 0x0370:  # loose combining diacritics
            continue
        else:
            out.append(ch)
    return "".join(out)
