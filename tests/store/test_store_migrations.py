"""Migrations: ordered, transactional, idempotent, and a newer schema is refused."""

from __future__ import annotations

from pathlib import Path

import pytest
from store_backends import Backend

from newsloom.errors import StoreError
from newsloom.models import Article
from newsloom.store import _migrate, open_store
from newsloom.store.sqlite import SQLiteStore, split_statements


def test_backends_have_the_same_migration_numbers() -> None:
    sqlite = [m.version for m in _migrate.load("sqlite")]
    postgres = [m.version for m in _migrate.load("postgres")]
    assert sqlite == postgres == sorted(sqlite)
    assert sqlite[0] == 1


def test_migrate_twice_is_a_noop(backend: Backend) -> None:
    store = backend.open()
    a = store.add_article(Article(url="https://m.example/1", title="kept"))
    versions = store._rows("SELECT version, name FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
    store.migrate()
    store.migrate()
    again = store._rows("SELECT version, name FROM schema_migrations ORDER BY version")  # type: ignore[attr-defined]
    assert [tuple(r) for r in again] == [tuple(r) for r in versions]
    assert [r["version"] for r in again] == [m.version for m in _migrate.load("sqlite")]
    assert store.get_article(a.id).title == "kept"  # type: ignore[arg-type]
    assert store.schema_version() == _migrate.load("sqlite")[-1].version  # type: ignore[attr-defined]
    backend.open().migrate()  # a second connection finds nothing to do


def test_newer_schema_is_refused(backend: Backend) -> None:
    store = backend.open()
    with store.transaction():
        store._execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",  # type: ignore[attr-defined]
            [9999, "9999_future.sql", store._dt_in(__import__("newsloom.models").models.utcnow())],
        )  # type: ignore[attr-defined]
    with pytest.raises(StoreError, match="schema is at version 9999, newer than"):
        backend.open()


def test_failed_migration_rolls_back(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = _migrate.load("sqlite")
    bad = _migrate.Migration(
        2, "0002_bad.sql", "CREATE TABLE half_done (x INTEGER);\nTHIS IS NOT SQL;\n"
    )
    monkeypatch.setattr(_migrate, "load", lambda backend: [*good, bad])
    path = tmp_path / "m.db"
    with pytest.raises(StoreError, match="migration failed"):
        open_store(str(path))
    monkeypatch.undo()
    # nothing of the failed run stayed, not even 0001 (one transaction for the whole upgrade)
    store = SQLiteStore(path)
    tables = {
        r[0] for r in store._conn.execute("SELECT name FROM sqlite_master WHERE type='table'")
    }  # type: ignore[attr-defined]
    assert "half_done" not in tables and "articles" not in tables
    store.migrate()
    assert store.count_articles() == 0
    store.close()


def test_split_statements_keeps_triggers_whole() -> None:
    script = (
        "-- a comment; with a semicolon\n"
        "CREATE TABLE t (x TEXT);\n"
        "CREATE TRIGGER tr AFTER INSERT ON t BEGIN\n"
        "  INSERT INTO t VALUES ('a;b');\n"
        "  DELETE FROM t WHERE x = ';';\n"
        "END;\n"
        "-- trailing comment\n"
    )
    parts = split_statements(script)
    assert len(parts) == 2 and parts[1].startswith("CREATE TRIGGER") and parts[1].endswith("END;")
    with pytest.raises(StoreError, match="incomplete SQL"):
        split_statements("CREATE TABLE t (x TEXT)")
