"""Lineage marks on a small synthetic story, and story naming."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from newsloom.models import Article
from newsloom.stories.lineage import LineageItem, apply_lineage, assign_lineage
from newsloom.stories.naming import describe_story, headlines, timeline

from lineage_texts import EN, IT, OTHER_FR, REWRITE  # noqa: E402 - tests/stories is on sys.path

T0 = datetime(2024, 3, 1, 8, tzinfo=UTC)


def vec(seed: int, base: np.ndarray | None = None, noise: float = 0.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    v = rng.standard_normal(32) if base is None else base + noise * rng.standard_normal(32)
    return (v / np.linalg.norm(v)).astype(np.float32)


def story() -> list[LineageItem]:
    base = vec(1)
    nums = frozenset({"40", "179", "100"})
    names = frozenset({"boeing", "northr", "grumma", "eads", "nesbit"})
    return [
        LineageItem(5, EN.replace("Friday", "Friday afternoon"), "en", T0 + timedelta(hours=1), vec(2, base, 0.05),
                    nums, names, urls=("https://wire.example/b",)),
        LineageItem(1, EN, "en", T0, base, nums, names, urls=("https://paper.example/a",)),
        LineageItem(2, IT, "it", T0 + timedelta(hours=2), vec(3, base, 0.1), nums, names),
        LineageItem(3, REWRITE, "en", T0 + timedelta(hours=3), vec(4, base, 0.3), nums, names),
        LineageItem(4, "Aggregator page " + EN, "en", T0 + timedelta(hours=4), base, nums, names,
                    is_copy=True, primary_url="https://paper.example/a"),
        LineageItem(6, EN, "en", T0 + timedelta(hours=5), base, nums, names, is_copy=True,
                    primary_url="https://elsewhere.example/x"),
        LineageItem(7, OTHER_FR, "fr", T0 + timedelta(hours=6), vec(5, base, 0.3), frozenset(), frozenset({"boeing"})),
        LineageItem(8, EN, "en", T0 + timedelta(hours=7), base, nums, names, duplicate_of=5),
    ]


def test_lineage_marks() -> None:
    m = assign_lineage(story())
    assert (m[1].lineage, m[1].lineage_of) == ("first", None)
    assert (m[5].lineage, m[5].lineage_of) == ("copy", 1)  # near-verbatim wire copy
    assert (m[2].lineage, m[2].lineage_of) == ("translation", 1)
    assert (m[3].lineage, m[3].lineage_of) == ("rewrite", 1)
    assert (m[4].lineage, m[4].lineage_of) == ("copy", 1)  # aggregator -> stored primary
    assert (m[6].lineage, m[6].lineage_of) == ("copy", "https://elsewhere.example/x")
    assert m[7].lineage is None  # independent report, different length and content
    assert (m[8].lineage, m[8].lineage_of) == ("copy", 1)  # copy of a copy points to the root


def test_translation_needs_parallel_content() -> None:
    items = story()[1:3]
    items[1].numbers = frozenset({"12", "77", "3000"})  # numbers do not line up
    assert assign_lineage(items)[2].lineage is None


def test_single_and_empty_story() -> None:
    assert assign_lineage([]) == {}
    assert assign_lineage([LineageItem(1, "", None)])[1].lineage == "first"


def _articles() -> list[Article]:
    return [
        Article(url="https://a/1", id=1, title="Boeing loses tanker deal", text=EN, lang="en", source="Paper",
                country="US", published=T0),
        Article(url="https://a/2", id=2, title="Boeing perde il contratto", text=IT, lang="it", source="Giornale",
                country="IT", published=T0 + timedelta(hours=2), entities=[{"text": "Boeing", "type": "ORG", "count": 3}]),
        Article(url="https://a/3", id=3, title="Air Force picks EADS", text=REWRITE, lang="en", source="Daily",
                country="GB", published=T0 + timedelta(hours=3), entities=[{"text": "Boeing", "type": "ORG", "count": 1}]),
        Article(url="https://agg/4", id=4, title="COPY: Boeing loses", text=EN, lang="en", source="Agg",
                is_copy=True, primary_url="https://a/1", published=T0 + timedelta(hours=1)),
    ]


def test_apply_lineage_sets_article_fields() -> None:
    arts = _articles()
    apply_lineage(arts)
    by = {a.id: a for a in arts}
    assert by[1].lineage == "first" and by[4].lineage == "copy" and by[4].lineage_of == 1
    assert by[3].lineage == "rewrite" and by[3].lineage_of == 1


def test_describe_story() -> None:
    arts = _articles()
    vectors = {1: vec(1), 2: vec(2, vec(1), 0.1), 3: vec(3, vec(1), 0.6), 4: vec(1)}
    s = describe_story(arts, vectors)
    assert s.id == 1 and s.first_article_id == 1 and s.article_count == 4
    assert s.headlines == {"en": "Boeing loses tanker deal", "it": "Boeing perde il contratto"}
    assert s.languages == ["en", "it"] and s.countries == ["GB", "IT", "US"]
    assert s.first_seen == T0 and s.last_updated == T0 + timedelta(hours=3)
    assert s.entities[0] == {"text": "Boeing", "type": "ORG", "count": 4}
    assert [e["why"] for e in s.timeline][:2] == ["first report", "first report in it"]
    assert any(e["why"] == "first from GB" for e in s.timeline)
    assert s.centroid is not None and len(s.centroid) == 32 * 4


def test_headline_prefers_central_original_and_timeline_limit() -> None:
    arts = _articles()
    # without vectors: earliest original title; the aggregator copy is never the headline
    assert headlines(arts)["en"] == "Boeing loses tanker deal"
    many = [Article(url=f"https://x/{i}", id=10 + i, title=f"t{i}", lang=f"l{i}", published=T0 + timedelta(minutes=i))
            for i in range(20)]
    assert len(timeline(many, limit=5)) == 5


def test_mark_new_compares_with_the_earliest_reports_and_follows_roots() -> None:
    from newsloom.stories.lineage import mark_new

    rng = np.random.default_rng(0)
    words = [f"w{i}" for i in range(400)]

    def report(i: int) -> LineageItem:
        text = " ".join(rng.choice(words, 80))
        return LineageItem(i, text, "en", T0 + timedelta(minutes=i))

    first = LineageItem(1, EN, "en", T0, urls=("https://paper.example/a",))
    others = [first] + [report(i) for i in range(2, 300)]
    late = LineageItem(300, EN, "en", T0 + timedelta(days=1))
    assert mark_new(late, others).lineage == "copy"
    assert mark_new(late, others).lineage_of == 1
    # a copy of a copy points to the root
    copy = LineageItem(2, EN, "en", T0 + timedelta(minutes=1))
    assert mark_new(late, [copy, *others[2:]], roots={2: 1}).lineage_of == 1
    # aggregator pages point to the member with their primary URL
    agg = LineageItem(301, "x", "en", T0 + timedelta(days=2), is_copy=True, primary_url="https://paper.example/a")
    assert (mark_new(agg, others).lineage, mark_new(agg, others).lineage_of) == ("copy", 1)
    # never a second "first": an article older than every member compared gets no mark
    early = LineageItem(302, EN, "en", T0 - timedelta(days=1))
    assert mark_new(early, others).lineage is None
    # vectors of different spaces are never compared (translations need one space)
    base = vec(1)
    a = LineageItem(10, EN, "en", T0, base, space="use-m3")
    b = LineageItem(11, IT, "it", T0 + timedelta(hours=1), base, space="e5-small")
    assert mark_new(b, [a]).lineage is None
    b.space = "use-m3"
    assert mark_new(b, [a]).lineage == "translation"
