"""PostgreSQL restarting under load, simulated by terminating the backends of the processes
under test (pg_terminate_backend, only theirs: they connect under an application_name of their
own; the shared server itself cannot be restarted). Workers and `newsloom run` log one line per
outage, back off, reconnect and carry on; no job is lost or done twice, every article is stored
once and gets one story, and the store ends equal to an uninterrupted run's (articles, stories,
lineage); the serial lock is taken again after a reconnect, never held twice."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from store_backends import PG_URL, drop_schema, pg_schema_url, require_pg

from newsloom.store import open_store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def pg() -> Iterator[str]:
    require_pg()
    schema = f"newsloom_faults_{uuid.uuid4().hex[:12]}"
    try:
        yield pg_schema_url(schema)
    finally:
        drop_schema(schema)


def terminate(app: str) -> int:
    """What a server restart does to its clients: every backend of ``app`` ends."""
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        row = conn.execute("SELECT count(pg_terminate_backend(pid)) AS n FROM pg_stat_activity "
                           "WHERE application_name = %s AND pid <> pg_backend_pid()", [app]).fetchone()
    return int(row[0])


def _state(db: str) -> tuple[int, int, dict]:  # type: ignore[type-arg]
    with open_store(db) as store:
        return store.count_articles(), len(store.articles_without_story(limit=1000)), store.job_counts()


def _wait(cond, timeout: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.3)
    return False


def _start(crash, app: str, *args: str, log: Path) -> subprocess.Popen[bytes]:  # type: ignore[no-untyped-def]
    return subprocess.Popen([sys.executable, "-m", "newsloom", *args], stdout=log.open("ab"),
                            stderr=subprocess.STDOUT, env={**crash.env(), "PGAPPNAME": app}, cwd=REPO)


def _check_store(db: str, n: int, crash, reference: dict) -> None:  # type: ignore[no-untyped-def,type-arg]
    snap = crash.snapshot(db)  # the store read once: (url, hash, copy group) rows, stories, lineage
    urls = [url for url, _hash, _group in snap["detail"]["articles"]]
    assert len(urls) == n and len(set(urls)) == n  # every page stored exactly once
    assert snap["without_story"] == 0  # and given one story
    # and the store is the one an uninterrupted run makes (on SQLite): articles, stories, lineage
    assert snap["checksum"] == reference["checksum"], crash.diff(reference, snap)


def test_two_workers_survive_terminated_connections_and_lose_no_job(pg: str, tmp_path: Path,
        corpus_site) -> None:  # type: ignore[no-untyped-def]
    crash, site, reference = corpus_site
    app = f"nl-faults-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "workers.log"
    crash.setup(pg, site)
    procs = [_start(crash, app, "worker", "--db", pg, "--lease", "3", log=log) for _ in range(2)]
    try:
        assert _wait(lambda: _state(pg)[0] > 0, 120), log.read_text()[-3000:]
        killed = 0
        for _ in range(2):  # two "restarts" while the pages are fetched and stored
            killed += terminate(app)
            time.sleep(1.5)
        # two more once stories are being assigned (the serial lock's holder loses it)
        assert _wait(lambda: (lambda s: s[0] > s[1])(_state(pg)), 180), log.read_text()[-3000:]
        for _ in range(2):
            killed += terminate(app)
            time.sleep(1.0)
        assert killed >= 4
        assert _wait(lambda: (lambda s: s[0] == site.pages and s[1] == 0)(_state(pg)), 180), \
            (_state(pg), log.read_text()[-3000:])
        assert all(p.poll() is None for p in procs), log.read_text()[-3000:]  # still running
        for p in procs:
            p.send_signal(signal.SIGTERM)
        assert [p.wait(60) for p in procs] == [0, 0], log.read_text()[-3000:]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert "database unavailable" in text and "retrying in" in text, text[-3000:]
    _check_store(pg, site.pages, crash, reference)
    counts = _state(pg)[2]
    assert not any(state == "dead" for _, state in counts), counts


def test_newsloom_run_on_postgresql_survives_terminated_connections(pg: str, tmp_path: Path,
        corpus_site) -> None:  # type: ignore[no-untyped-def]
    crash, site, reference = corpus_site
    app = f"nl-faults-{uuid.uuid4().hex[:8]}"
    log = tmp_path / "run.log"
    crash.setup(pg, site)
    proc = _start(crash, app, "run", "--no-web", "--no-default-sources", "--db", pg, log=log)
    try:
        assert _wait(lambda: _state(pg)[0] > 0, 120), log.read_text()[-3000:]
        for _ in range(3):
            terminate(app)
            time.sleep(1.0)
        assert _wait(lambda: (lambda s: s[0] == site.pages and s[1] == 0)(_state(pg)), 180), \
            (_state(pg), log.read_text()[-3000:])
        assert proc.poll() is None, log.read_text()[-3000:]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(60) == 0, log.read_text()[-3000:]
    finally:
        if proc.poll() is None:
            proc.kill()
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert "database unavailable" in text, text[-3000:]
    _check_store(pg, site.pages, crash, reference)


def test_the_serial_lock_is_taken_again_after_a_reconnect_never_held_twice(pg: str) -> None:
    from newsloom.config import Settings
    from newsloom.jobs.worker import Worker

    settings = Settings(db=pg, stories=False)
    with open_store(pg) as a_store, open_store(pg) as b_store:
        a = Worker(a_store, settings, name="a", schedule=False)
        b = Worker(b_store, settings, name="b", schedule=False)
        a.outage_backoff_s = b.outage_backoff_s = (0.05, 0.1)
        a.step()
        assert a._story_pipeline is not None  # a holds the lock
        b.step()
        assert b._story_pipeline is None
        pid = a_store._one("SELECT pg_backend_pid() AS pid")["pid"]  # type: ignore[attr-defined]
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", [pid])
        time.sleep(0.5)
        b.step()  # a's session ended with its lock: b takes it
        assert b._story_pipeline is not None
        # a: one failed step (the outage), a reconnect; its lock went with the old connection
        # and b holds it now, so a must stop assigning stories
        a.run(exit_when_idle=True)
        assert a_store.connects == 2  # type: ignore[attr-defined]
        assert a._story_pipeline is None
