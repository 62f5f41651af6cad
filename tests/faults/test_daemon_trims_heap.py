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


_COUNT_ARENAS = r"""
import ctypes, sys, threading
from newsloom.memtrim import limit_arenas
applied = limit_arenas(2) if sys.argv[1] == "capped" else None
barrier = threading.Barrier(7)
held = []
def work():
    held.append(bytearray(4000))  # through malloc (Python's own allocator keeps only small objects)
    barrier.wait()
    barrier.wait()
threads = [threading.Thread(target=work) for _ in range(6)]
for t in threads:
    t.start()
barrier.wait()
ctypes.CDLL("libc.so.6").malloc_stats()  # one "Arena N:" block per arena, on stderr
barrier.wait()
for t in threads:
    t.join()
print(applied)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallopt is glibc's")
@pytest.mark.parametrize("mode", ["capped", "free"])
def test_limit_arenas_caps_the_arenas_threads_get(mode: str) -> None:
    import os
    import subprocess

    env = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    done = subprocess.run([sys.executable, "-c", _COUNT_ARENAS, mode], capture_output=True, text=True,
                          env=env, timeout=60, check=True)
    arenas = sum(1 for line in done.stderr.splitlines() if line.startswith("Arena "))
    if mode == "capped":
        assert done.stdout.strip() == "2" and 1 <= arenas <= 2
    else:  # the control: without the cap six threads that allocate at once get arenas of their own
        assert arenas > 2


def test_the_operators_malloc_arena_max_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsloom.memtrim import limit_arenas

    monkeypatch.setenv("MALLOC_ARENA_MAX", "4")
    assert limit_arenas() is None


def test_run_and_worker_cap_the_arenas_before_they_start(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    import newsloom.memtrim as memtrim
    from newsloom.cli.main import cli

    calls: list[int] = []
    monkeypatch.setattr(memtrim, "limit_arenas", lambda n=2: calls.append(n))
    db = f"sqlite:///{tmp_path / 's.db'}"
    CliRunner().invoke(cli, ["--db", db, "run", "--once", "--no-web", "--no-default-sources"])
    CliRunner().invoke(cli, ["--db", db, "worker", "--exit-when-idle", "--no-schedule"])
    import newsloom.web.server as server

    monkeypatch.setattr(server, "serve", lambda *a, **k: None)  # the reader's replicas run for months too
    CliRunner().invoke(cli, ["--db", db, "serve"])
    assert calls == [2, 2, 2]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="mallinfo2 and /proc are glibc's and Linux's")
def test_memory_breakdown_tells_live_heap_from_resident_memory() -> None:
    from newsloom.memtrim import memory_breakdown

    before = memory_breakdown()
    assert {"rss_anon", "rss_file", "malloc_in_use", "malloc_mmapped", "malloc_free", "python_blocks"} <= set(before)
    buf = bytearray(b"x" * (64 << 20))  # written, so resident as well as allocated
    during = memory_breakdown()
    assert during["malloc_in_use"] - before["malloc_in_use"] >= 60 << 20
    assert during["malloc_mmapped"] - before["malloc_mmapped"] >= 60 << 20  # one block that size: mmap
    assert during["rss_anon"] - before["rss_anon"] >= 60 << 20
    del buf
    assert before["malloc_in_use"] + (8 << 20) > memory_breakdown()["malloc_in_use"]


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="open_memstream is glibc's")
def test_memory_breakdown_tells_fragmented_small_objects_from_live_ones() -> None:
    """CPython's arenas lie outside glibc's heap: a rise there is told apart from a leak of objects."""
    from newsloom.memtrim import memory_breakdown

    before = memory_breakdown()
    assert {"python_arenas", "python_in_use", "python_free"} <= set(before)
    many = [f"{i:08d}" * 3 for i in range(500_000)]  # ~40 MB of small strings, pymalloc's
    during = memory_breakdown()
    assert during["python_arenas"] - before["python_arenas"] >= 30 << 20
    assert during["python_in_use"] - before["python_in_use"] >= 30 << 20
    few = many[::100]  # one string in a hundred kept: every arena keeps a live object
    del many
    after = memory_breakdown()
    assert after["python_in_use"] - before["python_in_use"] < 5 << 20  # the objects are gone...
    assert after["python_arenas"] - before["python_arenas"] >= 30 << 20  # ...their arenas are not
    assert after["python_free"] - before["python_free"] >= 25 << 20  # held free inside them
    assert len(few) == 5_000


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="read from the libsqlite3 the module links")
def test_memory_breakdown_counts_sqlite_page_caches() -> None:
    import sqlite3

    from newsloom.memtrim import memory_breakdown

    before = memory_breakdown()["sqlite"]
    conn = sqlite3.connect(":memory:")
    conn.execute("PRAGMA cache_size = -8192")  # KiB
    conn.execute("CREATE TABLE t (x)")
    conn.executemany("INSERT INTO t VALUES (?)", [("x" * 400,)] * 10_000)  # ~4 MB of pages in the cache
    assert memory_breakdown()["sqlite"] - before >= 3 << 20
    conn.close()
    assert memory_breakdown()["sqlite"] - before < 1 << 20


def test_metrics_show_the_serving_process_memory(tmp_path: Path) -> None:
    from newsloom.web.metrics import exposition

    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        text = exposition(store).decode()
    assert "newsloom_python_allocated_blocks" in text
    if sys.platform.startswith("linux"):
        for kind in ("rss_anon", "rss_file", "malloc_in_use", "malloc_mmapped", "malloc_free"):
            assert f'newsloom_process_memory_bytes{{kind="{kind}"}}' in text, kind
    assert 'newsloom_process_memory_bytes{kind="sqlite"}' in text or not sys.platform.startswith("linux")


def test_metrics_show_how_full_each_bounded_cache_is(tmp_path: Path) -> None:
    """A daemon's memory rises while its bounded caches fill: /metrics says which are filling."""
    from newsloom.analyse.translit import to_latin
    from newsloom.memtrim import cache_fill
    from newsloom.web.metrics import exposition

    before = cache_fill()["newsloom.analyse.translit._latin_run"]
    to_latin("Зеленский Жмеринка Чернигов")
    size, cap = cache_fill()["newsloom.analyse.translit._latin_run"]
    assert cap == before[1] >= 1024 and size > before[0]
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        text = exposition(store).decode()
    assert f'newsloom_cache_entries{{cache="newsloom.analyse.translit._latin_run"}} {float(size)}' in text
    assert 'newsloom_cache_capacity{cache="newsloom.analyse.translit._latin_run"} 131072.0' in text
    assert all(not name.startswith("functools") for name in cache_fill())
