"""The recrawl schedule's queries on both backends (migration 0008): which crawled articles are
due for their first and later recrawl, and recording a step."""

from __future__ import annotations

from datetime import timedelta

from newsloom.models import Article, Feed, Source, utcnow
from newsloom.store.base import Store


def test_due_and_set_recrawl(store: Store) -> None:
    src = store.add_source(Source(name="S", url="https://s.example/"))
    feed = store.add_feed(Feed(url="https://s.example/feed.xml", source_id=src.id))
    now = utcnow()

    def add(url: str, age: timedelta, feed_id: int | None = feed.id) -> int:
        return int(store.add_article(Article(url=url, title=url, text="t", feed_id=feed_id, source_id=src.id,
                                             fetched_at=now - age)).id)  # type: ignore[arg-type]

    old = add("https://s.example/old", timedelta(hours=2))
    fresh = add("https://s.example/fresh", timedelta(minutes=5))
    ancient = add("https://s.example/ancient", timedelta(days=30))
    add("https://s.example/file", timedelta(hours=2), feed_id=None)  # ingested from a file: never
    due = store.recrawl_due(now, now - timedelta(hours=1), now - timedelta(days=8))  # type: ignore[attr-defined]
    assert [d[0] for d in due] == [old] and due[0][1] == "https://s.example/old" and due[0][3] == 0
    assert abs((due[0][2] - (now - timedelta(hours=2))).total_seconds()) < 1
    store.set_recrawl(old, 1, now + timedelta(hours=22))  # type: ignore[attr-defined]
    assert store.recrawl_state(old)[0] == 1  # type: ignore[attr-defined]
    assert store.recrawl_due(now, now - timedelta(hours=1), now - timedelta(days=8)) == []  # type: ignore[attr-defined]
    later = now + timedelta(days=1)
    due = store.recrawl_due(later, later - timedelta(hours=1), later - timedelta(days=8))  # type: ignore[attr-defined]
    assert sorted(d[0] for d in due) == sorted([old, fresh])
    store.set_recrawl(old, 3, None)  # type: ignore[attr-defined]
    assert store.recrawl_state(old) == (3, None)  # type: ignore[attr-defined]
    far = now + timedelta(days=30)
    assert old not in [d[0] for d in store.recrawl_due(far, far, far - timedelta(days=60))]  # type: ignore[attr-defined]
    assert ancient in [d[0] for d in store.recrawl_due(far, far, far - timedelta(days=60))]  # type: ignore[attr-defined]
    # an update of the article leaves its schedule alone
    a = store.get_article(old)
    a.title = "new"
    store.update_article(a)
    assert store.recrawl_state(old) == (3, None)  # type: ignore[attr-defined]
