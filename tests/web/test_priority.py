"""The pipeline's CPU work runs below the reader's scheduling priority (newsloom.priority):
its worker processes and, on Linux, its processing thread alone; the setting is validated."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from newsloom.config import Settings
from newsloom.errors import ConfigError
from newsloom.parallel import process_pool
from newsloom.priority import current_nice, lower_this_thread

linux = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="per-thread nice is Linux's")


def _nice() -> int:
    return os.getpriority(os.PRIO_PROCESS, 0)


@linux
def test_lowering_a_thread_leaves_the_other_threads_alone() -> None:
    before = current_nice()
    if before + 3 > 19:  # the suite itself run at nice 17-19: there is no lower priority to go to
        pytest.skip(f"the tests run at nice {before}; lowering a thread by 3 needs nice 16 or less")
    seen: dict[str, int] = {}

    def body() -> None:
        assert lower_this_thread(before + 3)
        seen["lowered"] = current_nice()
        child = threading.Thread(target=lambda: seen.setdefault("child", current_nice()))
        child.start()  # a thread the lowered thread starts (an ONNX / OpenMP pool) inherits it
        child.join()

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == {"lowered": before + 3, "child": before + 3}
    assert current_nice() == before  # this thread (the web server's, in `newsloom run`) is unchanged


def test_a_thread_already_lower_is_not_raised_and_zero_changes_nothing() -> None:
    before = current_nice()
    seen: list[int] = []

    def body() -> None:
        lower_this_thread(before + 4)
        assert lower_this_thread(before + 1)  # asks less than it has: left as it is
        assert lower_this_thread(0)
        seen.append(current_nice())

    t = threading.Thread(target=body)
    t.start()
    t.join()
    assert seen == [min(19, before + 4)] or not sys.platform.startswith("linux")


def test_worker_processes_run_at_the_pipeline_nice() -> None:
    target = min(19, _nice() + 5)
    pool = process_pool(2, nice=target)
    try:
        values = {pool.submit(_nice).result(timeout=60) for _ in range(4)}
    finally:
        pool.shutdown(wait=True)
    assert values == {target}
    unchanged = process_pool(1)  # nice=0: never lowered (workers come from the fork server, which
    try:                           # keeps the priority it started with, even if this process was lowered since)
        assert unchanged.submit(_nice).result(timeout=60) <= _nice()
    finally:
        unchanged.shutdown(wait=True)


def test_pipeline_nice_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert Settings().pipeline_nice == 10
    monkeypatch.setenv("NEWSLOOM_PIPELINE_NICE", "0")
    assert Settings.load().pipeline_nice == 0
    for bad in ("20", "-1"):
        monkeypatch.setenv("NEWSLOOM_PIPELINE_NICE", bad)
        with pytest.raises(ConfigError, match="pipeline_nice"):
            Settings.load()
    monkeypatch.setenv("NEWSLOOM_PIPELINE_NICE", "low")
    with pytest.raises(ConfigError, match="pipeline_nice"):
        Settings.load()


def test_a_process_serving_the_reader_shortens_the_switch_interval(tmp_path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """`newsloom run` serves the reader from a thread beside its processing thread, which holds
    the interpreter lock most of the time: the reader's process hands the lock over every
    reader_switch_interval_ms (1 ms) instead of Python's 5 ms (benchmarks/switch_interval.py:
    search p50 133 -> 5 ms beside a busy thread). Never lengthened; 0 leaves it; validated."""
    from newsloom.priority import reader_switch_interval
    from newsloom.store import open_store
    from newsloom.web.server import start_in_thread

    before = sys.getswitchinterval()
    try:
        sys.setswitchinterval(0.005)
        reader_switch_interval(0)
        assert sys.getswitchinterval() == pytest.approx(0.005)
        reader_switch_interval(20)  # longer than now: left alone
        assert sys.getswitchinterval() == pytest.approx(0.005)
        db = f"sqlite:///{tmp_path / 'r.db'}"
        with open_store(db, create=True):
            pass
        server = start_in_thread(Settings(db=db), port=0, semantic=False)
        server.should_exit = True
        assert sys.getswitchinterval() == pytest.approx(0.001)
    finally:
        sys.setswitchinterval(before)
    monkeypatch.setenv("NEWSLOOM_READER_SWITCH_INTERVAL_MS", "250")
    with pytest.raises(ConfigError, match="reader_switch_interval_ms"):
        Settings.load()
