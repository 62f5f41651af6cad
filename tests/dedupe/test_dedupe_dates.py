"""The original of a group of copies is its earliest report, whatever order the copies are
processed in (an archive back-filled out of date order, a feed polled late, two workers racing):
on both backends, with the in-memory and the shared near-duplicate index."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest
from dedupe_fakestore import FakeStore
from neardup_pages import near_copy, words

from newsloom.config import Settings
from newsloom.dedupe import Deduper
from newsloom.models import Article
from newsloom.pipeline import Pipeline
from newsloom.store import open_store

DAY = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
TEXT = words(11)


def _reports() -> dict[str, Article]:
    """Three copies of one report: a near copy (day 2), the wire's own text (day 0) and an
    exact copy of the near copy (day 3), plus an undated near copy."""
    def art(url: str, ws: list[str], day: int | None) -> Article:
        return Article(url=url, title="Storm closes the harbour", text=" ".join(ws), lang="en",
                       published=None if day is None else DAY + timedelta(days=day))
    return {
        "near": art("https://b.example/storm", near_copy(TEXT), 2),
        "wire": art("https://wire.example/storm", TEXT, 0),
        "exact": art("https://c.example/storm", near_copy(TEXT), 3),
        "undated": art("https://d.example/storm", [*TEXT[:-2], "other", "words"], None),
    }


def _ingest(db: str, order: list[str], mode: str) -> tuple[dict[str, str | None], dict[str, str]]:
    """(url key -> key of its duplicate_of) and (key -> outcome status) after processing ``order``."""
    arts = _reports()
    settings = Settings(db=db, stories=False, near_duplicate_index=mode)
    with open_store(db) as store:
        pipeline = Pipeline(store, settings, with_stories=False)
        status = {k: pipeline.process_article(arts[k]).status for k in order}
        by_id = {a.id: a for a in store.iter_articles()}
        key = {a.url: k for k, a in arts.items()}
        dup = {key[a.url]: (key[by_id[a.duplicate_of].url] if a.duplicate_of else None) for a in by_id.values()}
    return dup, status


@pytest.mark.parametrize("mode", ["memory", "store"])
def test_the_earliest_report_is_the_original_in_every_order(db: str, mode: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    want = {"wire": None, "near": "wire", "exact": "wire", "undated": "wire"}
    for n, order in enumerate(itertools.permutations(["near", "wire", "exact"])):
        url = db if n == 0 else _fresh(db, tmp_path_factory, n)
        dup, status = _ingest(url, [*order, "undated"], mode)
        assert dup == want, order
        # a copy found is counted as one whichever member turns out the original
        assert sorted(status.values()).count("new") == 1 and status["undated"] == "near_duplicate"


def _fresh(db: str, tmp_path_factory: pytest.TempPathFactory, n: int) -> str:
    """Another empty store of the same backend as ``db``."""
    if db.startswith("sqlite"):
        return f"sqlite:///{tmp_path_factory.mktemp(f'order{n}') / 's.db'}"
    with open_store(db) as store:  # PostgreSQL: empty the schema's articles
        with store.transaction():
            store._execute("DELETE FROM neardup_keys")  # type: ignore[attr-defined]
            store._execute("DELETE FROM articles")  # type: ignore[attr-defined]
    return db


def test_an_earlier_report_says_what_it_replaced(db: str) -> None:
    arts = _reports()
    with open_store(db) as store:
        pipeline = Pipeline(store, Settings(db=db, stories=False), with_stories=False)
        first = pipeline.process_article(arts["near"])
        wire = pipeline.process_article(arts["wire"])
        assert (first.status, wire.status, wire.of) == ("new", "near_duplicate", first.article_id)
        assert wire.message and f"article {first.article_id}" in wire.message
        assert store.get_article(first.article_id).duplicate_of == wire.article_id
        assert store.get_article(wire.article_id).duplicate_of is None
        assert any(f"reported before article {first.article_id}" in n for n in store.get_article(wire.article_id).notes)
        # only the group's rows move, and moving them twice changes nothing more
        assert store.reroot_duplicates(first.article_id, wire.article_id) == 1
        assert store.get_article(wire.article_id).duplicate_of is None


def test_equal_times_keep_the_first_processed() -> None:
    store = FakeStore()
    dd = Deduper(store, Settings(near_duplicate_index="memory"))  # type: ignore[arg-type]
    a = Article(url="https://a.example/1", title="T", text=" ".join(TEXT), published=DAY)
    b = Article(url="https://b.example/1", title="T", text=" ".join(near_copy(TEXT)), published=DAY)
    dd.prepare(a)
    dd.add(store.add_article(a))
    verdict = dd.check(b)
    assert (verdict.kind, verdict.of, verdict.earlier) == ("near", a.id, False)
    b.published = DAY - timedelta(minutes=5)
    assert dd.check(b).earlier


def test_a_rerooted_group_resolves_to_the_new_original_in_memory() -> None:
    store = FakeStore()
    dd = Deduper(store, Settings(near_duplicate_index="memory"))  # type: ignore[arg-type]
    late = Article(url="https://a.example/1", title="T", text=" ".join(TEXT), published=DAY)
    copy = Article(url="https://b.example/1", title="T", text=" ".join(near_copy(TEXT)), published=DAY + timedelta(hours=1))
    early = Article(url="https://c.example/1", title="T", text=" ".join(TEXT[:-1] + ["x"]), published=DAY - timedelta(hours=1))
    for art in (late, copy):
        dd.prepare(art)
        verdict = dd.check(art)
        art.duplicate_of = verdict.of if verdict.is_duplicate else None
        dd.add(store.add_article(art))
    verdict = dd.check(early)
    assert verdict.earlier and verdict.of == late.id
    dd.add(store.add_article(early))
    store.reroot_duplicates(late.id, early.id)
    dd.rerooted(late.id, early.id)
    assert dd.root(late.id) == dd.root(copy.id) == early.id
    assert {a.duplicate_of for a in store.articles.values() if a.id != early.id} == {early.id}


def test_an_earlier_original_joins_its_copies_story_and_leads_the_lineage(tmp_path) -> None:  # type: ignore[no-untyped-def]
    db = f"sqlite:///{tmp_path / 's.db'}"
    arts = _reports()
    with open_store(db) as store:
        pipeline = Pipeline(store, Settings(db=db))
        late = pipeline.process_article(arts["near"])
        early = pipeline.process_article(arts["wire"])
        a, b = store.get_article(late.article_id), store.get_article(early.article_id)
        assert a.story_id is not None and a.story_id == b.story_id
        assert (b.duplicate_of, a.duplicate_of) == (None, b.id)
        assert b.lineage == "first" and (a.lineage, a.lineage_of) == ("copy", b.id)
