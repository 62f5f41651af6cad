"""`newsloom status` reads heartbeats and counts from the store, on SQLite and PostgreSQL alike:
a running process shows up with what it reported, a process that stopped beating (killed -9) is
*silent* after three intervals and forgotten after a day, a clean stop removes its entry, and a
failing beat never raises into the work it describes."""

from __future__ import annotations

import json
from datetime import timedelta

from store_backends import Backend

from newsloom.app import status
from newsloom.models import Article, Feed, utcnow


def test_state_prefix_listing_escapes_like_wildcards(store) -> None:
    store.set_state("process:a:1", "{}")
    store.set_state("processXa:2", "{}")  # '_' or '%' in a prefix must not act as a wildcard
    store.set_state("proc_ss:a:3", "{}")
    assert list(store.states("process:")) == ["process:a:1"]
    assert list(store.states("proc_ss")) == ["proc_ss:a:3"]
    store.delete_state("process:a:1")
    assert store.states("process:") == {}


def test_heartbeat_is_seen_then_silent_then_forgotten(backend: Backend) -> None:
    reader = backend.open()
    beat = status.Heartbeat(backend.url, "run", lambda _s: {"state": "pass 1", "feeds_in_flight": 3,
                                                             "articles": 12}, interval_s=60)
    beat.beat()
    [p] = status.processes(reader)
    assert (p.role, p.silent, p.fields["feeds_in_flight"], p.fields["articles"]) == ("run", False, 3, 12)
    later = utcnow() + timedelta(minutes=4)  # three 60 s intervals without a beat
    assert status.processes(reader, later)[0].silent
    assert status.processes(reader, utcnow() + timedelta(days=1, minutes=1)) == []
    assert reader.states(status.PREFIX) == {}  # a day-old heartbeat is deleted
    beat.beat()
    beat.stop()  # a clean stop removes the entry: nothing is shown as silent
    assert status.processes(reader) == []


def test_failing_fields_or_store_do_not_raise(backend: Backend, tmp_path) -> None:
    reader = backend.open()
    def broken(_store):
        raise RuntimeError("boom")

    beat = status.Heartbeat(backend.url, "worker", broken)
    beat.beat()  # the fields failed: the beat says so instead of raising
    [p] = status.processes(reader)
    assert "status unavailable" in p.fields["state"]
    beat.stop()
    gone = status.Heartbeat(f"sqlite:///{tmp_path / 'missing' / 'no.db'}", "run", lambda _s: {})
    gone.beat()  # no such store: logged, not raised
    gone.stop()


def test_snapshot_counts_feeds_articles_lag_and_jobs(store) -> None:
    now = utcnow()
    store.add_feed(Feed(url="https://a.example/feed", next_due=now - timedelta(minutes=1)))
    store.add_feed(Feed(url="https://b.example/feed", next_due=now + timedelta(hours=1), error_count=2))
    store.add_feed(Feed(url="https://c.example/feed", active=False))
    for i in range(3):
        store.add_article(Article(url=f"https://a.example/{i}", title=f"Title {i}", text="Body text " * 30,
                                  lang="en", fetched_at=now))
    store.enqueue_job("process-page", json.dumps({"url": "u"}), None, 5)
    snap = status.snapshot(store)
    assert (snap.feeds_active, snap.feeds_due_now, snap.feeds_backing_off, snap.feeds_switched_off) == (2, 1, 1, 1)
    assert (snap.articles, snap.without_story) == (3, 3)
    assert snap.jobs.get("queued") == 1 and snap.oldest_queued_s is not None
    later = status.snapshot(store, snap.at + timedelta(seconds=10))
    later.articles += 20
    assert status.rate(snap, later).articles_per_s == 2.0
    assert json.loads(json.dumps(later.to_json()))["articles"] == 23


def test_snapshot_shows_how_far_the_recrawl_is_behind(store) -> None:
    """With the settings, `newsloom status` (and /metrics) count the articles due for a recrawl
    and how late the most overdue is; a schedule switched off shows none."""
    from newsloom.cli.status import render
    from newsloom.config import Settings
    from newsloom.models import Source

    now = utcnow()
    src = store.add_source(Source(name="S", url="https://s.example/"))
    feed = store.add_feed(Feed(url="https://s.example/feed.xml", source_id=src.id))
    for i, age in enumerate((timedelta(hours=4), timedelta(hours=2), timedelta(minutes=10))):
        store.add_article(Article(url=f"https://s.example/{i}", title="t", text="t", feed_id=feed.id,
                                  source_id=src.id, fetched_at=now - age))
    snap = status.snapshot(store, now, settings=Settings())
    assert snap.recrawl_due == 2 and abs(snap.recrawl_late_s - 3 * 3600) < 2  # fetched 4 h ago, due after 1 h
    assert "recrawl: 2 due, oldest 3h late" in "".join(str(r) for r in render(snap).renderables)
    off = status.snapshot(store, now, settings=Settings(recrawl_steps=""))
    assert (off.recrawl_due, off.recrawl_late_s) == (0, None)
    assert status.snapshot(store, now).recrawl_due == 0  # no settings: not counted
    from newsloom.web.metrics import exposition

    text = exposition(store, Settings()).decode()
    assert "newsloom_recrawl_due 2.0" in text and "newsloom_recrawl_lag_seconds 108" in text


def test_snapshot_says_what_the_store_takes_on_disk(store) -> None:
    """A small machine's operator sees the store's size grow (and housekeeping hold it), and on
    SQLite the space left on its disk."""
    empty = status.snapshot(store)
    for i in range(200):
        store.add_article(Article(url=f"https://a.example/{i}", title=f"Title {i}", text=f"Body {i} " * 400,
                                  lang="en"))
    full = status.snapshot(store)
    assert empty.store_bytes is not None and full.store_bytes - empty.store_bytes > 200 * 1000  # type: ignore[operator]
    assert (full.disk_free_bytes is not None) == (store.__class__.__name__ == "SQLiteStore")
    from rich.console import Console

    from newsloom.cli.status import render

    console = Console(record=True, width=200)
    console.print(render(full))
    shown = console.export_text()
    assert "\nstore: " in shown and " on disk" in shown
