"""Adaptive poll interval and error back-off: pure functions, exact numbers."""

from __future__ import annotations

import dataclasses

from datetime import UTC, datetime, timedelta

import pytest

from newsloom.config import Settings
from newsloom.errors import FeedParseError, HostUnreachable, HTTPStatusError, RetryLater
from newsloom.fetch import schedule
from newsloom.models import Feed

NOW = datetime(2024, 1, 1, tzinfo=UTC)
S = Settings(db="sqlite:///:memory:", min_feed_interval_s=300, max_feed_interval_s=21600,
             max_backoff_s=86400, default_feed_interval_s=900, poll_jitter=0.0)


def test_no_new_items_lengthens_interval() -> None:
    f = schedule.on_success(Feed(url="u", interval_s=900), S, new_items=0, now=NOW)
    assert f.interval_s == 1350 and f.next_due == NOW + timedelta(seconds=1350)
    assert f.last_status == "ok" and f.last_fetched == NOW and f.last_new_items == 0


def test_one_new_item_keeps_interval_many_shorten_it() -> None:
    assert schedule.on_success(Feed(url="u", interval_s=900), S, new_items=1, now=NOW).interval_s == 900
    assert schedule.on_success(Feed(url="u", interval_s=900), S, new_items=2, now=NOW).interval_s == 450
    # at most 4x shorter in one step, however many items arrived
    assert schedule.on_success(Feed(url="u", interval_s=3600), S, new_items=50, now=NOW).interval_s == 900


def test_interval_is_bounded() -> None:
    assert schedule.on_success(Feed(url="u", interval_s=400), S, new_items=10, now=NOW).interval_s == 300
    assert schedule.on_success(Feed(url="u", interval_s=20000), S, new_items=0, now=NOW).interval_s == 21600


def test_not_modified_counts_as_no_news() -> None:
    f = schedule.on_success(Feed(url="u", interval_s=900), S, new_items=7, not_modified=True, now=NOW)
    assert f.interval_s == 1350 and f.last_status == "not_modified" and f.last_new_items == 0


def test_success_clears_errors_and_is_pure() -> None:
    feed = Feed(url="u", interval_s=900, error_count=3, last_status="http_error", last_error="boom")
    f = schedule.on_success(feed, S, new_items=1, now=NOW)
    assert (f.error_count, f.last_status, f.last_error) == (0, "ok", None)
    assert feed.error_count == 3 and feed.last_error == "boom"  # input untouched


def test_exponential_backoff_capped() -> None:
    feed = Feed(url="http://h/feed", interval_s=900)
    delays = []
    for _ in range(10):
        feed = schedule.on_error(feed, S, HostUnreachable(feed.url, "cannot connect"), now=NOW)
        delays.append((feed.next_due - NOW).total_seconds())
    assert delays[:5] == [900, 1800, 3600, 7200, 14400]
    assert delays[-1] == 86400 and feed.error_count == 10
    assert feed.interval_s == 900  # the normal rhythm is kept for when it recovers
    assert feed.last_status == "unreachable" and "cannot connect" in (feed.last_error or "")


def test_backoff_honours_retry_after() -> None:
    err = HTTPStatusError("http://h/feed", 503, "Service Unavailable", retry_after=7200)
    f = schedule.on_error(Feed(url="http://h/feed", interval_s=900), S, err, now=NOW)
    assert f.next_due == NOW + timedelta(seconds=7200) and f.last_status == "http_error"
    assert "HTTP 503" in (f.last_error or "") and f.error_count == 1
    # a Retry-After shorter than the back-off does not shorten it; an absurd one is capped
    short = HTTPStatusError("u", 503, retry_after=10)
    assert schedule.backoff_s(900, 2, S, short.retry_after) == 1800
    assert schedule.backoff_s(900, 1, S, 10 * 86400) == 86400


def test_parse_error_status() -> None:
    f = schedule.on_error(Feed(url="u"), S, FeedParseError("u", "malformed XML"), now=NOW)
    assert f.last_status == "parse_error" and f.error_count == 1


def test_429_defers_without_counting_an_error() -> None:
    err = HTTPStatusError("http://h/feed", 429, "Too Many Requests", retry_after=7200)
    f = schedule.on_error(Feed(url="http://h/feed", interval_s=900, error_count=1), S, err, now=NOW)
    assert f.next_due == NOW + timedelta(seconds=7200) and f.error_count == 1
    assert f.last_status == "retry_later" and "HTTP 429" in (f.last_error or "")
    plain = schedule.on_error(Feed(url="u", interval_s=900), S, HTTPStatusError("u", 429), now=NOW)
    assert plain.next_due == NOW + timedelta(seconds=900) and plain.error_count == 0


def test_retry_later_defers_without_counting_an_error() -> None:
    feed = Feed(url="u", interval_s=900, error_count=2)
    f = schedule.on_error(feed, S, RetryLater("u", "host busy", retry_after=120), now=NOW)
    assert f.error_count == 2 and f.next_due == NOW + timedelta(seconds=120)
    assert f.last_status == "retry_later"


@pytest.mark.parametrize("next_due, active, due", [
    (None, True, True), (NOW - timedelta(seconds=1), True, True),
    (NOW + timedelta(seconds=1), True, False), (None, False, False),
])
def test_is_due(next_due: datetime | None, active: bool, due: bool) -> None:
    assert schedule.is_due(Feed(url="u", next_due=next_due, active=active), NOW) is due


def test_jitter_only_ever_later_bounded_and_deterministic() -> None:
    s = Settings(db="sqlite:///:memory:", poll_jitter=0.1)
    delays = set()
    for i in range(200):
        feed = Feed(url=f"https://site{i}.example/feed", interval_s=900)
        f = schedule.on_success(feed, s, new_items=1, now=NOW)
        d = (f.next_due - NOW).total_seconds()
        assert 900 <= d <= 990
        assert schedule.on_success(feed, s, new_items=1, now=NOW).next_due == f.next_due  # same input
        delays.add(round(d))
    assert len(delays) > 50  # feeds imported together spread out
    # a Retry-After is never shortened by the jitter
    err = HTTPStatusError("https://h.example/feed", 429, retry_after=7200)
    f = schedule.on_error(Feed(url="https://h.example/feed", interval_s=900), s, err, now=NOW)
    assert timedelta(seconds=7200) <= f.next_due - NOW <= timedelta(seconds=7920)


def test_feed_gone_410_is_switched_off_after_three_polls_in_a_row() -> None:
    feed = Feed(url="https://h.example/feed", interval_s=900, id=7)
    gone = HTTPStatusError(feed.url, 410, "Gone")
    for i in range(2):
        feed = schedule.on_error(feed, S, gone, now=NOW)
        assert feed.active and feed.gone_count == i + 1 and feed.last_status == "http_error"
    feed = schedule.on_error(feed, S, gone, now=NOW)
    assert not feed.active and feed.last_status == "disabled" and feed.gone_count == 3
    assert "switched off after 3 polls in a row answered HTTP 410" in (feed.last_error or "")
    assert "newsloom sources enable 7" in (feed.last_error or "")
    assert not schedule.is_due(feed, NOW + timedelta(days=365))


def test_404_gets_more_chances_and_other_answers_break_the_run() -> None:
    feed = Feed(url="https://h.example/feed", interval_s=900)
    missing = HTTPStatusError(feed.url, 404, "Not Found")
    for _ in range(9):
        feed = schedule.on_error(feed, S, missing, now=NOW)
    assert feed.active and feed.gone_count == 9
    # the host was down once: the 404 run starts again
    feed = schedule.on_error(feed, S, HostUnreachable(feed.url, "cannot connect"), now=NOW)
    assert feed.gone_count == 0 and feed.active
    for _ in range(9):
        feed = schedule.on_error(feed, S, missing, now=NOW)
    assert feed.active
    # ...and a good answer resets it too
    feed = schedule.on_success(feed, S, new_items=1, now=NOW)
    assert feed.gone_count == 0 and feed.error_count == 0
    for _ in range(10):
        feed = schedule.on_error(feed, S, missing, now=NOW)
    assert not feed.active and feed.last_status == "disabled"
    # 5xx never switches a feed off, however long it lasts
    feed = Feed(url="https://h.example/feed", interval_s=900)
    for _ in range(50):
        feed = schedule.on_error(feed, S, HTTPStatusError(feed.url, 500), now=NOW)
    assert feed.active and feed.gone_count == 0


@pytest.mark.parametrize("asked, came_due, sleeps", [(True, True, []), (False, True, [1.0, 1.0]),
                                                     (True, False, [1.0, 1.0])])
def test_feeds_that_came_due_start_the_next_pass_at_once_unless_none_could_be_asked(
        tmp_path: object, asked: bool, came_due: bool, sleeps: list[float]) -> None:
    """`run`'s loop: feeds that came due during a pass that asked feeds are fetched by the next
    pass at once (a busy installation lost a second in every ~8 to a pause between passes); a
    pass that could ask none (every due host deferred), or a feed due since before the pass (one
    whose schedule could not be saved), waits a second: never a busy loop."""
    from newsloom.fetch.crawler import CrawlSummary
    from newsloom.models import utcnow
    from newsloom.pipeline import Pipeline, RunSummary
    from newsloom.store import open_store

    with open_store(f"sqlite:///{tmp_path}/s.db", create=True) as store:  # type: ignore[str-bytes-safe]
        feed = store.add_feed(Feed(url="https://example.org/feed", next_due=utcnow() - timedelta(hours=1)))
        pipeline = Pipeline(store, Settings(db="sqlite://", stories=False))
        passes: list[int] = []

        def one_pass(*_: object, **__: object) -> tuple[RunSummary, CrawlSummary]:
            passes.append(1)
            if came_due:  # due again by the pass's end: as feeds that come due during a pass are
                store.update_feed(dataclasses.replace(feed, next_due=utcnow()))
            return RunSummary(), CrawlSummary(feeds_ok=1) if asked else CrawlSummary(feeds_deferred=1)

        pipeline.fetch_once = one_pass  # type: ignore[method-assign]
        slept: list[float] = []
        pipeline.run_forever(max_passes=3, on_sleep=slept.append, stop=lambda: len(slept) >= 2)
        assert len(passes) == (2 if sleeps else 3) and slept == sleeps
