"""The repository logic shared by SQLite and PostgreSQL.

SQL here is written once with ``?`` placeholders and the subset both engines understand
(``RETURNING``, ``ON CONFLICT``, ``NULLS FIRST``); a backend supplies the connection, the
transaction, value adapters and full-text search.
"""

from __future__ import annotations

import abc
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from newsloom.errors import (
    DuplicateArticleError,
    DuplicateSourceError,
    NotFoundError,
    StoreError,
    StoreFull,
    StoreUnavailable,
)
from newsloom.models import (
    Article,
    Feed,
    FetchLog,
    RawDocument,
    Revision,
    Source,
    Story,
    utcnow,
)
from newsloom.store import _codec as codec
from newsloom.store._batches import BatchQueries
from newsloom.store._fetching import FetchingQueries
from newsloom.store._jobs import JobQueries
from newsloom.store._neardup import NearDupQueries
from newsloom.store._housekeeping import HousekeepingQueries
from newsloom.store._reader import ReaderQueries
from newsloom.store._rights import RightsQueries
from newsloom.store.base import Store

T = TypeVar("T")

_SELECT = {m: ", ".join(["id", *codec.columns(m)]) for m in codec.KINDS}
# ids per "IN (...)" statement: under SQLite's default limit of bound parameters (999 before 3.32)
_IN_CHUNK = 500
_ARTICLE_COLS = ", ".join(f"a.{c}" for c in ["id", *codec.columns(Article)])


class SQLStore(JobQueries, BatchQueries, NearDupQueries, RightsQueries, ReaderQueries, HousekeepingQueries,
               FetchingQueries, Store):
    """Shared implementation; subclasses provide the abstract hooks at the bottom."""

    url: str

    def __init__(self) -> None:
        # One connection per store, shared by threads (the web app); the lock keeps a
        # transaction's statements from interleaving with another thread's.
        self._lock = threading.RLock()
        self._closed = False

    # --- hooks ------------------------------------------------------------------------------
    @abc.abstractmethod
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """Run one statement with ``?`` placeholders; return a cursor."""

    @abc.abstractmethod
    def _tx(self) -> Any:
        """Context manager: one atomic unit; nested calls become savepoints."""

    @abc.abstractmethod
    def _classify(self, exc: BaseException) -> str | None:
        """'unique', 'fk', 'full' (disk full), 'unavailable' (connection lost, server restarting,
        file locked past the busy timeout), 'driver' (any other database error) or None (not a
        database error)."""

    @abc.abstractmethod
    def _dt_in(self, value: datetime | None) -> Any: ...

    @abc.abstractmethod
    def _fts_columns(self, article: Article) -> list[tuple[str, str, list[Any]]]:
        """Extra (column, SQL expression, params) written with an article, for its search index."""

    @abc.abstractmethod
    def _search(self, tokens: list[str], limit: int, cols: str = _ARTICLE_COLS) -> list[Any]:
        """Rows (``cols``, default every article column) matching all tokens, best first."""

    def _reconnect_if_broken(self) -> None:
        """Backends with a network connection reopen a dropped one here."""

    def _ready(self) -> None:
        if self._closed:
            raise StoreError(f"{self.url}: the store is closed")
        self._reconnect_if_broken()

    # --- plumbing -----------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes into one atomic unit: all are committed at the end, or none if the block
        raises. A write that fails inside is rolled back alone (savepoint) and re-raised."""
        with self._write(f"{self.url}: transaction"):
            yield

    @contextmanager
    def _write(self, what: str, duplicate: type[StoreError] = StoreError) -> Iterator[None]:
        try:
            with self._lock:
                self._ready()
                with self._tx():
                    yield
        except StoreError:
            raise
        except Exception as exc:
            kind = self._classify(exc)
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if kind == "unique":
                raise duplicate(f"{what}: already stored ({detail})") from None
            if kind == "fk":
                raise StoreError(
                    f"{what}: refers to a row that does not exist ({detail})"
                ) from None
            if kind in ("full", "unavailable"):
                raise self._trouble(kind, what, detail) from None
            if kind == "driver" or isinstance(exc, UnicodeError):
                raise StoreError(f"{what}: {detail}") from None
            raise

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        try:
            with self._lock:
                self._ready()
                return self._execute(sql, params).fetchall()
        except Exception as exc:
            kind = self._classify(exc)
            if kind is None:
                raise
            detail = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            if kind in ("full", "unavailable"):
                raise self._trouble(kind, "query", detail) from None
            raise StoreError(f"{self.url}: query failed ({detail})") from None

    # the last disk-full or lost-connection error: a long-running process that hands store errors
    # on as per-page outcomes reads (and resets) it after each pass or job (app/daemon.py, jobs/)
    trouble: StoreError | None = None

    def _trouble(self, kind: str, what: str, detail: str) -> StoreError:
        where = f"{what}: " if self.url not in what else ""
        if kind == "full":
            exc: StoreError = StoreFull(
                f"{where}{self.url}: the disk is full ({detail}); nothing more can be stored until "
                "space is freed; everything stored before is intact")
        elif "locked" in detail:
            exc = StoreUnavailable(f"{where}{self.url} is locked by another process (still locked after "
                                   f"the busy timeout: {detail})")
        else:
            exc = StoreUnavailable(f"{where}{self.url} is unavailable ({detail})")
        self.trouble = exc
        return exc

    def _one(self, sql: str, params: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, params)
        return rows[0] if rows else None

    def _params(self, obj: Any) -> dict[str, Any]:
        return codec.to_row(obj, self._dt_in)

    def _build(self, model: type[T], row: Any) -> T:
        return codec.from_row(model, row)

    def _insert(self, table: str, values: dict[str, Any], extra: Sequence[tuple] = ()) -> int:
        cols = list(values) + [c for c, _, _ in extra]
        exprs = ["?"] * len(values) + [e for _, e, _ in extra]
        params = list(values.values()) + [p for _, _, ps in extra for p in ps]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(exprs)}) RETURNING id"
        return int(self._execute(sql, params).fetchone()["id"])

    def _update(self, table: str, row_id: int, values: dict[str, Any], extra: Sequence = ()) -> int:
        sets = [f"{c} = ?" for c in values] + [f"{c} = {e}" for c, e, _ in extra]
        params = list(values.values()) + [p for _, _, ps in extra for p in ps] + [row_id]
        return self._execute(f"UPDATE {table} SET {', '.join(sets)} WHERE id = ?", params).rowcount

    @staticmethod
    def _need_id(obj: Any, what: str) -> int:
        if obj.id is None:
            raise StoreError(f"{what}: has no id; add it to the store first")
        return int(obj.id)

    @staticmethod
    def _page(limit: int | None, offset: int = 0) -> None:
        if (limit is not None and limit < 0) or offset < 0:
            raise StoreError(f"limit={limit}, offset={offset}: must not be negative")

    def _get(self, model: type[T], table: str, row_id: int, what: str) -> T:
        row = self._one(f"SELECT {_SELECT[model]} FROM {table} WHERE id = ?", [row_id])
        if row is None:
            raise NotFoundError(f"{what} {row_id}: not found")
        return self._build(model, row)

    # --- sources and feeds ----------------------------------------------------------------
    def add_source(self, source: Source) -> Source:
        if source.created_at is None:
            source.created_at = utcnow()
        values = self._params(source)
        with self._write(f"source {source.url!r}", DuplicateSourceError):
            source.id = self._insert("sources", values)
        return source

    def get_source(self, source_id: int) -> Source:
        return self._get(Source, "sources", source_id, "source")

    def find_source(self, url: str) -> Source | None:
        row = self._one(f"SELECT {_SELECT[Source]} FROM sources WHERE url = ?", [url])
        return None if row is None else self._build(Source, row)

    def list_sources(self) -> list[Source]:
        rows = self._rows(f"SELECT {_SELECT[Source]} FROM sources ORDER BY id")
        return [self._build(Source, r) for r in rows]

    def add_feed(self, feed: Feed) -> Feed:
        values = self._params(feed)
        with self._write(f"feed {feed.url!r}", DuplicateSourceError):
            feed.id = self._insert("feeds", values)
        return feed

    def get_feed(self, feed_id: int) -> Feed:
        return self._get(Feed, "feeds", feed_id, "feed")

    def list_feeds(self, source_id: int | None = None) -> list[Feed]:
        if source_id is None:
            rows = self._rows(f"SELECT {_SELECT[Feed]} FROM feeds ORDER BY id")
        else:
            sql = f"SELECT {_SELECT[Feed]} FROM feeds WHERE source_id = ? ORDER BY id"
            rows = self._rows(sql, [source_id])
        return [self._build(Feed, r) for r in rows]

    def due_feeds(self, now: datetime, limit: int | None = None) -> list[Feed]:
        self._page(limit)
        sql = (
            f"SELECT {_SELECT[Feed]} FROM feeds WHERE active = ? AND (next_due IS NULL OR "
            "next_due <= ?) ORDER BY next_due NULLS FIRST, id"
        )
        params: list[Any] = [True, self._dt_in(codec.to_utc(now, "due_feeds(now)"))]
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [self._build(Feed, r) for r in self._rows(sql, params)]

    def update_feed(self, feed: Feed) -> None:
        feed_id = self._need_id(feed, f"feed {feed.url!r}")
        values = self._params(feed)
        with self._write(f"feed {feed.url!r}", DuplicateSourceError):
            if self._update("feeds", feed_id, values) == 0:
                raise NotFoundError(f"feed {feed_id}: not found")

    def record_fetch(self, log: FetchLog) -> None:
        values = self._params(log)
        with self._write(f"fetch log for {log.url!r}"):
            log.id = self._insert("fetch_log", values)

    def fetch_log(self, feed_id: int | None = None, limit: int = 50) -> list[FetchLog]:
        self._page(limit)
        where, params = ("WHERE feed_id = ? ", [feed_id]) if feed_id is not None else ("", [])
        sql = f"SELECT {_SELECT[FetchLog]} FROM fetch_log {where}ORDER BY id DESC LIMIT ?"
        return [self._build(FetchLog, r) for r in self._rows(sql, [*params, limit])]

    # --- raw documents ------------------------------------------------------------------------
    def save_raw(self, raw: RawDocument) -> int:
        values = self._params(raw)
        with self._write(f"raw document {raw.url!r}"):
            return self._insert("raw_documents", values)

    def get_raw(self, raw_id: int) -> RawDocument:
        return self._get(RawDocument, "raw_documents", raw_id, "raw document")

    # --- articles -------------------------------------------------------------------------------
    def add_article(self, article: Article) -> Article:
        values = self._params(article)
        extra = self._fts_columns(article)
        with self._write(f"article {article.url!r}", DuplicateArticleError):
            article.id = self._insert("articles", values, extra)
        return article

    def update_article(self, article: Article) -> None:
        article_id = self._need_id(article, f"article {article.url!r}")
        values = self._params(article)
        extra = self._fts_columns(article)
        with self._write(f"article {article.url!r}", DuplicateArticleError):
            if self._update("articles", article_id, values, extra) == 0:
                raise NotFoundError(f"article {article_id}: not found")

    def get_article(self, article_id: int) -> Article:
        return self._get(Article, "articles", article_id, "article")

    def _articles(self, where: str, params: Sequence[Any], tail: str = "") -> list[Article]:
        sql = f"SELECT {_ARTICLE_COLS} FROM articles a WHERE {where} {tail}"
        return [self._build(Article, r) for r in self._rows(sql, params)]

    def find_article_by_url(self, url: str) -> Article | None:
        # An exact url match wins over another article that only claims it as canonical.
        found = self._articles("a.url = ?", [url], "LIMIT 1") or self._articles(
            "a.canonical_url = ?", [url], "ORDER BY a.id LIMIT 1"
        )
        return found[0] if found else None

    def find_article_by_hash(self, content_hash: str) -> Article | None:
        found = self._articles("a.content_hash = ?", [content_hash], "ORDER BY a.id LIMIT 1")
        return found[0] if found else None

    def has_url(self, url: str) -> bool:
        # two index probes: for "url = ? OR canonical_url = ?" SQLite chose a full scan of the
        # table (130-230 ms at 100,000 articles, for every feed item a fetch pass looks at)
        sql = ("SELECT 1 AS hit WHERE EXISTS (SELECT 1 FROM articles WHERE url = ?) "
               "OR EXISTS (SELECT 1 FROM articles WHERE canonical_url = ?)")
        return self._one(sql, [url, url]) is not None

    def list_articles(
        self,
        limit: int = 50,
        offset: int = 0,
        lang: str | None = None,
        source_id: int | None = None,
        include_duplicates: bool = True,
    ) -> list[Article]:
        self._page(limit, offset)
        where, params = self._article_filters(lang, source_id, include_duplicates)
        tail = "ORDER BY a.id DESC LIMIT ? OFFSET ?"
        return self._articles(where, [*params, limit, offset], tail)

    @staticmethod
    def _article_filters(lang: str | None, source_id: int | None,
                         include_duplicates: bool) -> tuple[str, list[Any]]:
        """The WHERE clause shared by list_articles and count_articles, so a total honours the filters."""
        conds, params = ["1 = 1"], []
        if lang is not None:
            conds.append("a.lang = ?")
            params.append(lang)
        if source_id is not None:
            conds.append("a.source_id = ?")
            params.append(source_id)
        if not include_duplicates:
            conds.append("a.duplicate_of IS NULL")
        return " AND ".join(conds), params

    def count_articles(
        self, lang: str | None = None, source_id: int | None = None, include_duplicates: bool = True
    ) -> int:
        if lang is None and source_id is None and include_duplicates:
            return int(self._one("SELECT count(*) AS n FROM articles")["n"])
        where, params = self._article_filters(lang, source_id, include_duplicates)
        return int(self._one(f"SELECT count(*) AS n FROM articles a WHERE {where}", params)["n"])

    def iter_articles(self, batch: int = 500, after_id: int = 0) -> Iterator[Article]:
        if batch < 1:
            raise StoreError(f"iter_articles(batch={batch}): batch must be at least 1")
        last = after_id
        # Keyset pages, no open cursor across yields: callers may write while iterating.
        while True:
            page = self._articles("a.id > ?", [last, batch], "ORDER BY a.id LIMIT ?")
            yield from page
            if len(page) < batch:
                return
            last = int(page[-1].id)  # type: ignore[arg-type]

    def search_articles(self, query: str, limit: int = 50) -> list[Article]:
        self._page(limit)
        if not isinstance(query, str):
            raise StoreError(f"search query {query!r}: expected a string")
        tokens = codec.search_tokens(codec.strip_nul(query))
        if not tokens or limit == 0:
            return []
        return [self._build(Article, r) for r in self._search(tokens, limit)]

    def add_revision(self, revision: Revision) -> None:
        values = self._params(revision)
        with self._write(f"revision of article {revision.article_id}"):
            revision.id = self._insert("revisions", values)

    def list_revisions(self, article_id: int) -> list[Revision]:
        sql = f"SELECT {_SELECT[Revision]} FROM revisions WHERE article_id = ? ORDER BY seen_at, id"
        return [self._build(Revision, r) for r in self._rows(sql, [article_id])]

    # --- stories and embeddings ---------------------------------------------------------------
    def save_story(self, story: Story) -> Story:
        values = self._params(story)
        with self._write(f"story {story.id if story.id is not None else '(new)'}"):
            if story.id is None:
                story.id = self._insert("stories", values)
            elif self._update("stories", story.id, values) == 0:
                # the clusterer names a story after its first article: insert under that id
                self._insert("stories", {"id": story.id, **values})
            self._index_story(story)  # the reader's rank and facet rows, same transaction
        return story

    def get_story(self, story_id: int) -> Story:
        return self._get(Story, "stories", story_id, "story")

    def list_stories(self, limit: int = 50, offset: int = 0) -> list[Story]:
        self._page(limit, offset)
        sql = (
            f"SELECT {_SELECT[Story]} FROM stories WHERE merged_into IS NULL "
            "ORDER BY last_updated DESC NULLS LAST, id DESC LIMIT ? OFFSET ?"
        )
        return [self._build(Story, r) for r in self._rows(sql, [limit, offset])]

    def story_articles(self, story_id: int) -> list[Article]:
        return self._articles("a.story_id = ?", [story_id], "ORDER BY a.id")

    def story_member_times(self, story_id: int) -> list[tuple[int, datetime | None, datetime | None]]:
        sql = "SELECT id, published, fetched_at FROM articles WHERE story_id = ? ORDER BY id"
        return [(int(r["id"]), codec.parse_dt(r["published"]), codec.parse_dt(r["fetched_at"]))
                for r in self._rows(sql, [story_id])]

    def articles_without_story(self, after_id: int = 0, limit: int = 1000) -> list[int]:
        sql = ("SELECT id FROM articles WHERE story_id IS NULL AND status <> 'removed' AND id > ? "
               "ORDER BY id LIMIT ?")
        return [int(r["id"]) for r in self._rows(sql, [after_id, limit])]

    def article_times(self, after_id: int = 0, limit: int = 100_000) -> list[tuple[int, datetime | None, datetime | None]]:
        sql = ("SELECT id, published, fetched_at FROM articles WHERE status <> 'removed' AND id > ? "
               "ORDER BY id LIMIT ?")
        return [(int(r["id"]), codec.parse_dt(r["published"]), codec.parse_dt(r["fetched_at"]))
                for r in self._rows(sql, [after_id, limit])]

    def get_articles(self, article_ids: Iterable[int]) -> list[Article]:
        ids = sorted({int(i) for i in article_ids})
        out: list[Article] = []
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start:start + _IN_CHUNK]
            out += self._articles(f"a.id IN ({', '.join('?' * len(chunk))})", chunk, "ORDER BY a.id")
        return out

    def reroot_duplicates(self, old_root: int, new_root: int) -> int:
        # one statement, both probes indexed (primary key, articles_duplicate_of)
        with self._write(f"duplicates of article {old_root} moved under article {new_root}"):
            cur = self._execute(
                "UPDATE articles SET duplicate_of = ? WHERE (id = ? OR duplicate_of = ?) AND id <> ?",
                [new_root, old_root, old_root, new_root],
            )
        return int(cur.rowcount or 0)

    def delete_story(self, story_id: int) -> None:
        with self._write(f"delete story {story_id}"):
            self._execute("UPDATE articles SET story_id = NULL WHERE story_id = ?", [story_id])
            self._execute("DELETE FROM story_tags WHERE story_id = ?", [story_id])
            self._execute("DELETE FROM stories WHERE id = ?", [story_id])

    def clear_stories(self) -> None:
        with self._write(f"{self.url}: clear stories"):
            self._execute(
                "UPDATE articles SET story_id = NULL, lineage = NULL, lineage_of = NULL "
                "WHERE story_id IS NOT NULL OR lineage IS NOT NULL OR lineage_of IS NOT NULL"
            )
            self._execute("DELETE FROM stories")

    def save_embedding(self, article_id: int, model: str, vector: bytes) -> None:
        if not isinstance(vector, bytes | bytearray | memoryview):
            raise StoreError(
                f"embedding of article {article_id} ({model}): vector must be bytes, "
                f"got {type(vector).__name__} (use numpy's .tobytes())"
            )
        with self._write(f"embedding of article {article_id} ({model})"):
            self._execute(
                "INSERT INTO embeddings (article_id, model, vector) VALUES (?, ?, ?) "
                "ON CONFLICT (article_id, model) DO UPDATE SET vector = excluded.vector",
                [article_id, model, bytes(vector)],
            )

    def get_embedding(self, article_id: int, model: str) -> bytes | None:
        sql = "SELECT vector FROM embeddings WHERE article_id = ? AND model = ?"
        row = self._one(sql, [article_id, model])
        return None if row is None else bytes(row["vector"])

    def get_embeddings(self, article_ids: Iterable[int], models: Sequence[str]) -> dict[int, tuple[str, bytes]]:
        ids, models = list(dict.fromkeys(int(i) for i in article_ids)), list(models)
        rank = {m: r for r, m in enumerate(models)}
        best: dict[int, tuple[int, str, bytes]] = {}
        # chunks keep the statement under SQLite's bound-parameter limit
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start:start + _IN_CHUNK]
            sql = (f"SELECT article_id, model, vector FROM embeddings WHERE article_id IN "
                   f"({', '.join('?' * len(chunk))}) AND model IN ({', '.join('?' * len(models))})")
            for row in self._rows(sql, [*chunk, *models]):
                aid, r = int(row["article_id"]), rank[row["model"]]
                if aid not in best or r < best[aid][0]:
                    best[aid] = (r, row["model"], bytes(row["vector"]))
        return {aid: (best[aid][1], best[aid][2]) for aid in ids if aid in best}

    def iter_embeddings(self, model: str, batch: int = 1000, after_id: int = 0) -> Iterator[tuple[int, bytes]]:
        if batch < 1:
            raise StoreError(f"iter_embeddings(batch={batch}): batch must be at least 1")
        sql = (
            "SELECT article_id, vector FROM embeddings WHERE model = ? AND article_id > ? "
            "ORDER BY article_id LIMIT ?"
        )
        last = after_id
        while True:
            page = self._rows(sql, [model, last, batch])
            for row in page:
                yield int(row["article_id"]), bytes(row["vector"])
            if len(page) < batch:
                return
            last = int(page[-1]["article_id"])

    # --- state ----------------------------------------------------------------------------------
    def get_state(self, key: str) -> str | None:
        row = self._one("SELECT value FROM state WHERE key = ?", [key])
        return None if row is None else str(row["value"])

    def states(self, prefix: str) -> dict[str, str]:
        """Every state entry whose key starts with ``prefix`` (process heartbeats: app/status.py)."""
        like = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = self._rows("SELECT key, value FROM state WHERE key LIKE ? ESCAPE '\\' ORDER BY key", [like])
        return {str(r["key"]): str(r["value"]) for r in rows}

    def delete_state(self, key: str) -> None:
        with self._write(f"state {key!r}"):
            self._execute("DELETE FROM state WHERE key = ?", [key])

    def set_state(self, key: str, value: str) -> None:
        if not isinstance(value, str):
            raise StoreError(f"state {key!r}: value must be str, got {type(value).__name__}")
        with self._write(f"state {key!r}"):
            self._execute(
                "INSERT INTO state (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [codec.strip_nul(key), codec.strip_nul(value)],
            )
