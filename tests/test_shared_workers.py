"""A pass of `newsloom run` and the recrawl after it share one set of worker processes
(``Pipeline.sharing_workers``): started when first needed, stopped after the pass's ``on_pass``;
outside ``run_forever`` a recrawl starts and stops its own."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from newsloom.config import Settings
from newsloom.pipeline import Pipeline
from newsloom.store import open_store


class FakePool:
    def __init__(self, log: list[str]) -> None:
        self.log = log
        log.append("start")

    def shutdown(self, **_: Any) -> None:
        self.log.append("stop")


def _pipeline(tmp_path: Path, log: list[str]) -> tuple[Any, Pipeline]:
    store = open_store(f"sqlite:///{tmp_path / 's.db'}")
    pipeline = Pipeline(store, Settings(db=store.url, stories=False))
    pipeline._analysers = lambda pages: FakePool(log) if pages else None  # type: ignore[method-assign]
    return store, pipeline


def test_a_pass_and_its_recrawl_start_one_set_of_workers(tmp_path: Path) -> None:
    log: list[str] = []
    store, pipeline = _pipeline(tmp_path, log)
    seen: list[object] = []

    def fetch_once(*_: Any, **__: Any) -> tuple[None, None]:
        seen.append(pipeline._workers_for(3))  # what a pass with 3 due feeds takes
        log.append("pass")
        return None, None

    def on_pass(*_: Any) -> None:
        with pipeline.analysing_elsewhere(5):  # the recrawl of 5 pages
            seen.append(pipeline._elsewhere)
            log.append("recrawl")

    pipeline.fetch_once = fetch_once  # type: ignore[method-assign]
    pipeline.run_forever(on_pass=on_pass, max_passes=2, idle_sleep_s=0.01)
    store.close()
    assert log == ["start", "pass", "recrawl", "stop"] * 2  # one set a pass, stopped after the recrawl
    assert seen[0] is seen[1] and seen[2] is seen[3] and seen[0] is not seen[2]
    assert pipeline._elsewhere is None


def test_a_recrawl_after_a_pass_without_pages_starts_workers_once(tmp_path: Path) -> None:
    log: list[str] = []
    store, pipeline = _pipeline(tmp_path, log)
    pipeline.fetch_once = lambda *a, **k: (pipeline._workers_for(0), None)  # type: ignore[method-assign]

    def on_pass(*_: Any) -> None:
        with pipeline.analysing_elsewhere(5):
            assert pipeline._elsewhere is not None
            with pipeline.analysing_elsewhere(2):  # nested: the same workers
                log.append("inner")

    pipeline.run_forever(on_pass=on_pass, max_passes=1, idle_sleep_s=0.01)
    # outside run_forever: workers of its own, stopped at the end of the block; none for no pages
    with pipeline.analysing_elsewhere(4):
        assert pipeline._elsewhere is not None
    with pipeline.analysing_elsewhere(0):
        assert pipeline._elsewhere is None
    store.close()
    assert log == ["start", "inner", "stop", "start", "stop"]


def test_recrawl_analyses_a_bounded_window_ahead_in_order(tmp_path: Path, monkeypatch: Any) -> None:
    """With workers, the recrawl submits the pages' analyses ahead of the one it commits, at most
    ``AHEAD`` more than the one in hand, and hands them back in the order the articles are due."""
    from concurrent.futures import Future

    from newsloom.app import recrawl as rc

    class Pool:
        def __init__(self) -> None:
            self.submitted: list[str] = []

        def submit(self, fn: Any, raw: Any, settings: Any) -> Future:
            self.submitted.append(raw.url)
            f: Future = Future()
            f.set_result(raw.url)
            return f

    pool = Pool()
    pipeline = type("P", (), {"_elsewhere": pool, "settings": None})()
    monkeypatch.setattr(rc, "_page_again", lambda store, aid, result: (aid, type("R", (), {"url": f"u{aid}"})()))
    monkeypatch.setattr(rc, "AHEAD", 3)
    due = [(i, f"u{i}", None, 0) for i in range(10)]
    answers: dict[str, Any] = {f"u{i}": object() for i in range(10)}
    answers["u4"] = OSError("refused")  # a page not had: nothing to analyse
    out = []
    for item, ahead in rc._analysed_ahead(None, pipeline, due, answers):  # type: ignore[arg-type]
        out.append((item[0], None if ahead is None else ahead[2].result()))
        assert len(pool.submitted) - len([x for x in out if x[1]]) <= 3  # never more than AHEAD in flight
    assert [i for i, _ in out] == list(range(10))
    assert [r for _, r in out] == [f"u{i}" if i != 4 else None for i in range(10)]
