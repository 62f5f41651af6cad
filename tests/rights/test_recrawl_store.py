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


def test_backlog_counts_what_is_due_and_since_when(store: Store) -> None:
    src = store.add_source(Source(name="S", url="https://s.example/"))
    feed = store.add_feed(Feed(url="https://s.example/feed.xml", source_id=src.id))
    now = utcnow()
    ids = [int(store.add_article(Article(url=f"https://s.example/{i}", title="t", text="t", feed_id=feed.id,
                                         source_id=src.id, fetched_at=now - timedelta(hours=h))).id)  # type: ignore[arg-type]
           for i, h in enumerate((3, 2, 0.5))]
    window = (now - timedelta(hours=1), now - timedelta(days=8))
    n, since = store.recrawl_backlog(now, *window, first_step_s=3600)  # type: ignore[attr-defined]
    assert n == 2 and since is not None and abs((since - (now - timedelta(hours=2))).total_seconds()) < 1
    store.set_recrawl(ids[1], 1, now - timedelta(hours=5))  # a later step, overdue for 5 hours
    n, since = store.recrawl_backlog(now, *window, first_step_s=3600)  # type: ignore[attr-defined]
    assert n == 2 and abs((since - (now - timedelta(hours=5))).total_seconds()) < 1
    store.set_recrawl(ids[0], 3, None)
    store.set_recrawl(ids[1], 3, None)
    assert store.recrawl_backlog(now, *window, first_step_s=3600) == (0, None)  # type: ignore[attr-defined]
    # with a two-step schedule, an article two steps in is finished
    store.set_recrawl(ids[2], 2, now - timedelta(hours=1))  # type: ignore[attr-defined]
    assert store.recrawl_backlog(now, *window, first_step_s=3600, steps=2)[0] == 0  # type: ignore[attr-defined]
    assert store.recrawl_backlog(now, *window, first_step_s=3600, steps=3)[0] == 1  # type: ignore[attr-defined]


def test_validators_are_the_stored_pages(store: Store) -> None:
    import hashlib

    from newsloom.models import RawDocument

    raw = RawDocument(url="https://s.example/a", body=b"<html>page</html>", content_type="text/html",
                      headers={"ETag": '"v1"', "last-modified": "Sun, 06 Dec 2026 10:00:00 GMT"})
    raw_id = store.save_raw(raw)
    a = store.add_article(Article(url="https://s.example/a", title="t", text="t", raw_id=raw_id))
    b = store.add_article(Article(url="https://s.example/b", title="t", text="t"))  # no page stored
    found = store.recrawl_validators([int(a.id), int(b.id)])  # type: ignore[attr-defined, arg-type]
    assert list(found) == [a.id]
    rid, headers, digest = found[a.id]  # type: ignore[index]
    assert rid == raw_id and headers["etag"] == '"v1"' and headers["last-modified"].startswith("Sun")
    assert digest == hashlib.sha256(b"<html>page</html>").hexdigest()
