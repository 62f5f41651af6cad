"""A wall-clock jump under `newsloom run` (injectable clock): the daemon compares the wall
clock's progress with elapsed time (CLOCK_BOOTTIME: never jumps, counts a suspend) at every
pass and moves every feed's next due time by the jump, so after a jump forward the feeds do not
all fall due at once, and after a jump back none waits the jump out. Its sleeps are monotonic."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from newsloom.app.daemon import Daemon
from newsloom.config import Settings
from newsloom.models import Feed, Source, utcnow
from newsloom.pipeline import Pipeline
from newsloom.store import open_store

OFFSETS = (10, 20, 30)  # minutes until each feed is due


class FakeClock:
    def __init__(self, wall: datetime) -> None:
        self.wall, self.elapsed = wall, 1000.0
        self.calls = 0

    def __call__(self) -> tuple[datetime, float]:
        self.calls += 1
        return self.wall, self.elapsed

    def advance(self, seconds: float, wall_jump_s: float = 0.0) -> None:
        self.elapsed += seconds
        self.wall += timedelta(seconds=seconds + wall_jump_s)


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    with open_store(f"sqlite:///{tmp_path / 'clock.db'}") as s:
        src = s.add_source(Source(name="Example", url="https://example.org/"))
        now = utcnow()
        for i, minutes in enumerate(OFFSETS):
            s.add_feed(Feed(url=f"https://example.org/feed{i}.xml", source_id=src.id,
                            next_due=now + timedelta(minutes=minutes)))
        yield s


def _minutes_until_due(store, now: datetime) -> list[float]:  # type: ignore[no-untyped-def]
    return sorted(round((f.next_due - now).total_seconds() / 60, 1) for f in store.list_feeds())


@pytest.mark.parametrize("jump_h", [-2, 3])
def test_a_clock_jump_moves_every_feed_with_it(store, jump_h: int) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(utcnow())
    daemon = Daemon(Pipeline(store, Settings(db=store.url)), clock=clock)
    assert daemon.check_clock() == 0.0  # the first pass only takes the reference
    clock.advance(60, wall_jump_s=jump_h * 3600)  # a minute passed; the wall clock says otherwise
    assert daemon.check_clock() == pytest.approx(jump_h * 3600)
    # due as they were, a minute closer: neither all due now (jump forward) nor hours away (back)
    assert _minutes_until_due(store, clock.wall) == [m - 1 for m in OFFSETS]
    assert not store.due_feeds(clock.wall)


def test_without_the_correction_a_jump_would_fire_everything_or_stall(store) -> None:  # type: ignore[no-untyped-def]
    """What the correction prevents, on the same store: a jump forward makes every feed due at
    once; a jump back pushes the next poll hours away."""
    now = utcnow()
    assert len(store.due_feeds(now + timedelta(hours=3))) == len(OFFSETS)
    assert min(_minutes_until_due(store, now - timedelta(hours=2))) > 120


def test_drift_below_a_minute_is_not_a_jump(store) -> None:  # type: ignore[no-untyped-def]
    clock = FakeClock(utcnow())
    daemon = Daemon(Pipeline(store, Settings(db=store.url)), clock=clock)
    daemon.check_clock()
    before = sorted(f.next_due for f in store.list_feeds())
    clock.advance(600, wall_jump_s=30)  # NTP slewing, a slow RTC: not a jump
    assert daemon.check_clock() == 0.0
    assert sorted(f.next_due for f in store.list_feeds()) == before


def test_the_daemon_checks_the_clock_at_every_pass(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'empty.db'}") as store:
        clock = FakeClock(utcnow())
        daemon = Daemon(Pipeline(store, Settings(db=store.url, stories=False)), clock=clock, max_passes=3,
                        idle_sleep_s=0.01)
        totals = daemon.run()
        assert totals.passes == 3 and clock.calls == 3
