"""Sources use cases: add a feed, import/export OPML, list feeds with their health, fetch log, on/off."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from urllib.parse import urlsplit

from newsloom.app.codes import country_code, language_code
from newsloom.config import Settings
from newsloom.errors import DuplicateSourceError, NewsloomError, NotFoundError
from newsloom.models import Feed, FetchLog, Source
from newsloom.store.base import Store


@dataclass
class FeedHealth:
    """A feed with its outlet (None when the source row is gone)."""

    feed: Feed
    source: Source | None


@dataclass
class ImportResult:
    added: int = 0
    skipped: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass
class NewFeed:
    """Checked input for ``add_source``: codes normalised, kind and outlet home page filled in."""

    url: str
    site_url: str
    kind: str
    name: str | None = None
    country: str | None = None
    language: str | None = None


def check_new_feed(url: str, *, name: str | None = None, country: str | None = None,
                   language: str | None = None, kind: str | None = None, site: str | None = None) -> NewFeed:
    """Refuse bad input before anything is opened or written (one message naming the input)."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise NewsloomError(f"{url!r} is not an http(s) URL")
    if site is not None:
        site_parts = urlsplit(site)
        if site_parts.scheme not in ("http", "https") or not site_parts.netloc:
            raise NewsloomError(f"--site {site!r} is not an http(s) URL")
    return NewFeed(url=url, site_url=site or f"{parts.scheme}://{parts.netloc}/",
                   kind=kind or ("sitemap" if "sitemap" in parts.path.lower() else "feed"), name=name,
                   country=country_code(country) if country else None,
                   language=language_code(language) if language else None)


def add_source(store: Store, settings: Settings, new: NewFeed) -> tuple[Feed, Source]:
    """Follow a feed or a news sitemap; the outlet is found by its home page or created."""
    host = urlsplit(new.url).netloc
    known = next((f for f in store.list_feeds() if f.url == new.url), None)
    if known is not None:  # one line naming what is followed, not the database's constraint text
        raise DuplicateSourceError(f"{new.url}: already followed as feed #{known.id} of source #{known.source_id}; "
                                   "nothing added")
    with store.transaction():  # a feed refused as a duplicate leaves no new, empty source behind
        source = store.find_source(new.site_url) or store.add_source(
            Source(name=new.name or host, url=new.site_url, country=new.country, language=new.language)
        )
        feed = store.add_feed(Feed(url=new.url, source_id=source.id, kind=new.kind, title=new.name,
                                   interval_s=settings.default_feed_interval_s))
    return feed, source


def import_opml(store: Store, settings: Settings, data: bytes, where: str) -> ImportResult:
    """Follow every feed of an OPML document; feeds already followed are counted as skipped."""
    from newsloom.fetch.opml import parse_opml

    result = ImportResult()
    entries = parse_opml(data, where)
    result.problems.extend(entries.problems)
    for entry in entries:
        try:
            with store.transaction():  # a feed already followed leaves no new, empty source behind
                source = store.find_source(entry.site_url or entry.feed_url)
                if source is None:
                    source = store.add_source(
                        Source(name=entry.name, url=entry.site_url or entry.feed_url, country=entry.country,
                               language=entry.language)
                    )
                store.add_feed(Feed(url=entry.feed_url, source_id=source.id, kind=entry.kind, title=entry.name,
                                    interval_s=settings.default_feed_interval_s))
            result.added += 1
        except DuplicateSourceError:
            result.skipped += 1
    return result


def ensure_default_sources(store: Store, settings: Settings) -> ImportResult:
    """On first start (no sources at all) follow the shipped world source list."""
    if store.list_sources():
        return ImportResult()
    from newsloom.fetch.opml import default_opml_path

    return import_opml(store, settings, default_opml_path().read_bytes(), "default world source list")


def export_opml(store: Store, title: str = "newsloom sources") -> tuple[bytes, int]:
    """Every followed feed as OPML 2.0; returns the document and the number of feeds in it."""
    from newsloom.fetch.opml import OPMLEntry, write_opml

    entries = []
    for h in list_feeds(store):
        s = h.source
        entries.append(OPMLEntry(name=(s.name if s else None) or h.feed.title or h.feed.url, feed_url=h.feed.url,
                                 site_url=s.url if s else None, country=s.country if s else None,
                                 language=s.language if s else None, kind=h.feed.kind))
    return write_opml(entries, title), len(entries)


def list_feeds(store: Store) -> list[FeedHealth]:
    """Every feed with its outlet and last fetch outcome (why a feed is silent)."""
    srcs = {s.id: s for s in store.list_sources()}
    return [FeedHealth(f, srcs.get(f.source_id)) for f in store.list_feeds()]


def count_sources(store: Store) -> int:
    return len(store.list_sources())


@dataclass
class PollOutlook:
    """Where the feeds stand between passes: what ``newsloom run`` says before it sleeps."""

    feeds: int = 0
    active: int = 0
    switched_off: int = 0
    backing_off: int = 0  # active feeds whose last polls failed, waiting longer than usual
    due_now: int = 0
    next_due: datetime | None = None  # the soonest active feed due in the future
    next_retry: datetime | None = None  # the soonest retry among the feeds backing off


def poll_outlook(feeds: list[Feed], now: datetime) -> PollOutlook:
    """Count feeds switched off, backing off (errors in a row, not due yet) and due; no store access,
    so a caller that already listed the feeds pays nothing more."""
    o = PollOutlook(feeds=len(feeds))
    for f in feeds:
        if not f.active:
            o.switched_off += 1
            continue
        o.active += 1
        if f.next_due is None or f.next_due <= now:
            o.due_now += 1
            continue
        o.next_due = f.next_due if o.next_due is None else min(o.next_due, f.next_due)
        if f.error_count > 0:
            o.backing_off += 1
            o.next_retry = f.next_due if o.next_retry is None else min(o.next_retry, f.next_due)
    return o


def fetch_log(store: Store, feed_id: int | None = None, limit: int = 50) -> list[FetchLog]:
    """Recent fetch outcomes, newest first, optionally for one feed (NotFoundError if there is none)."""
    if feed_id is not None:
        try:
            store.get_feed(feed_id)  # an unknown id is an error, not an empty log
        except NotFoundError:
            raise NotFoundError(f"feed {feed_id} does not exist") from None
    return store.fetch_log(feed_id, limit=limit)


def set_feed_active(store: Store, feed_id: int, active: bool) -> tuple[Feed, bool]:
    """Switch a feed on or off; returns the feed and whether anything changed."""
    feed = store.get_feed(feed_id)
    if feed.active == active:
        return feed, False
    feed.active = active
    if active:
        # a fresh start: due now, no back-off or "gone" count from before
        feed.error_count, feed.gone_count, feed.next_due = 0, 0, None
        feed.last_status, feed.last_error = None, None
    else:
        feed.last_status, feed.last_error = "disabled", "switched off by the user"
    store.update_feed(feed)
    return feed, True
