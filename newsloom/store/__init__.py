"""Storage: one repository interface (``Store``), SQLite by default, PostgreSQL to scale.

    >>> from newsloom.store import open_store
    >>> with open_store("sqlite:///:memory:") as store:
    ...     store.count_articles()
    0

URLs: ``sqlite:///abs/path.db`` (``?busy_timeout=SECONDS``: how long a write waits for another
process's lock, default 10), ``sqlite:///:memory:``, a bare file path (SQLite), or
``postgresql://user:pass@host:5432/db`` (also ``postgres://``), optionally with
``?schema=name`` to keep newsloom's tables in their own schema.

Adding a migration
------------------
1. Write ``migrations/sqlite/NNNN_what.sql`` AND ``migrations/postgres/NNNN_what.sql`` with the
   next number (4 digits, e.g. ``0002_takedowns.sql``). Never edit a migration that has shipped:
   databases in the wild already ran it.
2. Use plain statements; each file is applied inside one transaction together with its row in
   ``schema_migrations``, so a failure leaves the database as it was. On SQLite, table rebuilds
   (ALTER of a column) follow https://sqlite.org/lang_altertable.html#otheralter.
3. If the change adds a model field, add the column on both backends, the field's kind to
   ``_codec.KINDS`` if it is not a plain scalar, and run ``pytest tests/store`` (it checks that
   every dataclass field has a column and round-trips on both backends).
``Store.migrate()`` (called by ``open_store``) applies whatever is missing, in order; running it
again is a no-op. A database newer than the code is refused rather than misread.
"""

from __future__ import annotations

import re
from pathlib import Path

from newsloom.errors import StoreError
from newsloom.store.base import Store
from newsloom.store.postgres import PostgresStore
from newsloom.store.sqlite import SQLiteStore

__all__ = ["PostgresStore", "SQLiteStore", "Store", "open_store"]

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")


def open_store(url: str, create: bool = True) -> Store:
    """Open (creating if needed) and migrate the store at ``url``.

    With ``create=False`` (commands that only read) a SQLite file that does not exist is refused
    instead of created, so a mistyped path fails loudly rather than showing an empty new store.
    Raises StoreError naming the URL when the scheme is unknown, PostgreSQL is unreachable, or
    the SQLite file is not a database or cannot be written.
    """
    if not isinstance(url, str) or not url.strip():
        raise StoreError(
            f"store URL {url!r}: empty; expected sqlite:///path.db or postgresql://..."
        )
    url = url.strip()
    match = _SCHEME.match(url)
    store: Store
    if match is None:
        store = SQLiteStore(_existing(url, url, create), url=url)  # a bare file path
    else:
        scheme = match.group(1).lower()
        if scheme == "sqlite":
            store = SQLiteStore(_existing(_sqlite_path(url), url, create), url=url,
                                busy_timeout_s=_busy_timeout(url))
        elif scheme in ("postgresql", "postgres"):
            store = PostgresStore(url)
        else:
            raise StoreError(
                f"store URL {url!r}: unsupported scheme {scheme!r}; "
                "use sqlite:///path.db or postgresql://..."
            )
    try:
        store.migrate()
    except BaseException:
        store.close()
        raise
    return store


def _existing(path: str, url: str, create: bool) -> str:
    if path != ":memory:" and Path(path).is_dir():  # was "does not exist" (or SQLite's vague "unable to open")
        raise StoreError(f"store {url!r}: cannot open {path}: it is a folder, not a SQLite database file "
                         "(give the path of a .db file in it)")
    if not create and path != ":memory:" and not Path(path).is_file():
        raise StoreError(f"store {url!r}: {path} does not exist (check the path; `newsloom init` "
                         "creates a new store)")
    return path


def _busy_timeout(url: str) -> float:
    """``sqlite:///path.db?busy_timeout=30``: seconds a write waits for another process's lock
    before failing with "locked by another process" (default 10)."""
    from urllib.parse import parse_qs

    value = parse_qs(url.split("?", 1)[1]).get("busy_timeout", ["10"])[-1] if "?" in url else "10"
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds <= 3600:
        raise StoreError(f"store URL {url!r}: busy_timeout={value!r} must be seconds between 0 and 3600")
    return seconds


def _sqlite_path(url: str) -> str:
    # "sqlite:///abs/path.db" -> "/abs/path.db"; the SQLAlchemy spelling with four slashes
    # ("sqlite:////abs/path.db", which Settings.db produces) means the same file.
    rest = url[len("sqlite://") :].split("?", 1)[0]
    if rest in ("/:memory:", ":memory:"):
        return ":memory:"
    if not rest.startswith("/") or rest.strip("/") == "":
        raise StoreError(
            f"store URL {url!r}: expected sqlite:///absolute/path.db or sqlite:///:memory:"
        )
    return "/" + rest.lstrip("/")
