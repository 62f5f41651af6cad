"""Disk full and a SQLite file locked by another process: one clear line naming what is wrong,
no traceback, exit 1, nothing stored before lost, the store intact; a restart after the fault
is gone completes the work, and the store then equals an uninterrupted run's. The real disk full
needs root (a 700 kB or 3 MB tmpfs); the injected one (sqlite3's own "database or disk is full"
at the article insert) runs everywhere."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from newsloom.store import open_store

import crash_script  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


_crash = crash_script.load


def _newsloom(crash, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:  # type: ignore[no-untyped-def]
    return subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True,
                          env=crash.env(), cwd=REPO, timeout=timeout)


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("Error:")]


def _integrity(path: Path) -> str:
    with sqlite3.connect(path) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def _mount_tmpfs(where: Path, size: str) -> bool:
    if os.geteuid() != 0:
        return False
    where.mkdir()
    return subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


# the disk fills after 2 of the 65 pages (700 kB), or after about 14 (3 MB: mid-run, stories
# being assigned)
@pytest.mark.parametrize("size", ["700k", "3m"])
def test_disk_full_under_newsloom_run_is_one_line_exit_1_and_a_restart_completes(
        tmp_path: Path, size: str, request: pytest.FixtureRequest) -> None:
    disk = tmp_path / "disk"
    if not _mount_tmpfs(disk, size):
        pytest.skip("a small tmpfs needs root (the injected disk-full test covers the rest)")
    crash, site, reference = request.getfixturevalue("corpus_site")
    db_path = disk / "store.db"
    db = f"sqlite:///{db_path}"
    try:
        crash.setup(db, site)
        out = _newsloom(crash, "run", "--no-web", "--no-default-sources", "--db", db)
        assert out.returncode == 1, out.stderr[-2000:]
        assert "Traceback" not in out.stderr
        [line] = _error_lines(out.stderr)
        assert "the disk is full" in line and str(db_path) in line and "everything stored before is intact" in line
        assert _integrity(db_path) == "ok"
        before = crash.stored(db)
        assert before < site.pages

        subprocess.run(["mount", "-o", "remount,size=32m", str(disk)], check=True)  # space freed
        out = _newsloom(crash, "run", "--once", "--no-default-sources", "--db", db)
        assert out.returncode == 0, out.stderr[-2000:]
        snap = crash.snapshot(db)
        assert snap["articles"] == site.pages and snap["without_story"] == 0  # nothing lost
        # and the store is the one an uninterrupted run makes: articles, stories, lineage (a
        # restart looks again at the stories of the articles past the last settled mark)
        assert snap["checksum"] == reference["checksum"], crash.diff(reference, snap)
        assert _integrity(db_path) == "ok"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _inject_full(monkeypatch: pytest.MonkeyPatch, after: int) -> None:
    """The article insert fails as SQLite fails when the disk is full, after ``after`` articles."""
    from newsloom.store.sqlite import SQLiteStore

    real = SQLiteStore._execute
    seen = {"n": 0}

    def execute(self, sql: str, params=()):  # type: ignore[no-untyped-def]
        if sql.lstrip().upper().startswith("INSERT INTO ARTICLES"):
            seen["n"] += 1
            if seen["n"] > after:
                raise sqlite3.OperationalError("database or disk is full")
        return real(self, sql, params)

    monkeypatch.setattr(SQLiteStore, "_execute", execute)


def test_disk_full_injected_ends_newsloom_run_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from newsloom.cli import main

    crash = _crash()
    site = crash.Site()
    db = f"sqlite:///{tmp_path / 'store.db'}"
    try:
        crash.setup(db, site)
        _inject_full(monkeypatch, after=3)
        monkeypatch.setattr(sys, "argv", ["newsloom", "run", "--no-web", "--no-default-sources", "--db", db])
        for k, v in crash.env().items():
            monkeypatch.setenv(k, v)
        with pytest.raises(SystemExit) as exit_:
            main()
        assert exit_.value.code == 1
        err = capsys.readouterr().err
        assert "Traceback" not in err
        [line] = _error_lines(err)
        assert "the disk is full (database or disk is full)" in line and "tmp" in line
        monkeypatch.undo()
    finally:
        site.close()
    assert crash.stored(db) == 3
    assert _integrity(tmp_path / "store.db") == "ok"


def test_disk_full_injected_stops_a_worker_and_gives_its_job_back(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    from newsloom.config import Settings
    from newsloom.errors import StoreFull
    from newsloom.jobs.queue import PROCESS_PAGE, enqueue
    from newsloom.jobs.worker import Worker

    crash = _crash()
    db = f"sqlite:///{tmp_path / 'store.db'}"
    pages = [p for ps in crash.corpus().values() for p in ps][:3]
    with open_store(db) as store:
        for p in pages:
            enqueue(store, PROCESS_PAGE, {"url": f"https://example.org{p.path}", "html": crash.page_html(p)})
        _inject_full(monkeypatch, after=1)
        w = Worker(store, Settings(db=db, stories=False), schedule=False)
        with pytest.raises(StoreFull, match="the disk is full"):
            w.run(exit_when_idle=True)
        monkeypatch.undo()
        jobs = store.list_jobs()
        assert [j.state for j in jobs] == ["done", "queued", "queued"]
        assert all(j.tries == 0 for j in jobs[1:])  # the disk's fault: no try counted
        assert store.count_articles() == 1


def _hold_lock(path: Path) -> subprocess.Popen[str]:
    """Another process holding the SQLite write lock (an exclusive transaction) until killed."""
    code = ("import sqlite3, sys, time\n"
            f"c = sqlite3.connect({str(path)!r}, isolation_level=None)\n"
            "c.execute('BEGIN EXCLUSIVE'); c.execute('CREATE TABLE IF NOT EXISTS held (x)')\n"
            "print('locked', flush=True); time.sleep(600)\n")
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "locked"
    return proc


def test_a_sqlite_file_locked_by_another_process_is_one_line_after_the_busy_timeout(tmp_path: Path) -> None:
    crash = _crash()
    path = tmp_path / "store.db"
    db = f"sqlite:///{path}?busy_timeout=2"  # the default is 10 s
    page = tmp_path / "page.html"
    p = crash.corpus()["en"][0]
    page.write_text(crash.page_html(p), encoding="utf-8")
    open_store(db).close()
    holder = _hold_lock(path)
    try:
        start = time.monotonic()
        out = _newsloom(crash, "ingest", str(page), "--db", db)
        took = time.monotonic() - start
    finally:
        holder.kill()
        holder.wait()
    assert out.returncode == 1, out.stdout + out.stderr
    assert "Traceback" not in out.stderr
    [line] = _error_lines(out.stderr)
    assert str(path) in line and "locked by another process" in line, out.stderr
    assert took >= 2  # it waited the busy timeout before giving up (and not for ever)
    # the lock gone, the same command stores it
    out = _newsloom(crash, "ingest", str(page), "--db", db)
    assert out.returncode == 0, out.stderr
    assert crash.stored(db) == 1


def test_newsloom_run_waits_out_a_locked_sqlite_file_with_a_line_per_try(tmp_path: Path) -> None:
    """The daemon does not give up: it says what is wrong, backs off, and carries on once the
    other process lets go, storing every page."""
    import signal

    crash = _crash()
    site = crash.Site()
    path = tmp_path / "store.db"
    db = f"sqlite:///{path}?busy_timeout=2"
    log = tmp_path / "run.log"
    try:
        crash.setup(db, site)
        holder = _hold_lock(path)
        proc = subprocess.Popen([sys.executable, "-m", "newsloom", "run", "--no-web", "--no-default-sources",
                                 "--db", db], stdout=log.open("w"), stderr=subprocess.STDOUT, env=crash.env(),
                                cwd=REPO)
        try:
            deadline = time.monotonic() + 90
            while time.monotonic() < deadline and "database unavailable" not in log.read_text():
                time.sleep(0.5)
            text = log.read_text()
            assert "database unavailable" in text and "locked by another process" in text, text[-2000:]
            assert proc.poll() is None, text[-2000:]
            holder.kill()
            holder.wait()
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline and crash.stored(db) < site.pages:
                time.sleep(0.5)
            time.sleep(2)  # the pass's stories
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(60) == 0, log.read_text()[-2000:]
        finally:
            for p in (proc, holder):
                if p.poll() is None:
                    p.kill()
    finally:
        site.close()
    text = log.read_text()
    assert "Traceback" not in text
    assert "database unavailable" in text and "retrying in" in text
    snap = crash.snapshot(db)
    assert snap["articles"] == site.pages and snap["without_story"] == 0
