"""Plain data passed between stages. No I/O here.

Stages take and return these dataclasses; only ``newsloom.store`` persists them and only
``newsloom.fetch`` talks to the network.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any


_CLOCK_OFFSET_S = 0.0  # see set_clock_offset


def utcnow() -> datetime:
    """Now, in UTC, on the clock this process agreed to use (this machine's, unless a worker
    aligned it to its database's with :func:`set_clock_offset`)."""
    if _CLOCK_OFFSET_S:
        return datetime.now(timezone.utc) + timedelta(seconds=_CLOCK_OFFSET_S)
    return datetime.now(timezone.utc)


def set_clock_offset(seconds: float) -> None:
    """Make :func:`utcnow` run ``seconds`` ahead of this machine's clock: a ``newsloom worker``
    on PostgreSQL follows the database server's clock, the one all workers share, so feed due
    times, fetch dates and heartbeats agree across machines whatever each machine's clock does."""
    global _CLOCK_OFFSET_S
    _CLOCK_OFFSET_S = float(seconds)


def clock_offset() -> float:
    return _CLOCK_OFFSET_S


@dataclass
class Source:
    """An outlet (publisher). It has one or more feeds."""

    name: str
    url: str  # the outlet's home page (or the feed URL when nothing better is known)
    country: str | None = None  # ISO 3166-1 alpha-2, upper case
    language: str | None = None  # ISO 639-1 hint from the source list
    id: int | None = None
    created_at: datetime | None = None


@dataclass
class Feed:
    """Something polled on a schedule: an RSS/Atom/JSON feed or a (news) sitemap."""

    url: str
    source_id: int | None = None
    kind: str = "feed"  # "feed" | "sitemap"
    title: str | None = None
    etag: str | None = None
    last_modified: str | None = None
    interval_s: int = 900  # adapts to how often the feed changes
    next_due: datetime | None = None
    error_count: int = 0
    last_status: str | None = None  # "ok", "not_modified", "http_error", "robots", ...
    last_error: str | None = None
    last_fetched: datetime | None = None
    last_new_items: int = 0
    active: bool = True
    gone_count: int = 0  # polls in a row answered 404/410 (see fetch.schedule)
    id: int | None = None


@dataclass
class FetchLog:
    """One fetch outcome, so a user can see why a feed is silent."""

    url: str
    status: str  # "ok" | "not_modified" | FetchError.status values
    http_status: int | None = None
    bytes: int = 0
    elapsed_ms: float = 0.0
    error: str | None = None
    feed_id: int | None = None
    at: datetime = field(default_factory=utcnow)
    id: int | None = None


@dataclass
class RejectedPage:
    """A fetched page processing rejected (binary, all boilerplate, too short), remembered with
    its validators so it is asked again only conditionally and processed only once changed."""

    url: str
    reason: str
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None  # sha256 of the body as fetched
    checked_at: datetime = field(default_factory=utcnow)


@dataclass
class FeedItem:
    """One entry of a feed or sitemap: a link to an article page, with what the feed says of it."""

    url: str
    title: str | None = None
    summary: str | None = None
    published: datetime | None = None
    lang: str | None = None
    guid: str | None = None


@dataclass
class Image:
    url: str | None = None
    caption: str | None = None
    credit: str | None = None


@dataclass
class Embed:
    """A social post or media embedded in a page, moved out of the article body."""

    kind: str  # "tweet" | "instagram" | "youtube" | "facebook" | "other"
    text: str | None = None
    author: str | None = None
    handle: str | None = None
    date: str | None = None
    url: str | None = None
    links: list[str] = field(default_factory=list)


@dataclass
class RawDocument:
    """A fetched or ingested page before extraction; kept so cleanup can be re-run."""

    url: str
    body: bytes
    content_type: str | None = None  # "text/html", "text/plain", ...
    encoding: str | None = None
    http_status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=utcnow)
    final_url: str | None = None
    feed_item: FeedItem | None = None
    source_id: int | None = None
    feed_id: int | None = None
    origin: str = "fetch"  # "fetch" | "file" | "warc" | "jsonl"


@dataclass
class Article:
    url: str
    title: str | None = None
    text: str = ""  # cleaned main text, paragraphs separated by "\n\n"
    canonical_url: str | None = None
    source_id: int | None = None
    source: str | None = None  # outlet name (denormalised for display)
    feed_id: int | None = None
    lang: str | None = None
    lang_confidence: float | None = None
    paragraph_langs: list[str] = field(default_factory=list)  # one code per paragraph of ``text``
    published: datetime | None = None
    updated: datetime | None = None
    authors: list[str] = field(default_factory=list)
    site_name: str | None = None
    description: str | None = None
    images: list[Image] = field(default_factory=list)
    embeds: list[Embed] = field(default_factory=list)
    is_copy: bool = False
    primary_url: str | None = None
    duplicate_of: int | None = None
    content_hash: str | None = None
    minhash: bytes | None = None  # serialised signature, so LSH can be rebuilt from the store
    raw_text: str | None = None  # extractor output before newsloom's cleanup (re-runnable)
    raw_id: int | None = None
    cleanup_log: list[str] = field(default_factory=list)  # which rules fired, for debugging
    notes: list[str] = field(default_factory=list)  # why a later stage did something unusual
    # publisher signals read from the page (newsloom.rights.signals): nosnippet, max_snippet,
    # noarchive, unavailable_after, tdm_reserved, nosnippet_text ...; {} = none
    rights: dict[str, Any] = field(default_factory=dict)
    doc_id: str | None = None  # external id (JSONL corpora)
    story_id: int | None = None  # filled by the stories stage
    lineage: str | None = None  # within its story: "first" | "copy" | "translation" | "rewrite" | None
    lineage_of: int | None = None  # article id this one copies/translates/rewrites
    entities: list[dict[str, Any]] = field(default_factory=list)  # {"text","type":PER|LOC|ORG,"count"}
    quotes: list[dict[str, Any]] = field(default_factory=list)  # {"text","speaker","lang"}
    country: str | None = None  # the outlet's country (from Source)
    status: str = "ok"  # "ok" | "removed"
    fetched_at: datetime = field(default_factory=utcnow)
    id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        d = dataclasses.asdict(self)
        d.pop("minhash", None)
        for k in ("published", "updated", "fetched_at"):
            v = d.get(k)
            d[k] = v.isoformat() if isinstance(v, datetime) else v
        return d


@dataclass
class Revision:
    """An earlier version of an article (the publisher edited title or text)."""

    article_id: int
    title: str | None
    text: str
    content_hash: str
    seen_at: datetime = field(default_factory=utcnow)
    id: int | None = None


@dataclass
class Story:
    """Articles about one event, across languages. ``id`` stays stable as the story grows."""

    headlines: dict[str, str] = field(default_factory=dict)  # lang -> headline from its articles
    languages: list[str] = field(default_factory=list)
    countries: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    first_seen: datetime | None = None
    last_updated: datetime | None = None
    article_count: int = 0
    first_article_id: int | None = None
    centroid: bytes | None = None  # float32 vector, serialised
    timeline: list[dict[str, Any]] = field(default_factory=list)  # [{"at","article_id","lang","title"}]
    entities: list[dict[str, Any]] = field(default_factory=list)  # facets: people, places, orgs
    quotes: list[dict[str, Any]] = field(default_factory=list)  # who said what
    merged_into: int | None = None
    id: int | None = None


@dataclass
class TakedownRequest:
    """A removal request (the fields of a DMCA 512(c)(3) and a DSA Art. 16 notice) and where it
    stands. ``kind`` is "url" | "prefix" | "domain"; ``status`` is received | verified | executed
    | rejected | refused."""

    kind: str
    target: str  # normalised URL, URL prefix, or punycode domain
    domain: str  # the host whose control verifies the request (punycode, lower case)
    requester: str
    contact: str
    reason: str
    statement: bool = False  # good-faith + accuracy statement, under penalty of perjury (512(c)(3))
    token: str = ""  # what the publisher puts in DNS / the .well-known file / a meta tag
    status: str = "received"
    verified_by: str | None = None  # "dns" | "file" | "meta" | "operator"
    channel: str = "cli"  # "cli" | "api" | "form"
    received_at: datetime = field(default_factory=utcnow)
    deadline: datetime | None = None
    verified_at: datetime | None = None
    executed_at: datetime | None = None
    checked_at: datetime | None = None  # last verification attempt
    removed: int = 0  # articles removed when executed
    id: int | None = None


@dataclass
class AuditEntry:
    """One step of a takedown (or a refused intake: request_id None), kept forever."""

    step: str  # intake | duplicate | verify | approve | reject | execute | overdue | suppress ...
    outcome: str  # ok | failed | refused | ...
    detail: str = ""
    request_id: int | None = None
    at: datetime = field(default_factory=utcnow)
    id: int | None = None


@dataclass
class Suppression:
    """Never store again: a URL, URL prefix, domain or content hash (a takedown executed)."""

    kind: str  # "url" | "prefix" | "domain" | "hash"
    value: str
    request_id: int | None = None
    at: datetime = field(default_factory=utcnow)
    id: int | None = None
