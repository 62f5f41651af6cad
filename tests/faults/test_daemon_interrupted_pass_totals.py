"""The last line of `newsloom run` counts the pages a pass cut short by Ctrl-C had stored: it said
"stopped on SIGINT after 0 passes: nothing new (0 articles stored ...)" over a store that had
gained an article in that pass."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import Any

from newsloom.app.daemon import Daemon, final_line
from newsloom.config import Settings
from newsloom.pipeline import Pipeline
from newsloom.store import open_store


def test_an_interrupted_pass_still_counts_what_it_stored(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 's.db'}") as store:
        pipeline = Pipeline(store, Settings(db=store.url, stories=False))

        def fetch_once(*_: Any, on_outcome: Any = None, **__: Any) -> None:
            for status in ("new", "new", "duplicate", "error"):
                on_outcome(SimpleNamespace(status=status))
            raise KeyboardInterrupt  # Ctrl-C in the middle of the pass

        def run_forever(**_: Any) -> None:
            pipeline.fetch_once(on_outcome=None)

        pipeline.fetch_once = fetch_once  # type: ignore[method-assign]
        pipeline.run_forever = run_forever  # type: ignore[method-assign]
        daemon = Daemon(pipeline, max_passes=1, idle_sleep_s=0.01)
        totals = daemon.run()
        assert daemon.stopped_by == "SIGINT"
        assert totals.counts == {"new": 2, "duplicate": 1, "error": 1} and totals.articles == 3
        line = final_line(totals, daemon.stopped_by)
        assert "2 new" in line and "(3 articles stored" in line and "nothing new" not in line
