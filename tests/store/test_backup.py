"""`newsloom backup`: a consistent, checked copy of a SQLite store taken while another
connection keeps writing to it (as `run` does), never a half file under the name given, and a
clear refusal where it cannot help (PostgreSQL, a destination that exists, no such folder)."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsloom.app.backup import backup
from newsloom.errors import NewsloomError
from newsloom.models import Article, RawDocument
from newsloom.store import open_store
from newsloom.store.base import Store


def _add(store: Store, i: int) -> None:
    raw = store.save_raw(RawDocument(url=f"https://example.org/{i}", body=b"<p>harbour</p>" * 200))
    store.add_article(Article(url=f"https://example.org/{i}", title=f"Harbour report {i}",
                              text=f"Report {i} on the harbour tariffs. " * 40, raw_id=raw))


def test_a_copy_taken_while_the_store_is_written_is_whole_and_checked(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'live.db'}"
    with open_store(db, create=True) as store:
        for i in range(300):
            _add(store, i)
    stop = threading.Event()
    written: list[int] = []

    def writer() -> None:  # a daemon storing articles meanwhile, on its own connection
        with open_store(db) as own:
            i = 1000
            while not stop.is_set():
                _add(own, i)
                written.append(i)
                i += 1

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(written) < 20:
            threading.Event().wait(0.01)
        with open_store(db) as store:
            done = backup(store, tmp_path / "copy.db")
    finally:
        stop.set()
        t.join(30)
    assert 300 + 20 <= done.articles <= 300 + len(written)  # one snapshot taken while it wrote
    assert not list(tmp_path.glob(".copy.db.*"))  # no temporary file left
    assert not (tmp_path / "copy.db-wal").exists()  # one self-contained file
    with open_store(f"sqlite:///{tmp_path / 'copy.db'}") as copy:  # opens as a store at its schema
        assert copy.count_articles() == done.articles
        assert copy.search_articles("tariffs", limit=1)
    with open_store(db) as store:
        assert store.count_articles() == 300 + len(written)  # the store itself untouched


def test_refusals_name_what_is_wrong(tmp_path: Path) -> None:
    from newsloom.cli.main import cli

    db = f"sqlite:///{tmp_path / 's.db'}"
    with open_store(db, create=True) as store:
        _add(store, 1)
        (tmp_path / "taken.db").write_bytes(b"something else")
        with pytest.raises(NewsloomError, match="taken.db: exists; remove it or pass --force"):
            backup(store, tmp_path / "taken.db")
        assert (tmp_path / "taken.db").read_bytes() == b"something else"
        with pytest.raises(NewsloomError, match="no such folder"):
            backup(store, tmp_path / "missing" / "b.db")
        with pytest.raises(NewsloomError, match="is the store itself"):
            backup(store, tmp_path / "s.db", overwrite=True)
        with pytest.raises(NewsloomError, match="pg_dump"):
            backup(type("PostgresLike", (), {})(), tmp_path / "pg.db")  # type: ignore[arg-type]  # no file to copy
    res = CliRunner().invoke(cli, ["--db", db, "backup", str(tmp_path / "taken.db"), "--force"])
    assert res.exit_code == 0 and "backed up 1 articles" in res.output, res.output
    with open_store(f"sqlite:///{tmp_path / 'taken.db'}") as copy:
        assert copy.count_articles() == 1
