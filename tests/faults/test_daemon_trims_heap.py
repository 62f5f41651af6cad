"""A months-long `newsloom run` (and `newsloom worker`) gives freed heap back to the system after every pass (glibc's
malloc keeps a fragmented heap's free pages otherwise: RSS rose in a soak while the Python
objects stayed flat)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

import newsloom.app.daemon as daemon_mod
from newsloom.app.daemon import Daemon
from newsloom.config import Settings
from newsloom.memtrim import release_free_heap
from newsloom.pipeline import Pipeline
from newsloom.store import open_store


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="malloc_trim is glibc's")
def test_release_free_heap_calls_glibc() -> None:
    took = release_free_heap()
    assert took is not None and took >= 0


def test_every_pass_trims_the_heap(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(daemon_mod, "release_free_heap", lambda: calls.append(1))
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        pipeline = Pipeline(store, Settings(db=store.url, stories=False))
        totals = Daemon(pipeline, max_passes=3, idle_sleep_s=0.01).run()
    assert totals.passes == 3 and len(calls) == 3


def test_a_worker_trims_the_heap_when_its_queue_runs_dry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import newsloom.jobs.worker as worker_mod
    from newsloom.jobs.worker import Worker

    calls: list[int] = []
    monkeypatch.setattr(worker_mod, "release_free_heap", lambda: calls.append(1))
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        worker = Worker(store, Settings(db=store.url, stories=False), name="w", schedule=False)
        steps = iter([2, 1, 0, 0, 3, 0])
        monkeypatch.setattr(worker, "step", lambda: next(steps))
        stops = iter([False] * 6 + [True])
        worker.run(stop=lambda: next(stops), idle_s=0.0)
    assert len(calls) == 2  # once after each busy stretch, not on every idle step
