"""SQLite in WAL mode: two connections writing at once, and threads sharing one store."""

from __future__ import annotations

import threading
from pathlib import Path

from newsloom.models import Article, FetchLog
from newsloom.store import SQLiteStore, open_store


def _write(store: SQLiteStore, prefix: str, n: int, errors: list[BaseException]) -> None:
    try:
        for i in range(n):
            with store.transaction():
                a = store.add_article(
                    Article(url=f"https://{prefix}.example/{i}", title=f"{prefix} {i}")
                )
                store.save_embedding(a.id, "m", bytes([i % 256]) * 8)  # type: ignore[arg-type]
            store.record_fetch(FetchLog(url=f"https://{prefix}.example/{i}", status="ok"))
    except BaseException as exc:  # noqa: BLE001 - handed to the main thread
        errors.append(exc)


def test_two_connections_write_concurrently(tmp_path: Path) -> None:
    url = str(tmp_path / "c.db")
    one, two = open_store(url), open_store(url)
    errors: list[BaseException] = []
    threads = [
        threading.Thread(target=_write, args=(one, "one", 150, errors)),
        threading.Thread(target=_write, args=(two, "two", 150, errors)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    one.close()
    two.close()
    with open_store(url) as check:
        conn = check._conn  # type: ignore[attr-defined]
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("INSERT INTO articles_fts(articles_fts) VALUES ('integrity-check')")
        assert check.count_articles() == 300
        assert len(check.fetch_log(limit=1000)) == 300
        assert len(check.search_articles("one", limit=1000)) == 150
        assert len(check.search_articles("two", limit=1000)) == 150
        assert all(check.get_embedding(a.id, "m") for a in check.iter_articles())  # type: ignore[arg-type]


def test_threads_share_one_store(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "t.db"))
    errors: list[BaseException] = []
    threads = [threading.Thread(target=_write, args=(store, f"t{k}", 40, errors)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.count_articles() == 160
    store.close()


def test_reader_connection_of_an_ended_thread_is_closed(tmp_path) -> None:
    """Every pass of `newsloom run` starts its processing thread anew; each thread reads on a
    connection of its own. A thread that ended must not keep its connection (and its page and
    statement caches) open for the life of the process: the soak's run process grew ~2 MB a
    pass until they were closed."""
    import sqlite3
    import threading

    import pytest

    from newsloom.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'r.db'}")
    store.use_reader_connections()
    opened: list[sqlite3.Connection] = []

    def read() -> None:
        store.list_articles(limit=1)
        opened.append(store._reader())

    try:
        for _ in range(5):
            t = threading.Thread(target=read)
            t.start()
            t.join()
        assert len(store._reader_conns) == 1  # only the last thread's connection is open
        for conn in opened[:-1]:
            with pytest.raises(sqlite3.ProgrammingError):
                conn.execute("SELECT 1")
        # a live reading thread keeps its connection
        store.list_articles(limit=1)
        assert len(store._reader_conns) == 1 and store._reader_conns[0][0] is threading.current_thread()
    finally:
        store.close()
