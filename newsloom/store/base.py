"""The one repository interface. ``sqlite.py`` and ``postgres.py`` implement it; nothing else
in newsloom writes SQL.

Contract for implementers:
- every write is committed before the method returns (so an interrupted run loses at most the
  article being processed, never what was stored before);
- methods take and return ``newsloom.models`` dataclasses;
- ``migrate()`` is idempotent and brings an old schema up to date.
"""

from __future__ import annotations

import abc
import contextlib
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from newsloom.errors import NotFoundError
from newsloom.models import (
    Article,
    Feed,
    FetchLog,
    RawDocument,
    RejectedPage,
    Revision,
    Source,
    Story,
    Suppression,
)


class Store(abc.ABC):
    url: str

    # --- life cycle -------------------------------------------------------------------------
    @abc.abstractmethod
    def migrate(self) -> None:
        """Create or upgrade the schema (idempotent)."""

    @abc.abstractmethod
    def close(self) -> None: ...

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def use_reader_connections(self) -> None:
        """Let reads from other threads run on their own connections (the web app); SQL stores
        override this. The reader's queries (ranked stories, tokens, counts) are in
        ``store/_reader.py``, mixed into the SQL stores."""

    def transaction(self) -> contextlib.AbstractContextManager[None]:
        """Group several writes into one atomic unit: committed together when the block ends,
        all rolled back if it raises. SQLite and PostgreSQL stores override this; the default
        (for test doubles) gives no atomicity."""
        return contextlib.nullcontext()

    # --- sources and feeds -----------------------------------------------------------------
    @abc.abstractmethod
    def add_source(self, source: Source) -> Source:
        """Insert; raises DuplicateSourceError if a source with the same URL exists."""

    @abc.abstractmethod
    def get_source(self, source_id: int) -> Source: ...

    @abc.abstractmethod
    def find_source(self, url: str) -> Source | None: ...

    @abc.abstractmethod
    def list_sources(self) -> list[Source]: ...

    @abc.abstractmethod
    def add_feed(self, feed: Feed) -> Feed:
        """Insert; raises DuplicateSourceError if the feed URL is already followed."""

    @abc.abstractmethod
    def get_feed(self, feed_id: int) -> Feed: ...

    @abc.abstractmethod
    def list_feeds(self, source_id: int | None = None) -> list[Feed]: ...

    @abc.abstractmethod
    def due_feeds(self, now: datetime, limit: int | None = None) -> list[Feed]:
        """Active feeds whose next_due is null or <= now, oldest first."""

    @abc.abstractmethod
    def update_feed(self, feed: Feed) -> None:
        """Persist scheduling/conditional-GET state (etag, interval, next_due, errors...)."""

    @abc.abstractmethod
    def record_fetch(self, log: FetchLog) -> None: ...

    @abc.abstractmethod
    def fetch_log(self, feed_id: int | None = None, limit: int = 50) -> list[FetchLog]: ...

    # --- raw documents ---------------------------------------------------------------------
    @abc.abstractmethod
    def save_raw(self, raw: RawDocument) -> int:
        """Keep the original body (compressed) until housekeeping deletes it (``keep_pages_days``):
        what a recrawl compares a page with, and what an unchanged re-ingest is told by; returns id."""

    @abc.abstractmethod
    def get_raw(self, raw_id: int) -> RawDocument: ...

    # --- articles --------------------------------------------------------------------------
    @abc.abstractmethod
    def add_article(self, article: Article) -> Article:
        """Insert and return it with ``id`` set. Also indexes title+text for full-text search."""

    @abc.abstractmethod
    def update_article(self, article: Article) -> None: ...

    @abc.abstractmethod
    def get_article(self, article_id: int) -> Article: ...

    @abc.abstractmethod
    def find_article_by_url(self, url: str) -> Article | None:
        """Match on url or canonical_url."""

    @abc.abstractmethod
    def find_article_by_hash(self, content_hash: str) -> Article | None:
        """The earliest stored article with this normalised-text hash."""

    @abc.abstractmethod
    def reroot_duplicates(self, old_root: int, new_root: int) -> int:
        """Make ``new_root`` the original of ``old_root`` and of every duplicate of it (an
        earlier report found after them); returns the rows changed."""

    @abc.abstractmethod
    def has_url(self, url: str) -> bool:
        """Cheap check used to skip pages already stored (url or canonical_url)."""

    @abc.abstractmethod
    def list_articles(
        self,
        limit: int = 50,
        offset: int = 0,
        lang: str | None = None,
        source_id: int | None = None,
        include_duplicates: bool = True,
    ) -> list[Article]:
        """Newest first (by id)."""

    @abc.abstractmethod
    def count_articles(
        self, lang: str | None = None, source_id: int | None = None, include_duplicates: bool = True
    ) -> int:
        """How many articles ``list_articles`` with the same filters finds over all pages."""

    @abc.abstractmethod
    def iter_articles(self, batch: int = 500, after_id: int = 0) -> Iterator[Article]:
        """Articles with id > after_id in id (arrival) order; used to rebuild indexes (LSH,
        stories)."""

    @abc.abstractmethod
    def search_articles(self, query: str, limit: int = 50) -> list[Article]:
        """Full-text search (FTS5 on SQLite, tsvector on PostgreSQL)."""

    def merge_search_index(self, max_pages: int = 2000) -> int:
        """Tidy the full-text index a bounded step (the writer calls it after a pass or an
        ingest); returns the pages of work asked for. Nothing to do here: PostgreSQL keeps its
        index itself; SQLite merges FTS5 segments (:class:`~newsloom.store.sqlite.SQLiteStore`)."""
        return 0

    @abc.abstractmethod
    def add_revision(self, revision: Revision) -> None: ...

    @abc.abstractmethod
    def list_revisions(self, article_id: int) -> list[Revision]: ...

    # --- stories and embeddings -----------------------------------------------------------
    @abc.abstractmethod
    def save_story(self, story: Story) -> Story:
        """Insert (id None: a new id; an id not yet stored: under that id) or update; returns
        it with ``id`` set."""

    @abc.abstractmethod
    def get_story(self, story_id: int) -> Story: ...

    @abc.abstractmethod
    def list_stories(self, limit: int = 50, offset: int = 0) -> list[Story]:
        """Most recently updated first; merged stories (merged_into set) are left out."""

    @abc.abstractmethod
    def story_articles(self, story_id: int) -> list[Article]:
        """Articles whose story_id is this story, in arrival order."""

    def story_member_times(self, story_id: int) -> list[tuple[int, datetime | None, datetime | None]]:
        """``(id, published, fetched_at)`` of the story's articles, in arrival order: what
        picking a big story's lineage focus needs, without reading every member whole. This
        default reads them whole; SQL stores read the columns."""
        return [(a.id, a.published, a.fetched_at) for a in self.story_articles(story_id)
                if a.id is not None]

    def articles_without_story(self, after_id: int = 0, limit: int = 1000) -> list[int]:
        """Ids of stored articles (not removed) that have no story yet, in id order: what the
        stories step still owes after an interrupted run, a failure, or ``stories = false``.
        This default walks all articles; SQL stores ask an index."""
        out = []
        for a in self.iter_articles(after_id=after_id):
            if a.story_id is None and a.status != "removed" and a.id is not None:
                out.append(a.id)
                if len(out) >= limit:
                    break
        return out

    def article_times(self, after_id: int = 0, limit: int = 100_000) -> list[tuple[int, datetime | None, datetime | None]]:
        """``(id, published, fetched_at)`` of the stored articles that are not removed, in id
        order, a page at a time: what ordering an archive by date needs (``stories rebuild``)
        without reading every article whole. This default reads them whole."""
        out = []
        for a in self.iter_articles(after_id=after_id):
            if a.status != "removed" and a.id is not None:
                out.append((a.id, a.published, a.fetched_at))
                if len(out) >= limit:
                    break
        return out

    def get_articles(self, article_ids: Iterable[int]) -> list[Article]:
        """The stored articles among ``article_ids``, in id order (unknown ids are skipped).
        This default asks one at a time; SQL stores read them in a few queries."""
        out = []
        for aid in sorted(set(article_ids)):
            try:
                out.append(self.get_article(aid))
            except NotFoundError:
                continue
        return out

    def delete_story(self, story_id: int) -> None:
        """Delete a story record (one left with no articles: a removal took its last one);
        articles still pointing to it lose their story."""
        raise NotImplementedError(f"{type(self).__name__} cannot delete stories")

    @abc.abstractmethod
    def clear_stories(self) -> None:
        """Delete all stories and unset story_id/lineage on articles (for ``stories rebuild``)."""

    @abc.abstractmethod
    def save_embedding(self, article_id: int, model: str, vector: bytes) -> None: ...

    @abc.abstractmethod
    def get_embedding(self, article_id: int, model: str) -> bytes | None: ...

    def get_embeddings(self, article_ids: Iterable[int], models: Sequence[str]) -> dict[int, tuple[str, bytes]]:
        """For each article id that has one, ``(model, vector)`` of the first of ``models`` (in
        that order of preference) stored for it. This default asks one at a time; SQL stores
        read them in a few queries."""
        out: dict[int, tuple[str, bytes]] = {}
        for aid in dict.fromkeys(article_ids):
            for model in models:
                blob = self.get_embedding(aid, model)
                if blob is not None:
                    out[aid] = (model, blob)
                    break
        return out

    def iter_embeddings(self, model: str, batch: int = 1000, after_id: int = 0) -> Iterator[tuple[int, bytes]]:
        """(article_id, vector) of every stored embedding of ``model`` (article id > ``after_id``),
        in article id order, to rebuild a vector index. This default walks all articles; SQL
        stores override it."""
        for article in self.iter_articles(batch, after_id=after_id):
            vector = self.get_embedding(article.id, model) if article.id is not None else None
            if vector is not None:
                yield article.id, vector  # type: ignore[misc]

    # --- fetch politeness shared by every process -------------------------------------------
    # Defaults for test doubles (nothing remembered); the SQL stores keep them in tables.
    def hold_host(self, host: str, until: datetime, reason: str | None = None) -> None:
        """No request to ``host`` before ``until`` (Retry-After); a later hold wins."""

    def host_holds(self, now: datetime) -> dict[str, datetime]:
        """Hosts on hold after ``now``, with the time each hold ends."""
        return {}

    def remember_rejected(self, page: RejectedPage) -> None:
        """Keep (or refresh) a rejected page's validators, keyed by URL."""

    def rejected_page(self, url: str) -> RejectedPage | None:
        return None

    # --- publisher rights (SQL stores: store/_rights.py) -------------------------------------
    def suppression_for(self, urls: Sequence[str], hosts: Sequence[str],
                        content_hash: str | None) -> "Suppression | None":
        """The suppression-list entry (removed by a takedown) covering any of ``urls``, ``hosts``
        or the content hash; test doubles suppress nothing."""
        return None

    # --- generic key/value state (pipeline checkpoints) --------------------------------------
    @abc.abstractmethod
    def get_state(self, key: str) -> str | None: ...

    @abc.abstractmethod
    def set_state(self, key: str, value: str) -> None: ...

    def states(self, prefix: str) -> dict[str, str]:
        """Every entry whose key starts with ``prefix``; test doubles hold none."""
        return {}

    def delete_state(self, key: str) -> None:
        return None
