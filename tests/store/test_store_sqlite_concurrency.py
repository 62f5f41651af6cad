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
