"""A months-long `newsloom run` gives freed heap back to the system after every pass (glibc's
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
