"""SQLite backend (the default): stdlib sqlite3, WAL, FTS5.

One connection in autocommit mode; the store issues ``BEGIN IMMEDIATE`` / ``COMMIT`` itself so
every public write is committed before it returns and write locks are taken up front (a deferred
transaction that upgrades to a writer can fail with SQLITE_BUSY despite the busy timeout).
"""

from __future__ import annotations

import errno
import os
import re
import shutil
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from newsloom.errors import StoreError
from newsloom.models import Article, utcnow
from newsloom.store import _codec as codec
from newsloom.store import _migrate
from newsloom.store._sql import _ARTICLE_COLS, SQLStore

_COMMENT = re.compile(r"--[^\n]*")
# pages an FTS5 'merge' step writes (one write transaction each: ~20 ms on a 100k store)
_FTS_MERGE_STEP = 200


def split_statements(script: str) -> list[str]:
    """Statements of a SQL script, trigger bodies kept whole.

    ``executescript`` would be simpler but commits any open transaction first, and a migration
    must apply inside one transaction together with its ``schema_migrations`` row.
    """
    out: list[str] = []
    buf = ""
    for line in script.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    if _COMMENT.sub("", buf).strip():
        raise StoreError(
            f"incomplete SQL statement at the end of a migration: {buf.strip()[:80]!r}"
        )
    return out


class SQLiteStore(SQLStore):
    """``SQLiteStore("/path/news.db")`` or ``SQLiteStore(":memory:")``; call ``migrate()`` (or use
    ``newsloom.store.open_store``, which does)."""

    def __init__(
        self, path: str | os.PathLike[str], *, url: str | None = None, busy_timeout_s: float = 10.0
    ) -> None:
        super().__init__()
        if sqlite3.sqlite_version_info < (3, 35, 0):
            # RETURNING (3.35) and NULLS FIRST (3.30) are used throughout.
            raise StoreError(
                f"SQLite {sqlite3.sqlite_version} is too old for newsloom (needs 3.35 or newer)"
            )
        self.path = str(path)
        self.url = url or f"sqlite:///{self.path}"
        self._depth = 0
        self._fts_usermerge = False  # the index's usermerge set to 2 (merge_search_index)
        self._busy_timeout_s = busy_timeout_s
        # reader connections (use_reader_connections): one per reading thread
        self._readers: threading.local | None = None
        self._readers_lock = threading.Lock()
        # (thread, its connection): a thread that ended leaves its connection here until the next
        # reader is opened, which closes it (see _reader)
        self._reader_conns: list[tuple[threading.Thread, sqlite3.Connection]] = []
        self._tx_thread: int | None = None
        if self.path != ":memory:":
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"{self.url}: cannot create its directory ({exc})") from None
        try:
            self._conn = sqlite3.connect(
                self.path,
                timeout=busy_timeout_s,
                isolation_level=None,
                check_same_thread=False,
            )
        except sqlite3.Error as exc:
            raise StoreError(f"{self.url}: cannot open SQLite database ({exc})") from None
        try:
            self._conn.row_factory = sqlite3.Row
            self._conn.execute("PRAGMA foreign_keys = ON")
            self._conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_s * 1000)}")
            # Reading the journal mode is the first real file access: a non-database file or a
            # read-only one fails here, with a message we can make clear.
            self._conn.execute("PRAGMA journal_mode = WAL").fetchone()
            self._conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            self._conn.close()
            raise StoreError(f"{self.url}: {_explain(exc)}") from None

    def __repr__(self) -> str:
        return f"SQLiteStore({self.path!r})"

    # --- life cycle -----------------------------------------------------------------------------
    def migrate(self) -> None:
        known = _migrate.load("sqlite")
        with self._lock:
            if self._depth:
                raise StoreError(f"{self.url}: migrate() cannot run inside a transaction")
            try:
                # Cheap read first: an up-to-date database needs no write lock, so many
                # processes can open it at once.
                if self._pending(known) == []:
                    return
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    for m in self._pending(known) or []:
                        for statement in split_statements(m.sql):
                            self._conn.execute(statement)
                        self._conn.execute(
                            "INSERT INTO schema_migrations (version, name, applied_at) "
                            "VALUES (?, ?, ?)",
                            [m.version, m.name, codec.dt_text(utcnow())],
                        )
                    self._conn.execute("COMMIT")
                except BaseException:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise StoreError(f"{self.url}: migration failed ({_explain(exc)})") from None

    def _pending(self, known: list[_migrate.Migration]) -> list[_migrate.Migration] | None:
        """Migrations not yet applied, or None when the bookkeeping table does not exist yet."""
        exists = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ).fetchone()
        if not exists:
            if self._conn.in_transaction:
                self._conn.execute(
                    "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                    "name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                return list(known)
            return None
        applied = {r[0] for r in self._conn.execute("SELECT version FROM schema_migrations")}
        _migrate.check_not_newer(self.url, applied, known)
        return [m for m in known if m.version not in applied]

    def schema_version(self) -> int:
        row = self._one("SELECT max(version) AS v FROM schema_migrations")
        return int(row["v"] or 0)

    def disk_usage(self) -> tuple[int, int | None]:
        """``(bytes the store takes: the file and its WAL, bytes free on its file system)``."""
        if self.path == ":memory:":
            return 0, None
        used = sum(os.stat(self.path + suffix).st_size for suffix in ("", "-wal") if os.path.exists(self.path + suffix))
        return used, shutil.disk_usage(os.path.dirname(os.path.abspath(self.path))).free

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            for _, reader in self._reader_conns:
                reader.close()
            try:
                self._conn.execute("PRAGMA optimize")
            except sqlite3.Error:
                pass  # closing must not fail on a database that was never usable
            self._conn.close()

    # --- hooks ----------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(sql, params)

    def use_reader_connections(self) -> None:
        """Serve reads from threads that are not inside a write transaction on their own
        connections (one per thread, read-only): with WAL, a reader sees the last commit and
        never waits for the writer, and web requests do not queue behind each other on the
        writer's lock. An in-memory database has one connection and keeps it."""
        if self.path != ":memory:" and self._readers is None:
            self._readers = threading.local()

    def _reader(self) -> sqlite3.Connection:
        conn = getattr(self._readers, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout_s, isolation_level=None,
                                   check_same_thread=False)
            conn.row_factory = sqlite3.Row
            conn.execute("PRAGMA query_only = ON")
            self._readers.conn = conn  # type: ignore[union-attr]
            with self._readers_lock:
                # Threads come and go (every pass of `newsloom run` starts its processing thread
                # anew): the connection of a thread that ended is closed here, or each would keep
                # its page and statement caches for the life of the process (~2 MB a pass).
                alive = []
                for thread, old in self._reader_conns:
                    if thread.is_alive():
                        alive.append((thread, old))
                    else:
                        old.close()
                alive.append((threading.current_thread(), conn))
                self._reader_conns = alive
        return conn

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if self._readers is None or self._tx_thread == threading.get_ident():
            return super()._rows(sql, params)  # the writer reads its own uncommitted writes
        if self._closed:
            raise StoreError(f"{self.url}: the store is closed")
        try:
            return self._reader().execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(f"{self.url}: query failed ({_explain(exc)})") from None

    @contextmanager
    def _tx(self) -> Iterator[None]:
        conn = self._conn
        if self._depth == 0:
            conn.execute("BEGIN IMMEDIATE")
            self._depth = 1
            self._tx_thread = threading.get_ident()
            try:
                yield
            except BaseException:
                self._depth, self._tx_thread = 0, None
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            self._depth, self._tx_thread = 0, None
            try:
                conn.execute("COMMIT")
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
        else:
            name = f"sp{self._depth}"
            conn.execute(f"SAVEPOINT {name}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                conn.execute(f"ROLLBACK TO {name}")
                conn.execute(f"RELEASE {name}")
                raise
            self._depth -= 1
            conn.execute(f"RELEASE {name}")

    def _classify(self, exc: BaseException) -> str | None:
        if isinstance(exc, sqlite3.IntegrityError):
            name = getattr(exc, "sqlite_errorname", "")
            if name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY"):
                return "unique"
            if name == "SQLITE_CONSTRAINT_FOREIGNKEY":
                return "fk"
        if isinstance(exc, sqlite3.OperationalError):
            name = getattr(exc, "sqlite_errorname", "")
            if name == "SQLITE_FULL" or "disk is full" in str(exc):
                return "full"
            if name.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "database is locked" in str(exc):
                return "unavailable"
        if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
            return "full"
        if isinstance(exc, sqlite3.Error | OverflowError):
            return "driver"
        return None

    def _dt_in(self, value: datetime | None) -> Any:
        return codec.dt_text(value)

    def _fts_columns(self, article: Article) -> list[tuple[str, str, list[Any]]]:
        return []  # triggers in 0001_init.sql keep articles_fts in sync

    def merge_search_index(self, max_pages: int = 2000) -> int:
        """Merge FTS5 index segments, at most ~``max_pages`` pages written (4 KB each), in steps
        of ``_FTS_MERGE_STEP`` pages, one short write transaction a step. Every commit that
        stores an article adds a segment, and FTS5's own automerge leaves up to ~4 a level: a
        100k store after ingest had 14, and 9-21 between passes of a daemon; a query looks a
        word up in each. With ``usermerge`` 2 a 'merge' joins any level holding two or more,
        so about one a level remains (2-6 between passes; the same results, a two-word match
        3-7% less CPU). The work is bounded, and what a step leaves half done is carried on by
        the next call (FTS5 keeps its place); a store with nothing to merge costs one step that
        writes nothing. Returns the pages asked for."""
        if max_pages <= 0:
            return 0
        if not self._fts_usermerge:
            row = self._one("SELECT v FROM articles_fts_config WHERE k = 'usermerge'")
            if row is None or int(row["v"]) != 2:
                with self._write("search index: usermerge"):
                    self._execute("INSERT INTO articles_fts(articles_fts, rank) VALUES('usermerge', 2)")
            self._fts_usermerge = True
        done = 0
        while done < max_pages:
            step = min(_FTS_MERGE_STEP, max_pages - done)
            with self._write("merge the search index"):
                before = self._conn.total_changes
                self._execute("INSERT INTO articles_fts(articles_fts, rank) VALUES('merge', ?)", [step])
                changed = self._conn.total_changes - before
            done += step
            if changed < 2:  # (the FTS5 docs' test: nothing left to merge)
                break
        return done

    def _search(self, tokens: list[str], limit: int, cols: str = _ARTICLE_COLS) -> list[Any]:
        # Each token quoted: user input never reaches FTS5 query syntax (AND, NEAR, *, ^ ...).
        match = " ".join(f'"{t}"' for t in tokens)
        # Ranked and cut in the index first, rows read after: joined before the sort, SQLite read
        # (and sorted) every match's article row (6,765 matches of one word: 33 ms -> 9 ms).
        sql = (
            "SELECT {cols} FROM (SELECT rowid AS rid, bm25(articles_fts, 2.0, 1.0) AS rank "
            "FROM articles_fts WHERE articles_fts MATCH ? ORDER BY rank, rowid DESC LIMIT ?) m "
            "JOIN articles a ON a.id = m.rid ORDER BY m.rank, a.id DESC"
        ).format(cols=cols)
        return self._rows(sql, [match, limit])


def _explain(exc: sqlite3.Error) -> str:
    text = str(exc)
    if "not a database" in text:
        return f"the file is not an SQLite database ({text})"
    if "readonly" in text or "read-only" in text:
        return f"the database file or its directory is read-only ({text})"
    if "unable to open" in text:
        return f"cannot open the database file ({text})"
    if "database is locked" in text:
        return f"the database file is locked by another process ({text})"
    return text
