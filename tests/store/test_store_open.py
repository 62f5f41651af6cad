"""open_store(): URL forms, and clear errors instead of tracebacks."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest
from store_backends import PG_URL, drop_schema, pg_schema_url, require_pg

from newsloom.errors import StoreError
from newsloom.models import Article
from newsloom.store import PostgresStore, SQLiteStore, open_store
from newsloom.store.postgres import redact, split_schema


def test_sqlite_url_forms(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "er" / "news.db"  # parent directories are created
    with open_store(f"sqlite:///{target}") as s:
        assert isinstance(s, SQLiteStore) and s.path == str(target)
        s.add_article(Article(url="https://a.example/1"))
    assert target.is_file()
    # four slashes (what Settings.db builds from an absolute path) name the same file
    with open_store(f"sqlite:////{str(target).lstrip('/')}") as s:
        assert s.count_articles() == 1
    with open_store(str(target)) as s:  # a bare path
        assert isinstance(s, SQLiteStore) and s.count_articles() == 1


def test_bare_relative_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_store("data/rel.db") as s:
        s.set_state("k", "v")
    assert (tmp_path / "data" / "rel.db").is_file()


def test_memory() -> None:
    for url in ("sqlite:///:memory:", ":memory:"):
        with open_store(url) as s:
            assert isinstance(s, SQLiteStore)
            s.add_article(Article(url="https://a.example/1", title="hello world"))
            assert [a.title for a in s.search_articles("hello")] == ["hello world"]


def test_wal_and_pragmas(tmp_path: Path) -> None:
    with open_store(str(tmp_path / "w.db")) as s:
        conn = s._conn  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 1  # NORMAL
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] > 0


@pytest.mark.parametrize(
    "url",
    ["mysql://root@localhost/db", "http://example.org/db", "sqlite://", "sqlite:///", "", "   "],
)
def test_unsupported_urls(url: str) -> None:
    with pytest.raises(StoreError) as info:
        open_store(url)
    assert repr(url.strip()) in str(info.value) or "sqlite" in str(info.value)


def test_scheme_is_named(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="mysql://root@localhost/db.*unsupported scheme 'mysql'"):
        open_store("mysql://root@localhost/db")


def test_not_a_database(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.db"
    bogus.write_bytes(b"this is a text file, not SQLite" * 100)
    with pytest.raises(StoreError, match=r"notes\.db.*not an SQLite database"):
        open_store(str(bogus))


def test_path_is_a_directory(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="cannot open"):
        open_store(str(tmp_path))


@pytest.mark.parametrize("create", [False, True])
def test_path_is_a_directory_is_named_as_one(tmp_path: Path, create: bool) -> None:
    """A read command on a folder said "<folder> does not exist"."""
    with pytest.raises(StoreError, match="it is a folder, not a SQLite database file") as exc:
        open_store(f"sqlite:///{tmp_path}", create=create)
    assert "does not exist" not in str(exc.value)


def test_parent_is_a_file(tmp_path: Path) -> None:
    (tmp_path / "file").write_text("x")
    with pytest.raises(StoreError, match="cannot create its directory"):
        open_store(str(tmp_path / "file" / "sub" / "news.db"))


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores file modes")
def test_read_only_file(tmp_path: Path) -> None:
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    path.write_bytes(path.read_bytes())
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="read-only"):
            open_store(str(path))
    finally:
        tmp_path.chmod(0o755)


def test_read_only_database_via_uri(tmp_path: Path) -> None:
    # Root cannot be stopped by file modes, so make SQLite itself refuse writes.
    path = tmp_path / "ro.db"
    sqlite3.connect(path).close()
    store = SQLiteStore.__new__(SQLiteStore)
    SQLiteStore.__init__(store, path)
    store._conn.close()  # type: ignore[attr-defined]
    store._conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None)  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="read-only"):
        store.migrate()


def test_postgres_unreachable() -> None:
    # port 1 on loopback: nothing listens there, so the refusal is immediate
    with pytest.raises(
        StoreError, match=r"postgresql://u:\*\*\*@127\.0\.0\.1:1/db: cannot connect"
    ):
        open_store("postgresql://u:secret@127.0.0.1:1/db")
    with pytest.raises(StoreError, match="cannot connect"):
        open_store("postgres://127.0.0.1:1/db?connect_timeout=2")


def test_postgres_bad_option() -> None:
    with pytest.raises(StoreError, match="cannot connect"):
        open_store("postgresql://127.0.0.1:1/db?no_such_option=1")


def test_redact_and_split_schema() -> None:
    assert redact("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert redact("postgresql://u@h/db") == "postgresql://u@h/db"
    assert split_schema("postgresql://h/db?schema=s1&sslmode=disable") == (
        "postgresql://h/db?sslmode=disable",
        "s1",
    )
    assert split_schema("postgresql://h/db") == ("postgresql://h/db", None)


def test_postgres_schema_isolation_and_search_path_option() -> None:
    require_pg()
    import uuid

    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    try:
        with open_store(pg_schema_url(schema)) as a:
            assert isinstance(a, PostgresStore) and a.schema == schema
            a.set_state("where", schema)
        # the libpq way: an existing schema named through options=-csearch_path
        sep = "&" if "?" in PG_URL else "?"
        with open_store(f"{PG_URL}{sep}options=-csearch_path%3D{schema}") as b:
            assert b.get_state("where") == schema
        with open_store(pg_schema_url(schema + "_other")) as c:
            assert c.get_state("where") is None
    finally:
        drop_schema(schema)
        drop_schema(schema + "_other")


def test_postgres_reconnects_after_the_connection_drops() -> None:
    require_pg()
    import uuid

    import psycopg

    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    try:
        store = open_store(pg_schema_url(schema))
        store.set_state("k", "v")
        pid = store._conn.info.backend_pid  # type: ignore[attr-defined]
        with psycopg.connect(PG_URL, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [pid])
        with pytest.raises(StoreError):
            store.get_state("k")  # the call that finds the connection dead fails cleanly
        assert store.get_state("k") == "v"  # the next one reconnects, same schema
        store.set_state("k", "w")
        assert store.get_state("k") == "w"
        store.close()
    finally:
        drop_schema(schema)


def test_postgres_connection_lost_while_preparing_the_session_is_an_outage(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A connection terminated again while the reconnect sets up its session (time zone,
    schema) is one more outage, which a daemon waits out, not a configuration error that stops
    it (seen when ``pg_terminate_backend`` hit a worker twice a second apart)."""
    require_pg()
    import uuid

    import psycopg

    from newsloom.errors import StoreUnavailable
    from newsloom.store import postgres

    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    try:
        store = open_store(pg_schema_url(schema))
        real = psycopg.connect

        def connect_then_terminated(*args, **kwargs):  # type: ignore[no-untyped-def]
            conn = real(*args, **kwargs)
            with real(PG_URL, autocommit=True) as admin:
                admin.execute("SELECT pg_terminate_backend(%s)", [conn.info.backend_pid])
            return conn

        monkeypatch.setattr(postgres.psycopg, "connect", connect_then_terminated)
        with pytest.raises(StoreUnavailable, match="connection lost while preparing the session"):
            store._connect()  # type: ignore[attr-defined]
        monkeypatch.setattr(postgres.psycopg, "connect", real)
        store.set_state("k", "v")
        assert store.get_state("k") == "v"
        store.close()
    finally:
        drop_schema(schema)


def test_unreachable_postgres_skips_locally_but_fails_on_ci(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import store_backends

    monkeypatch.setattr(store_backends, "pg_unreachable", lambda: "connection refused")
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="unreachable"):
        store_backends.require_pg()
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI must run both backends"):
        store_backends.require_pg()


def test_module_docstring_example() -> None:
    import doctest

    import newsloom.store

    result = doctest.testmod(newsloom.store)
    assert result.attempted >= 1 and result.failed == 0
