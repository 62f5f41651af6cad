"""PostgreSQL backend: psycopg 3, timestamptz, jsonb, tsvector search with the 'simple' config.

The connection runs in autocommit mode; ``connection.transaction()`` gives each public write its
own transaction (a savepoint when nested inside ``Store.transaction()``).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql as pgsql
from psycopg.rows import dict_row

from newsloom.errors import StoreError, StoreUnavailable
from newsloom.models import Article
from newsloom.store import _codec as codec
from newsloom.store import _migrate
from newsloom.store._sql import _ARTICLE_COLS, SQLStore

# tsvector values are capped at 1 MB; folded text beyond this many characters is not indexed
# (far beyond any real article, but a pasted data dump must not make the insert fail).
_MAX_INDEXED_CHARS = 300_000

_SEARCH_EXPR = (
    "setweight(to_tsvector('simple', ?), 'A') || setweight(to_tsvector('simple', ?), 'B')"
)


@functools.lru_cache(maxsize=256)
def _pg_sql(sql: str) -> str:
    # The shared SQL uses "?" and contains no "%" or "?" operators, so this swap is safe.
    return sql.replace("?", "%s")


def redact(url: str) -> str:
    """The URL with its password hidden, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def split_schema(url: str) -> tuple[str, str | None]:
    """Remove newsloom's own ``schema=`` query parameter (libpq would reject it)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in query if k == "schema"), None)
    rest = [(k, v) for k, v in query if k != "schema"]
    return urlunsplit(parts._replace(query=urlencode(rest))), schema or None


class PostgresStore(SQLStore):
    """``PostgresStore("postgresql://user@host/db", schema="newsloom")``.

    ``schema`` (or ``?schema=name`` in the URL) puts every table in that schema, created if
    missing; a ``?options=-csearch_path%3Dname`` URL works too when the schema exists.
    """

    shares_host_slots = True  # workers on any machine fetch through it: one rate per host
    _epoch_now = "CAST(EXTRACT(EPOCH FROM now()) AS DOUBLE PRECISION)"  # the transaction's start

    _skip_locked = True  # job claims: SELECT ... FOR UPDATE SKIP LOCKED (store/_jobs.py)

    def __init__(self, url: str, *, schema: str | None = None, connect_timeout_s: int = 5) -> None:
        super().__init__()
        conninfo, url_schema = split_schema(url)
        self.url = redact(url)
        self.schema = schema or url_schema
        self._conninfo = conninfo
        self._connect_kwargs: dict[str, Any] = {}
        if "connect_timeout" not in conninfo:
            self._connect_kwargs["connect_timeout"] = connect_timeout_s
        self._depth = 0
        self._pool: Any = None  # psycopg_pool.ConnectionPool once use_reader_connections()
        self._tx_thread: int | None = None
        # how many times a connection was opened: session state (advisory locks) held by an
        # earlier one is gone after a reconnect (jobs/worker.py takes its serial lock again)
        self.connects = 0
        self._conn = self._connect()

    def _connect(self) -> psycopg.Connection[Any]:
        try:
            conn = psycopg.connect(
                self._conninfo, autocommit=True, row_factory=dict_row, **self._connect_kwargs
            )
        except psycopg.Error as exc:
            raise StoreUnavailable(
                f"{self.url}: cannot connect to PostgreSQL ({_first_line(exc)})"
            ) from None
        self.connects += 1
        try:
            # Session in UTC: timestamptz values then come back as UTC-aware datetimes.
            conn.execute("SET TIME ZONE 'UTC'")
            if self.schema:
                name = pgsql.Identifier(self.schema)
                conn.execute(pgsql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(name))
                conn.execute(pgsql.SQL("SET search_path TO {}").format(name))
        except psycopg.Error as exc:
            lost = isinstance(exc, psycopg.OperationalError | pgerrors.AdminShutdown) or conn.broken or conn.closed
            conn.close()
            if lost:  # terminated again while the session was being prepared: still an outage
                raise StoreUnavailable(
                    f"{self.url}: connection lost while preparing the session ({_first_line(exc)})"
                ) from None
            raise StoreError(
                f"{self.url}: cannot prepare the session ({_first_line(exc)})"
            ) from None
        return conn

    def _reconnect_if_broken(self) -> None:
        # A restarted server or a dropped network connection should cost one failed call in a
        # long-running worker, not the rest of its life. Never inside a transaction: its
        # earlier writes are gone and continuing would silently break its atomicity.
        if not (self._conn.broken or self._conn.closed):
            return
        if self._depth:
            raise StoreUnavailable(f"{self.url}: connection to PostgreSQL lost inside a transaction")
        try:
            self._conn = self._connect()
        except StoreUnavailable as exc:
            self.trouble = exc
            raise

    def __repr__(self) -> str:
        return f"PostgresStore({self.url!r}, schema={self.schema!r})"

    # --- life cycle -----------------------------------------------------------------------------
    def migrate(self) -> None:
        known = _migrate.load("postgres")
        with self._lock:
            self._ready()
            conn = self._conn
            try:
                with conn.transaction():
                    # Two processes opening a new database at once: the second waits here and
                    # then finds everything applied.
                    conn.execute(
                        "SELECT pg_advisory_xact_lock(hashtext('newsloom.migrate.' || "
                        "coalesce(current_schema(), '')))"
                    )
                    conn.execute(
                        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
                        " name TEXT NOT NULL, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())"
                    )
                    rows = conn.execute("SELECT version FROM schema_migrations").fetchall()
                    applied = {r["version"] for r in rows}
                    _migrate.check_not_newer(self.url, applied, known)
                    for m in known:
                        if m.version in applied:
                            continue
                        conn.execute(m.sql.encode("utf-8"))  # bytes: no %-placeholder parsing
                        conn.execute(
                            "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                            [m.version, m.name],
                        )
            except psycopg.Error as exc:
                raise StoreError(f"{self.url}: migration failed ({_first_line(exc)})") from None

    def schema_version(self) -> int:
        row = self._one("SELECT max(version) AS v FROM schema_migrations")
        return int(row["v"] or 0)

    def disk_usage(self) -> tuple[int, int | None]:
        """``(bytes the store's schema takes: tables, indexes, TOAST; None: the server's free space
        is not this client's to see)``."""
        row = self._one("SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) AS n FROM pg_class c "
                        "JOIN pg_namespace ns ON ns.oid = c.relnamespace "
                        "WHERE ns.nspname = current_schema() AND c.relkind IN ('r', 'm')")
        return int(row["n"]), None

    def close(self) -> None:
        with self._lock:
            self._closed = True
            if self._pool is not None:
                self._pool.close()
            self._conn.close()

    def use_reader_connections(self, max_size: int = 8) -> None:
        """Serve reads from threads not inside a write transaction from a connection pool
        (psycopg_pool): web requests read in parallel and never queue behind the writer."""
        if self._pool is not None:
            return
        from psycopg_pool import ConnectionPool

        def configure(conn: psycopg.Connection[Any]) -> None:
            conn.execute("SET TIME ZONE 'UTC'")
            if self.schema:
                conn.execute(pgsql.SQL("SET search_path TO {}").format(pgsql.Identifier(self.schema)))

        self._pool = ConnectionPool(
            self._conninfo, min_size=1, max_size=max_size, open=True, configure=configure,
            kwargs={"autocommit": True, "row_factory": dict_row, **self._connect_kwargs})

    def _rows(self, sql: str, params: Sequence[Any] = ()) -> list[Any]:
        if self._pool is None or self._tx_thread == threading.get_ident():
            return super()._rows(sql, params)
        if self._closed:
            raise StoreError(f"{self.url}: the store is closed")
        try:
            with self._pool.connection() as conn:
                return conn.execute(_pg_sql(sql), list(params)).fetchall()
        except psycopg.Error as exc:
            if isinstance(exc, psycopg.OperationalError):
                raise self._trouble("unavailable", "query", _first_line(exc)) from None
            raise StoreError(f"{self.url}: query failed ({_first_line(exc)})") from None

    # --- hooks ----------------------------------------------------------------------------------
    def _execute(self, sql: str, params: Sequence[Any] = ()) -> Any:
        return self._conn.execute(_pg_sql(sql), list(params))

    @contextmanager
    def _tx(self) -> Iterator[None]:
        self._depth += 1
        if self._depth == 1:
            self._tx_thread = threading.get_ident()
        try:
            with self._conn.transaction():
                yield
        finally:
            self._depth -= 1
            if self._depth == 0:
                self._tx_thread = None

    def _classify(self, exc: BaseException) -> str | None:
        if isinstance(exc, pgerrors.UniqueViolation):
            return "unique"
        if isinstance(exc, pgerrors.ForeignKeyViolation):
            return "fk"
        if isinstance(exc, pgerrors.DiskFull):
            return "full"
        if isinstance(exc, psycopg.OperationalError | pgerrors.AdminShutdown | pgerrors.CannotConnectNow) \
                or (isinstance(exc, psycopg.Error) and (self._conn.broken or self._conn.closed)):
            return "unavailable"  # terminated, restarting, network gone: the next call reconnects
        if isinstance(exc, psycopg.Error):
            return "driver"
        return None

    def _dt_in(self, value: datetime | None) -> Any:
        return value

    def _job_now(self) -> datetime:
        # the database server's clock (store/_jobs.py): called inside the writing transaction
        return self._execute("SELECT clock_timestamp() AS t").fetchone()["t"]

    def server_clock(self) -> datetime:
        """The database server's clock now (a worker aligns its own to it: jobs/worker.py)."""
        return self._one("SELECT clock_timestamp() AS t")["t"]

    def _fts_columns(self, article: Article) -> list[tuple[str, str, list[Any]]]:
        # Folded in Python, not by the database, so matching does not depend on the database
        # locale and treats accents like SQLite's FTS5 does.
        title = codec.fold(codec.strip_nul(article.title or ""))[:_MAX_INDEXED_CHARS]
        text = codec.fold(codec.strip_nul(article.text or ""))[:_MAX_INDEXED_CHARS]
        return [("search", _SEARCH_EXPR, [title, text])]

    def _search(self, tokens: list[str], limit: int, cols: str = _ARTICLE_COLS) -> list[Any]:
        sql = (
            f"SELECT {cols} FROM articles a, plainto_tsquery('simple', ?) q "
            "WHERE a.search @@ q ORDER BY ts_rank(a.search, q) DESC, a.id DESC LIMIT ?"
        )
        return self._rows(sql, [codec.fold(" ".join(tokens)), limit])


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__
