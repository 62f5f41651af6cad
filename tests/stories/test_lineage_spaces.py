"""Translations across embedding spaces: an article embedded by e5-small (a language USE-m3
lacks) and its original embedded by USE-m3 are compared through their e5-small title vectors,
for a bounded number of candidates that pass the cheap tests, with the same marks whether a
story is streamed or re-marked whole."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsloom.config import Settings
from newsloom.models import Article
from newsloom.store import open_store
from newsloom.store.base import Store
from newsloom.stories.lineage import (
    DEFAULT_THRESHOLDS,
    LineageItem,
    apply_lineage,
    assign_lineage,
    mark_new,
)
from newsloom.stories.service import TITLE_MODEL, StoryService

from lineage_texts import EN, IT, OTHER_FR  # noqa: E402 - tests/stories is on sys.path

T0 = datetime(2024, 3, 1, 8, tzinfo=UTC)
NUMS = frozenset({"40", "179", "100"})
NAMES = frozenset({"boeing", "northr", "grumma", "eads", "nesbit"})


def unit(seed: int, base: np.ndarray | None = None, noise: float = 0.0, dim: int = 24) -> np.ndarray:
    rng = np.random.default_rng(seed)
    # noise scaled so that its norm is ``noise`` whatever the dimension (cosine ~ 1/sqrt(1+noise^2))
    v = rng.standard_normal(dim) if base is None else base + noise * rng.standard_normal(dim) / np.sqrt(dim)
    return (v / np.linalg.norm(v)).astype(np.float32)


class Lazy:
    """A title vector computed on demand, counting the calls (the cost the bound limits)."""

    def __init__(self, vec: np.ndarray | None) -> None:
        self.vec, self.calls = vec, 0

    def __call__(self) -> np.ndarray | None:
        self.calls += 1
        return self.vec


def item(aid: int, text: str, lang: str, hours: float, space: str, title: object = None,
         dim: int = 32) -> LineageItem:
    return LineageItem(aid, text, lang, T0 + timedelta(hours=hours), unit(100 + aid, dim=dim), space=space,
                       numbers=NUMS, names=NAMES, title_vector=title)  # type: ignore[arg-type]


def test_translation_across_spaces_by_title() -> None:
    t = unit(1)
    en = item(1, EN, "en", 0, "use-m3", Lazy(t))
    nl = item(2, IT, "nl", 1, "e5-small", unit(2, t, 0.3), dim=16)  # dims differ: never compared directly
    m = assign_lineage([en, nl])
    assert (m[2].lineage, m[2].lineage_of) == ("translation", 1)
    assert 0.65 <= m[2].score < 1.0
    assert mark_new(item(2, IT, "nl", 1, "e5-small", unit(2, t, 0.3), dim=16),
                    [item(1, EN, "en", 0, "use-m3", Lazy(t))]) == m[2]
    # titles that disagree: no mark
    far = item(3, IT, "nl", 1, "e5-small", unit(3), dim=16)
    assert assign_lineage([item(1, EN, "en", 0, "use-m3", t), far])[3].lineage is None
    # no title vector on one side: no mark (and no error)
    assert assign_lineage([item(1, EN, "en", 0, "use-m3", None), item(2, IT, "nl", 1, "e5-small", t)])[2].lineage is None


def test_a_match_in_the_same_space_beats_a_closer_title_match() -> None:
    """Title + lead in one space is the stronger evidence: an Italian article whose English
    original is in its own space at cosine ~0.85 is marked against it, not against an earlier
    Dutch version in the other space whose title is closer still."""
    t = unit(1)
    nl = item(1, EN, "nl", 0, "e5-small", t, dim=16)
    en = item(2, EN, "en", 1, "use-m3", unit(50, t, 0.05))
    it = LineageItem(3, IT, "it", T0 + timedelta(hours=2), unit(3, en.vector, 0.6, dim=32), space="use-m3",
                     numbers=NUMS, names=NAMES, title_vector=t)
    assert 0.8 <= float(it.vector @ en.vector) < 0.9  # type: ignore[operator]
    m = assign_lineage([nl, en, it])
    assert (m[3].lineage, m[3].lineage_of) == ("translation", 2)


def test_title_computed_only_for_candidates_that_pass_the_cheap_tests() -> None:
    t = unit(1)
    independent = Lazy(unit(4, t, 0.01))
    short = item(1, OTHER_FR, "fr", 0, "use-m3", independent)  # fails _parallel (length)
    same_lang = Lazy(t)
    # same language as the new article: text overlap decides, never titles
    nl_earlier = item(3, "Een kort en ander verslag over Boeing.", "nl", 0.5, "use-m3", same_lang)
    original = Lazy(t)
    en = item(2, EN, "en", 0.2, "use-m3", original)
    nl = item(4, IT, "nl", 1, "e5-small", unit(2, t, 0.3), dim=16)
    m = assign_lineage([short, en, nl_earlier, nl])
    assert (m[4].lineage, m[4].lineage_of) == ("translation", 2)
    assert independent.calls == 0 and same_lang.calls == 0 and original.calls == 1  # computed once


def test_cross_space_candidates_are_bounded_and_taken_in_time_order() -> None:
    t = unit(1)
    lazies = [Lazy(unit(10 + i, t, 2.0)) for i in range(6)]  # unrelated titles...
    lazies[-1].vec = t  # ...but the last one (latest) is the original's
    earlier = [item(1 + i, EN, "en", i, "use-m3", lz) for i, lz in enumerate(lazies)]
    nl = item(20, IT, "nl", 10, "e5-small", unit(2, t, 0.3), dim=16)
    m = assign_lineage([*earlier, nl])
    k = DEFAULT_THRESHOLDS.cross_space_candidates
    assert sum(lz.calls for lz in lazies) == k and all(lz.calls == 1 for lz in lazies[:k])
    assert m[20].lineage is None  # the matching title was past the bound: deterministic, not found
    assert mark_new(nl, earlier) == m[20]


def test_same_space_translation_is_unchanged() -> None:
    base = unit(1, dim=32)
    a = LineageItem(1, EN, "en", T0, base, space="use-m3", numbers=NUMS, names=NAMES)
    b = LineageItem(2, IT, "it", T0 + timedelta(hours=1), unit(2, base, 0.1, dim=32), space="use-m3",
                    numbers=NUMS, names=NAMES, title_vector=Lazy(None))
    m = assign_lineage([a, b])
    assert m[2].lineage == "translation" and m[2].score >= 0.8
    assert b.title_vector.calls == 0  # type: ignore[union-attr]


# --- the service: titles from the store, embedded on demand and stored ------------------------------
@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with open_store(f"sqlite:///{tmp_path / 'spaces.db'}") as s:
        yield s


def _service(store: Store, monkeypatch: pytest.MonkeyPatch, titles: dict[str, np.ndarray]) -> tuple[StoryService, list[str]]:
    svc = StoryService(store, Settings.load(stories=True, story_bridges=True), replay=False, force_fallback=["nl"])
    calls: list[str] = []

    def fake_title(article: Article) -> np.ndarray | None:
        calls.append(article.title or "")
        return titles.get(article.title or "")

    monkeypatch.setattr(svc, "embed_title", fake_title)
    return svc, calls


def _stream(store: Store, svc: StoryService, docs: list[tuple[str, str, str, float, str]],
            titles: dict[str, np.ndarray]) -> list[Article]:
    """Store the articles of one story in arrival order with their embeddings, and let the
    service mark each (the clusterer is left out: the story is given)."""
    out: list[Article] = []
    sid: int | None = None
    for n, (title, text, lang, hours, space) in enumerate(docs):
        a = store.add_article(Article(url=f"https://x.example/{n}", title=title, text=text, lang=lang,
                                      published=T0 + timedelta(hours=hours)))
        assert a.id is not None
        sid = sid or a.id
        a.story_id = sid  # stored by _refresh, after the story record (as StoryService.add does)
        dim = 384 if space == "e5-small" else 512
        store.save_embedding(a.id, space, unit(a.id, dim=dim).tobytes())
        if space == "e5-small":  # the embedding step stores an e5-routed article's title
            store.save_embedding(a.id, TITLE_MODEL, titles[title].tobytes())
        svc._refresh(sid, new=a)
        out.append(a)
    return out


def test_service_marks_a_translation_across_spaces_and_a_rebuild_agrees(
        store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    t = unit(1, dim=384)
    titles = {"Boeing loses tanker deal": t, "Boeing verliest tankercontract": unit(2, t, 0.3, dim=384),
              "Court sujet": unit(3, dim=384), "Boeing perde il contratto": unit(4, t, 0.2, dim=384)}
    svc, calls = _service(store, monkeypatch, titles)
    docs = [("Boeing loses tanker deal", EN, "en", 0, "use-m3"),
            ("Court sujet", OTHER_FR, "fr", 1, "use-m3"),
            ("Boeing verliest tankercontract", IT, "nl", 2, "e5-small"),
            ("Boeing perde il contratto", IT, "it", 3, "use-m3")]
    arts = _stream(store, svc, docs, titles)
    sid = arts[0].story_id
    assert sid is not None
    streamed = {a.id: (a.lineage, a.lineage_of) for a in store.story_articles(sid)}
    en, fr, nl, it = (a.id for a in arts)
    assert streamed[en] == ("first", None) and streamed[fr] == (None, None)
    assert streamed[nl] == ("translation", en)
    # the it article is compared with nl across spaces and with en in its own space; its random
    # vectors are far from en's, so the title comparison with nl is what can mark it
    assert streamed[it] in {("translation", nl), (None, None)}
    # the en title was embedded (once) and stored; the fr report never passed the cheap tests
    assert calls.count("Boeing loses tanker deal") == 1 and "Court sujet" not in calls
    assert store.get_embedding(en, TITLE_MODEL) is not None  # type: ignore[arg-type]
    # re-marking the whole story from the store (as a rebuild does) gives the same marks,
    # without embedding anything again
    again, calls2 = _service(store, monkeypatch, titles)
    members = store.story_articles(sid)
    vectors, spaces = again._vectors(a.id for a in members if a.id is not None)
    apply_lineage(members, vectors, spaces, titles=again._lineage_titles(members, spaces))
    assert {a.id: (a.lineage, a.lineage_of) for a in members} == streamed
    assert calls2 == []


def test_service_without_a_second_space_reads_no_titles(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    t = unit(1, dim=384)
    svc, calls = _service(store, monkeypatch, {"a": t, "b": t})
    reads: list[object] = []
    real: Callable[..., object] = store.get_embeddings
    monkeypatch.setattr(store, "get_embeddings", lambda ids, models: reads.append(models) or real(ids, models))
    _stream(store, svc, [("a", EN, "en", 0, "use-m3"), ("b", IT, "it", 1, "use-m3")], {})
    assert (TITLE_MODEL,) not in reads and calls == []
