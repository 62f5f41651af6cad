"""The store's reader queries on SQLite and PostgreSQL: rank by breadth and growth, facet filters,
keyset pages, blindspots, related stories, tokens, and reads that do not wait for a writer."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from store_backends import drop_schema, pg_schema_url, require_pg

from newsloom.models import Article, Story
from newsloom.store import open_store
from newsloom.store._reader import StoryQuery
from newsloom.store.base import Store

T0 = datetime(2026, 11, 1, tzinfo=timezone.utc)


@pytest.fixture(params=["sqlite", "postgres"])
def url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reader.db'}"
        return
    require_pg()
    schema = f"newsloom_web_{uuid.uuid4().hex[:12]}"
    try:
        yield pg_schema_url(schema)
    finally:
        drop_schema(schema)


def story(sid: int, hours: float, langs: list[str], countries: list[str], sources: list[str],
          names: tuple[str, ...] = ()) -> Story:
    when = T0 + timedelta(hours=hours)
    return Story(id=sid, headlines={langs[0]: f"story {sid}"}, languages=langs, countries=countries,
                 sources=sources, first_seen=when - timedelta(hours=1), last_updated=when, article_count=len(sources),
                 entities=[{"text": n, "type": "PER", "count": 2} for n in names])


def fill(store: Store) -> None:
    for s in [
        story(1, 0, ["en"], ["US"], ["A"], ("Ana Lima", "Porto")),
        story(2, 0, ["en", "pt", "es"], ["US", "BR", "ES"], ["A", "B", "C", "D"], ("Ana Lima", "Porto", "Rio")),
        story(3, 24, ["en"], ["US"], ["A"]),
        story(4, 12, ["de", "fr"], ["DE", "FR"], ["E", "F"], ("Rio", "Porto")),
        story(5, 6, ["pt"], ["BR"], ["B"]),
    ]:
        store.save_story(s)


def test_rank_filters_and_pages(url: str) -> None:
    with open_store(url) as store:
        fill(store)
        ranked = [s.id for s, _ in store.rank_stories(StoryQuery(limit=10))]
        # a day newer wins over one outlet; at equal time, breadth wins (2 over 1)
        assert ranked.index(3) < ranked.index(1) and ranked.index(2) < ranked.index(1)
        pages, after = [], None
        while True:
            rows = store.rank_stories(StoryQuery(limit=2, after=after))
            if not rows:
                break
            pages += [s.id for s, _ in rows]
            after = (rows[-1][1], rows[-1][0].id)
        assert pages == ranked
        assert {s.id for s, _ in store.rank_stories(StoryQuery(lang="pt"))} == {2, 5}
        assert {s.id for s, _ in store.rank_stories(StoryQuery(country="de"))} == {4}
        assert {s.id for s, _ in store.rank_stories(StoryQuery(source="D"))} == {2}
        assert {s.id for s, _ in store.rank_stories(StoryQuery(since=T0 + timedelta(hours=10)))} == {3, 4}
        blind = store.rank_stories(StoryQuery(exclude_langs=["en", "pt"], exclude_countries=["US"], min_languages=2))
        assert [s.id for s, _ in blind] == [4]
        assert [s.id for s in store.related_stories(1)] == [2]
        assert {v for v, _ in store.story_facets("lang")} == {"en", "pt", "es", "de", "fr"}
        # a story saved again (it grew) is re-tagged, not duplicated
        store.save_story(story(5, 30, ["pt", "en"], ["BR"], ["B", "A"]))
        assert store.rank_stories(StoryQuery(limit=1))[0][0].id == 5
        assert {s.id for s, _ in store.rank_stories(StoryQuery(lang="en"))} == {1, 2, 3, 5}
        assert store.index_stories() == 0 and store.count_stories() == 5
        store.clear_stories()
        assert store.rank_stories(StoryQuery()) == [] and store.story_facets("lang") == []


def test_tokens(url: str) -> None:
    with open_store(url) as store:
        tid = store.add_api_token("ci", "h" * 64)
        assert store.find_api_token("h" * 64) == "ci" and store.find_api_token("x") is None
        assert [t[1] for t in store.list_api_tokens()] == ["ci"]
        assert store.delete_api_token(tid) and store.find_api_token("h" * 64) is None


def test_reads_do_not_wait_for_a_write_transaction(url: str) -> None:
    with open_store(url) as writer_store:
        writer_store.use_reader_connections()
        fill(writer_store)
        inside, release = threading.Event(), threading.Event()

        def writer() -> None:
            with writer_store.transaction():
                writer_store.add_article(Article(url="https://x.example.com/1", title="t"))
                inside.set()
                release.wait(10)

        t = threading.Thread(target=writer)
        t.start()
        assert inside.wait(10)
        try:
            started = time.monotonic()
            rows = writer_store.rank_stories(StoryQuery(limit=3))
            n = writer_store.count_articles()
            waited = time.monotonic() - started
        finally:
            release.set()
            t.join(10)
        # the reader saw the last commit (not the open transaction's article) without waiting
        assert len(rows) == 3 and n == 0 and waited < 5
        assert writer_store.count_articles() == 1


def test_story_cards_carry_what_a_card_shows(url: str) -> None:
    with open_store(url) as store:
        fill(store)
        full, cards = store.get_stories([2, 4, 99]), store.story_cards([2, 4, 99])
        assert set(cards) == set(full) == {2, 4}
        for sid, c in cards.items():
            s = full[sid]
            assert (c.id, c.headlines, c.languages, c.countries, c.sources, c.first_seen, c.last_updated,
                    c.article_count, c.merged_into) == (s.id, s.headlines, s.languages, s.countries, s.sources,
                                                        s.first_seen, s.last_updated, s.article_count, s.merged_into)
            assert c.entities == [] and c.centroid is None  # not read


def test_related_stories_count_shared_names_in_one_statement(url: str) -> None:
    with open_store(url) as store:
        fill(store)
        store.save_story(story(6, 2, ["en"], ["US"], ["A"], ("Ana Lima", "Porto", "Rio")))
        store.save_story(story(7, 2, ["en"], ["US"], ["A"], ("Porto",)))
        # most shared names first, then the newest; one shared name is not enough
        assert [s.id for s in store.related_stories(2)] == [6, 4, 1]
        assert [s.id for s in store.related_stories(4)] == [6, 2]
        assert store.related_stories(7) == [] and store.related_stories(3) == []
        assert [s.id for s in store.related_stories(2, limit=1)] == [6]
        store.save_story(Story(**{**story(6, 2, ["en"], ["US"], ["A"], ("Ana Lima", "Porto", "Rio")).__dict__,
                                  "merged_into": 2}))
        assert [s.id for s in store.related_stories(2)] == [4, 1]  # a merged story is not offered


def test_story_page_articles_read_what_the_page_shows(url: str) -> None:
    from newsloom.store._reader import _PAGE

    with open_store(url) as store:
        store.save_story(story(1, 0, ["en"], ["US"], ["A"]))
        arts = [store.add_article(Article(
            url=f"https://a.example.com/{i}", title=f"t{i}", text=f"body {i}", description=f"d{i}", lang="en",
            source="A", country="US", story_id=1, authors=["X"], published=T0 + timedelta(hours=i),
            entities=[{"text": "Ana", "type": "PER", "count": 1}], rights={"max_snippet": 50},
            lineage="first" if i == 0 else "copy", lineage_of=None if i == 0 else 1)) for i in range(5)]
        store.add_article(Article(url="https://a.example.com/other", title="other", story_id=None))
        page, total = store.story_page_articles(1, 3)
        assert [a.id for a in page] == [a.id for a in arts[:3]] and total == 5
        full = store.get_article(arts[1].id)  # type: ignore[arg-type]
        assert all(getattr(page[1], f) == getattr(full, f) for f in (*_PAGE, "id"))
        assert page[1].authors == [] and page[1].entities == [] and page[1].raw_text is None  # not read
        # a removed article is not read at all: it leaves the page and the count at once
        gone = store.get_article(arts[1].id)  # type: ignore[arg-type]
        gone.status = "removed"
        store.update_article(gone)
        page, total = store.story_page_articles(1, 3)
        assert [a.id for a in page] == [arts[0].id, arts[2].id, arts[3].id] and total == 4
        page, total = store.story_page_articles(1, 400)
        assert len(page) == total == 4 and store.story_page_articles(99, 400) == ([], 0)
