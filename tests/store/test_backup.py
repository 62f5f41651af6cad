"""`newsloom backup`: a consistent, checked copy of a SQLite store taken while another
connection keeps writing to it (as `run` does), never a half file under the name given, and a
clear refusal where it cannot help (a destination that exists, no such folder). PostgreSQL: a
pg_dump archive that restores to the same store, and a clear error when pg_dump is missing or
fails."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
import uuid
from pathlib import Path

import pytest
from click.testing import CliRunner
from store_backends import drop_schema, pg_schema_url, require_pg

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
        with pytest.raises(NewsloomError, match="neither a SQLite nor a PostgreSQL store"):
            backup(type("Unknown", (), {})(), tmp_path / "pg.db")  # type: ignore[arg-type]  # no file to copy
    res = CliRunner().invoke(cli, ["--db", db, "backup", str(tmp_path / "taken.db"), "--force"])
    assert res.exit_code == 0 and "backed up 1 articles" in res.output, res.output
    with open_store(f"sqlite:///{tmp_path / 'taken.db'}") as copy:
        assert copy.count_articles() == 1


def _pg_tools() -> None:
    require_pg()
    if not (shutil.which("pg_dump") and shutil.which("pg_restore")):
        pytest.skip("pg_dump / pg_restore not on the PATH (PostgreSQL's client tools)")


def test_a_postgresql_store_is_dumped_and_restores_to_the_same_store(tmp_path: Path) -> None:
    from newsloom.cli.main import cli

    _pg_tools()
    schema = f"Newsloom_Test_{uuid.uuid4().hex[:12]}"  # capitals: pg_dump must not fold the name
    url = pg_schema_url(schema)
    try:
        with open_store(url) as store:
            for i in range(25):
                _add(store, i)
            before = store.search_articles("tariffs", limit=100)
        res = CliRunner().invoke(cli, ["--db", url, "backup", str(tmp_path / "pg.dump")])
        assert res.exit_code == 0 and "backed up 25 articles" in res.output, res.output
        assert not list(tmp_path.glob(".pg.dump.*"))
        restore = res.output.split("to restore it, with newsloom stopped: ", 1)[1].strip()
        drop_schema(schema)  # the store gone ...
        subprocess.run(shlex.split(restore), check=True, capture_output=True)  # ... restored as it says
        with open_store(url) as restored:  # ... and back from the archive, searchable as before
            assert restored.count_articles() == 25
            assert [a.id for a in restored.search_articles("tariffs", limit=100)] == [a.id for a in before]
            _add(restored, 99)  # its sequences restored too: a new article gets a new id
            assert restored.count_articles() == 26
    finally:
        drop_schema(schema)


def test_postgresql_backup_errors_are_one_clear_line(tmp_path: Path) -> None:
    _pg_tools()
    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    url = pg_schema_url(schema)
    try:
        with open_store(url) as store:
            _add(store, 1)
        fake = tmp_path / "bin"  # a pg_dump that refuses, as one of an older major version does
        fake.mkdir()
        (fake / "pg_dump").write_text("#!/bin/sh\necho 'pg_dump: error: aborting because of server version "
                                      "mismatch' >&2\nexit 1\n")
        (fake / "pg_dump").chmod(0o755)

        def backup_with(path: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-m", "newsloom", "--db", url, "backup", str(tmp_path / "pg.dump")],
                                  capture_output=True, text=True, env={**os.environ, "PATH": path}, timeout=120)

        res = backup_with(f"{fake}{os.pathsep}{os.environ['PATH']}")
        assert res.returncode == 1, res.stderr
        assert "pg_dump failed: pg_dump: error: aborting because of server version mismatch" in res.stderr
        assert "Traceback" not in res.stderr and not list(tmp_path.glob("*pg.dump*"))
        res = backup_with(str(fake / "none"))
        assert res.returncode == 1 and "needs pg_dump and pg_restore on the PATH" in res.stderr, res.stderr
        assert "Traceback" not in res.stderr
        with open_store(url) as store:
            assert store.count_articles() == 1  # nothing touched
    finally:
        drop_schema(schema)
