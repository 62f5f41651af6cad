"""kill -9 of `newsloom run` (SQLite) and of one of two `newsloom worker`s (PostgreSQL) at seeded
random moments, then a restart to the end: the store equals an uninterrupted run's (counts and a
checksum over articles, stories as sets of urls, and lineage). Feeds and pages come from
127.0.0.1. Four kills per mode here; ``benchmarks/crash.py`` runs twenty."""

from __future__ import annotations

from pathlib import Path

from store_backends import require_pg

import crash_script  # noqa: E402

_crash = crash_script.load


def _check(result, crash) -> None:  # type: ignore[no-untyped-def]
    assert result.kills >= 3, f"only {result.kills} of {result.attempts} processes were alive when killed"
    assert result.reference["articles"] == 65 and result.reference["without_story"] == 0
    assert result.resumed["without_story"] == 0
    assert result.equal, crash.diff(result.reference, result.resumed)
    assert not result.notes, result.notes


def test_kill_9_of_newsloom_run_then_restart_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    crash = _crash()
    _check(crash.run_mode(tmp_path, kills=4, seed=12, log=lambda _m: None), crash)


def test_kill_9_of_a_worker_then_restart_equals_an_uninterrupted_run(tmp_path: Path) -> None:
    require_pg()
    crash = _crash()
    _check(crash.workers_mode(tmp_path, kills=4, seed=12, log=lambda _m: None), crash)
