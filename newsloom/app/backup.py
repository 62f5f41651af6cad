"""A consistent copy of a SQLite store while `newsloom run` keeps writing to it (`newsloom backup`).

SQLite's online backup API (``sqlite3.Connection.backup``) copies the database as of one read
transaction. It runs in one step: in WAL mode a reader never blocks the writer, so `run` carries
on storing meanwhile (its WAL grows until the copy ends), whereas a copy in several steps starts
over each time another connection writes, which a busy daemon does every second. The copy goes
to a temporary file beside the destination, is checked (``PRAGMA quick_check``) and only then
renamed into place, so an interrupted backup never leaves a half file under the name given.
Copying the file with ``cp`` while newsloom runs may catch it mid-write; this does not.

A PostgreSQL store is dumped by PostgreSQL's own ``pg_dump`` (custom format, one snapshot, so
workers keep writing meanwhile), into a temporary file that ``pg_restore --list`` must read
back before it is renamed into place. Writing our own dump would repeat what pg_dump does, with
less care for types and sequences; what this adds is the same safe naming and a check. Restore
with ``pg_restore --clean --if-exists --no-owner -d DATABASE_URL FILE``, newsloom stopped, the
URL without newsloom's ``?schema=`` (`newsloom backup` prints the command)."""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import sqlite3
import subprocess
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
    restore: str | None = None  # PostgreSQL: the command that restores it (password left out)


def backup(store: Store, dest: str | os.PathLike[str], overwrite: bool = False) -> Backup:
    """Copy ``store`` to ``dest`` (SQLite: a database file; PostgreSQL: a pg_dump archive);
    NewsloomError names what is wrong (an in-memory store, a destination that exists or whose
    folder does not, no pg_dump, pg_dump failing)."""
    target = Path(dest).expanduser()
    if target.is_dir():
        raise NewsloomError(f"{target}: is a folder; give the backup's file name")
    if not target.parent.is_dir():
        raise NewsloomError(f"{target.parent}: no such folder")
    if target.exists() and not overwrite:
        raise NewsloomError(f"{target}: exists; remove it or pass --force")
    source = getattr(store, "path", None)
    if source is None:
        if getattr(store, "_conninfo", None) is None:
            raise NewsloomError(f"{store!r}: neither a SQLite nor a PostgreSQL store; nothing to back up")
        return _pg_dump(store, target)
    if source == ":memory:":
        raise NewsloomError("an in-memory store has nothing to back up")
    if target.resolve() == Path(source).resolve():
        raise NewsloomError(f"{target}: is the store itself")
    started = time.monotonic()
    tmp = _temporary(target)
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


def _temporary(target: Path) -> str:
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    os.close(fd)
    return tmp


def _pg_dump(store: Store, target: Path) -> Backup:
    """``pg_dump --format=custom`` of the store's database (only its schema when it has one),
    read back by ``pg_restore --list``, then renamed to ``target``. The password, if the URL
    has one, goes to pg_dump in its environment, not on a command line others can read."""
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    dump, lister = shutil.which("pg_dump"), shutil.which("pg_restore")
    if dump is None or lister is None:
        raise NewsloomError("backing up a PostgreSQL store needs pg_dump and pg_restore on the PATH "
                            "(PostgreSQL's client tools, of the server's major version or newer)")
    url = getattr(store, "url", "the store")
    try:
        params = conninfo_to_dict(store._conninfo)  # type: ignore[attr-defined]
    except Exception as exc:  # psycopg.ProgrammingError: a conninfo libpq cannot parse
        raise NewsloomError(f"{url}: cannot read the connection string ({exc})") from None
    env = dict(os.environ)
    if params.get("password"):
        env["PGPASSWORD"] = str(params.pop("password"))
    env.setdefault("PGCONNECT_TIMEOUT", "10")
    conninfo = make_conninfo(**params)
    args = [dump, "--format=custom", "--no-owner", f"--dbname={conninfo}"]
    # the store's schema only (named in the URL, or the session's own: other applications'
    # tables in the same database stay out of it, and out of a --clean restore); quoted, as
    # pg_dump reads the name as a pattern (case folded, * ? . special) and newsloom made it quoted
    schema = getattr(store, "schema", None) or store._one("SELECT current_schema() AS s")["s"]  # type: ignore[attr-defined]
    if schema:
        args.append('--schema="{}"'.format(schema.replace('"', '""')))
    started = time.monotonic()
    articles = store.count_articles()  # as the dump begins: its snapshot is taken just after
    tmp = _temporary(target)
    try:
        for cmd in (args + [f"--file={tmp}"], [lister, "--list", tmp]):
            try:
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, errors="replace",
                                      timeout=24 * 3600)
            except (OSError, subprocess.TimeoutExpired) as exc:
                raise NewsloomError(f"backup of {url}: {Path(cmd[0]).name} did not run ({exc})") from None
            if done.returncode != 0:
                lines = [line for line in done.stderr.splitlines() if line.strip()]
                why = next((line for line in lines if "error:" in line), lines[0] if lines else f"exit {done.returncode}")
                raise NewsloomError(f"backup of {url}: {Path(cmd[0]).name} failed: {why}")
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
    # what pg_dump connected with (no password; libpq refuses newsloom's own ?schema=, and the
    # archive names its schema itself)
    restore = shlex.join(["pg_restore", "--clean", "--if-exists", "--no-owner", "-d", conninfo, str(target)])
    return Backup(target, target.stat().st_size, articles, time.monotonic() - started, restore)
