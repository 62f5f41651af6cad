"""A consistent copy of a SQLite store while `newsloom run` keeps writing to it (`newsloom backup`).

SQLite's online backup API (``sqlite3.Connection.backup``) copies the database as of one read
transaction. It runs in one step: in WAL mode a reader never blocks the writer, so `run` carries
on storing meanwhile (its WAL grows until the copy ends), whereas a copy in several steps starts
over each time another connection writes, which a busy daemon does every second. The copy goes
to a temporary file beside the destination, is checked (``PRAGMA quick_check``) and only then
renamed into place, so an interrupted backup never leaves a half file under the name given.
Copying the file with ``cp`` while newsloom runs may catch it mid-write; this does not.
PostgreSQL has its own tools (``pg_dump``), which this does not replace."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from newsloom.errors import NewsloomError
from newsloom.store.base import Store


@dataclass
class Backup:
    path: Path
    bytes: int
    articles: int
    seconds: float


def backup(store: Store, dest: str | os.PathLike[str], overwrite: bool = False) -> Backup:
    """Copy the SQLite ``store`` to ``dest``; NewsloomError names what is wrong (a PostgreSQL
    store, an in-memory one, a destination that exists or whose folder does not)."""
    source = getattr(store, "path", None)
    if source is None:
        raise NewsloomError("newsloom backup copies SQLite stores; back up PostgreSQL "
                            "with its own tools, e.g. pg_dump -Fc -f newsloom.dump DATABASE_URL")
    if source == ":memory:":
        raise NewsloomError("an in-memory store has nothing to back up")
    target = Path(dest).expanduser()
    if target.is_dir():
        raise NewsloomError(f"{target}: is a folder; give the backup's file name")
    if not target.parent.is_dir():
        raise NewsloomError(f"{target.parent}: no such folder")
    if target.exists() and not overwrite:
        raise NewsloomError(f"{target}: exists; remove it or pass --force")
    if target.resolve() == Path(source).resolve():
        raise NewsloomError(f"{target}: is the store itself")
    started = time.monotonic()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    os.chmod(tmp, os.stat(source).st_mode & 0o777)  # the store's permissions, not mkstemp's 0600
    try:
        src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
        dst = sqlite3.connect(tmp)
        try:
            src.backup(dst)  # one step: one consistent snapshot (see the module's docstring)
            checked = dst.execute("PRAGMA quick_check").fetchone()[0]
            if checked != "ok":
                raise NewsloomError(f"{target}: the copy does not check out ({checked}); the store was left as it is")
            dst.execute("PRAGMA journal_mode = DELETE")  # one self-contained file, no -wal beside it
            articles = int(dst.execute("SELECT count(*) FROM articles").fetchone()[0])
        finally:
            dst.close()
            src.close()
        os.replace(tmp, target)
    except sqlite3.Error as exc:
        raise NewsloomError(f"backup of {source} to {target}: {exc}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    return Backup(target, target.stat().st_size, articles, time.monotonic() - started)
