"""Maintenance joins two stories that started separately in different vector spaces when their
members agree by title (newsloom.stories.maintenance.merge_across_spaces): synthetic vectors in
the clusterer, then a fake embedder through StoryService and the store. The names are entity
keys ("@..."): the ones that are compared across languages (items.names_compared)."""

from __future__ import annotations

import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from newsloom.config import Settings
from newsloom.models import Article
from newsloom.store.base import Store
from newsloom.stories.cluster import ClusterItem, StoryClusterer, StoryState
from newsloom.stories.maintenance import (
    _start_gap_factor,
    cross_space_candidates,
    merge_converging,
)
from newsloom.stories.service import FALLBACK_MODEL, TITLE_MODEL, StoryService

from space_worlds import DIMS, TITLE_DIM, BaseWorld, unit  # noqa: E402,F401 - tests/stories is on sys.path

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


def at_cos(base: np.ndarray, cos: float, rng: np.random.Generator) -> np.ndarray:
    """A unit vector at exactly ``cos`` from unit ``base``."""
    r = rng.standard_normal(base.shape[0])
    r = unit(r - (r @ base) * base)
    return unit(cos * base + np.sqrt(1 - cos * cos) * r)


class World(BaseWorld):
    """Events, each with a direction per space and one in the title space (as test_bridge)."""

    def item(self, event: int, space: str, hours: float, title: np.ndarray | None | str = "event",
             names: frozenset[str] | None = None, numbers: frozenset[str] | None = None) -> ClusterItem:
        """``title``: "event" (the event's title direction + noise), None (no title) or a vector."""
        self.n += 1
        vec = unit(self.own[space][event] + 0.03 * self.rng.standard_normal(DIMS[space]))
        if isinstance(title, str):
            title = unit(self.title[event] + 0.05 * self.rng.standard_normal(TITLE_DIM))
        return ClusterItem(article_id=self.n, vector=vec, lang="en" if space == "a" else "uk",
                           published=T0 + timedelta(hours=hours), space=space, title_vector=title,
                           names=names if names is not None else frozenset({f"@name{event}", f"@place{event}"}),
                           numbers=numbers if numbers is not None else frozenset({f"{100 + event}"}),
                           n_words=200)


def clusterer(**kw: object) -> StoryClusterer:
    return StoryClusterer(space_thresholds={"b": 0.6}, maintain_every=0, **kw)  # type: ignore[arg-type]


def one_event_two_stories(w: World, cl: StoryClusterer) -> tuple[int, int]:
    """The Ukrainian report comes first with a title too unlike the English ones to bridge;
    the English story starts on its own; then both grow."""
    weak = at_cos(w.title[0], 0.35, w.rng)  # (0.35 + 0.3 + 0.1) / 1.4 = 0.536 < 0.60
    uk = cl.add(w.item(0, "b", 0, title=weak))
    en = cl.add(w.item(0, "a", 1))
    assert en.is_new_story and not en.bridged and en.story_id != uk.story_id
    assert cl.add(w.item(0, "a", 2)).story_id == en.story_id
    assert cl.add(w.item(0, "b", 3)).story_id == uk.story_id  # joins its part in its own space
    return uk.story_id, en.story_id


def test_one_event_in_two_spaces_becomes_one_story() -> None:
    w, cl = World(seed=1), clusterer()
    uk, en = one_event_two_stories(w, cl)
    other = cl.add(w.item(1, "a", 4)).story_id  # another event, left alone
    merged = merge_converging(cl)
    assert merged == [(en, uk)]  # the younger story joins the older; parts stay in their spaces
    assert cl.merges == [(en, uk)]  # what StoryService turns into store updates
    assert {cl.story_of(i) for i in (1, 2, 3, 4)} == {uk}
    assert cl.story_of(5) == other
    assert cl.stories[en].space == "a" and cl.stories[uk].space == "b"
    assert cl.stories[en].merged_into is None and not cl.stories[en].closed  # still takes reports
    assert cl.add(w.item(0, "a", 5)).story_id == uk
    assert merge_converging(cl) == []  # one story now: nothing left to join


def test_off_switch() -> None:
    w, cl = World(seed=1), clusterer(cross_space_merge=False)
    uk, en = one_event_two_stories(w, cl)
    assert merge_converging(cl) == [] and cl.merges == [] and cl.resolve(en) != cl.resolve(uk)


def test_no_title_vectors_no_cross_space_merge() -> None:
    w, cl = World(seed=1), clusterer(bridge_threshold=None)  # bridges off: no title space
    uk = cl.add(w.item(0, "b", 0)).story_id
    en = cl.add(w.item(0, "a", 1)).story_id
    cl.add(w.item(0, "a", 2))
    cl.add(w.item(0, "b", 3))
    assert merge_converging(cl) == [] and cl.merges == [] and uk != en


def test_same_kind_of_event_with_other_names_and_numbers_is_not_merged() -> None:
    """Two earthquakes: titles close (cosine 0.80), names and numbers differ. A merge would need
    the names; the bridge did not join them either."""
    w, cl = World(seed=2), clusterer()
    close = [at_cos(w.title[0], 0.80, w.rng) for _ in range(2)]
    quake_a = cl.add(w.item(0, "a", 0)).story_id
    cl.add(w.item(0, "a", 1))
    b1 = cl.add(w.item(1, "b", 2, title=close[0], names=frozenset({"@other", "@town"}),
                       numbers=frozenset({"7"})))
    assert not b1.bridged  # 0.80 / 1.4 = 0.57
    cl.add(w.item(1, "b", 3, title=close[1], names=frozenset({"@other", "@town"}), numbers=frozenset({"7"})))
    assert merge_converging(cl) == []
    assert cl.resolve(b1.story_id) != quake_a
    # the same titles with the event's own names and numbers would pass: the names decide
    w2, cl2 = World(seed=2), clusterer()
    close2 = [at_cos(w2.title[0], 0.80, w2.rng) for _ in range(2)]
    cl2.add(w2.item(0, "a", 0)), cl2.add(w2.item(0, "a", 1))
    bridged = cl2.add(w2.item(1, "b", 2, title=close2[0], names=frozenset({"@name0", "@place0"}),
                             numbers=frozenset({"100"})))
    assert bridged.bridged


def test_a_pair_far_below_the_threshold_or_far_apart_in_time_blocks_the_merge() -> None:
    # one member's title unrelated: the mean may pass, the worst pair does not
    w, cl = World(seed=3), clusterer()
    off = at_cos(w.title[0], 0.0, w.rng)  # (0 + 0.4) / 1.4 = 0.29
    uk = cl.add(w.item(0, "b", 0, title=off)).story_id
    for h in (1, 2, 3):
        cl.add(w.item(0, "a", h))
    cl.add(w.item(0, "b", 4))
    cl.add(w.item(0, "b", 5))
    assert merge_converging(cl) == [] and cl.resolve(uk) == uk
    # date gap between first reports: 1 within a day, then halving every 7 days
    p = StoryState(id=1, first_time=T0, last_time=T0 + timedelta(days=20), last_seq=1)
    q = StoryState(id=2, first_time=T0 + timedelta(days=8), last_time=T0 + timedelta(days=20), last_seq=2)
    assert _start_gap_factor(p, q) == pytest.approx(0.5)  # spans overlap; starts 8 days apart
    q.first_time = T0 - timedelta(hours=20)
    assert _start_gap_factor(p, q) == 1.0
    q.first_time = None
    assert _start_gap_factor(p, q) == 1.0


def test_first_reports_two_days_apart_need_closer_titles() -> None:
    """The A380 case of MEANTIME (the delivery, then the first commercial flight two days later:
    titles alike, same names): titles that merge parts started within a day do not merge parts
    whose first reports are two days apart (the date-gap factor, 0.91 there)."""
    for start, merged in ((20.0, True), (48.0, False)):
        w, cl = World(seed=6), clusterer()
        cl.add(w.item(0, "a", 0, title=w.title[0]))
        cl.add(w.item(0, "a", 1, title=w.title[0]))
        # pair scores (cos + 0.3 + 0.1) / 1.4: 0.55 for the first b report, 0.68 for the second
        first = cl.add(w.item(1, "b", start, title=at_cos(w.title[0], 0.37, w.rng),
                              names=frozenset({"@name0", "@place0"}), numbers=frozenset({"100"})))
        assert not first.bridged
        cl.add(w.item(1, "b", start + 1, title=at_cos(w.title[0], 0.552, w.rng),
                      names=frozenset({"@name0", "@place0"}), numbers=frozenset({"100"})))
        assert bool(merge_converging(cl)) is merged, start


def test_stories_with_live_parts_in_one_space_are_left_to_that_space() -> None:
    """Story X spans both spaces already (a bridge); story Y is in space b. Their b parts meet
    in space b on title + lead; a title match alone does not join them."""
    w, cl = World(seed=4), clusterer()
    x = cl.add(w.item(0, "a", 0)).story_id
    cl.add(w.item(0, "a", 1))
    assert cl.add(w.item(0, "b", 2)).bridged
    # a b-space story of the same event by title and names whose lead disagrees with X's b part
    far = unit(w.rng.standard_normal(DIMS["b"]))
    items = [w.item(0, "b", 3), w.item(0, "b", 4)]
    for it in items:
        it.vector = unit(far + 0.03 * w.rng.standard_normal(DIMS["b"]))
    y = cl.add(items[0])
    assert y.is_new_story and not y.bridged
    cl.add(items[1])
    cl.add(w.item(0, "a", 5))  # X's a part changed: it looks across at Y
    assert cross_space_candidates(cl, sorted(cl.stories)) == []
    assert merge_converging(cl) == [] and cl.resolve(y.story_id) != x


def _stream(seed: int) -> list[ClusterItem]:
    """Four events in two spaces; each event's first b report has a weak title."""
    w = World(n_events=4, seed=seed)
    out = []
    for k in range(4):
        for e in range(4):
            space = "b" if (k + e) % 2 else "a"
            title = at_cos(w.title[e], 0.35, w.rng) if k == 0 and space == "b" else "event"
            out.append(w.item(e, space, hours=k * 4 + e, title=title))
    return out


def test_deterministic_and_the_same_through_restart(tmp_path: Path) -> None:
    def run(items: list[ClusterItem]) -> tuple[list[int], list[tuple[int, int]]]:
        cl = StoryClusterer(space_thresholds={"b": 0.6}, maintain_every=3)
        cl.add_many(items)
        return [cl.story_of(i.article_id) for i in items], cl.merges  # type: ignore[misc]

    first, merges = run(_stream(5))
    assert (first, merges) == run(_stream(5))
    assert merges and len(set(first)) == 4  # the merges made one story per event
    cl = StoryClusterer(space_thresholds={"b": 0.6}, maintain_every=3)
    items = _stream(5)
    cl.add_many(items[:7])
    cl.save(tmp_path / "state.pkl")
    cl = StoryClusterer.load(tmp_path / "state.pkl")
    cl.add_many(items[7:])
    assert [cl.story_of(i.article_id) for i in items] == first and cl.merges == merges


# --- through the service and the store -------------------------------------------------------
QUAKE_EN = ("Earthquake of magnitude 6.8 strikes Sumatra, killing 12",
            "A magnitude 6.8 earthquake struck off the west coast of Sumatra on Tuesday, killing at least 12 "
            "people in Padang, Indonesia's disaster agency BNPB said.")
QUAKE_EN_2 = ("Sumatra earthquake: 12 dead in Padang",
              "Indonesia's disaster agency BNPB said 12 people died when a magnitude 6.8 earthquake struck "
              "Sumatra on Tuesday; more than 300 houses were damaged in Padang.")
QUAKE_UK = ("", "Землетрус магнітудою 6,8 стався у вівторок біля західного узбережжя Суматри, загинули "
                "щонайменше 12 людей у Паданзі, повідомило агентство BNPB.")
QUAKE_UK_2 = ("Землетрус на Суматрі: 12 загиблих у Паданзі",
              "Агентство BNPB повідомило про 12 загиблих після землетрусу магнітудою 6,8 на Суматрі. "
              "Понад 300 будинків пошкоджено у Паданзі.")
VOTE_EN = ("Chile's senate approves pension reform after 10 years of debate",
           "Chile's senate on Wednesday approved a sweeping pension reform by 30 votes to 19, ending a decade "
           "of debate. Labour minister Jeannette Jara said the reform would raise the lowest pensions.")
EVENT_WORDS = {0: ("Sumatra", "Суматр"), 1: ("Chile",)}
TITLES = {QUAKE_EN[0], QUAKE_EN_2[0], QUAKE_UK_2[0], VOTE_EN[0]}


class FakeEmbedder:
    """Stands in for USE-m3 and e5-small: one direction per (model, text kind, event), where the
    event is found by keyword and the kind is "title" for a bare title, plus a little noise
    seeded by the text (deterministic). The default model covers English only."""

    def __init__(self, name: str, dim: int) -> None:
        self.name, self.dim = name, dim
        rng = np.random.default_rng(len(name))
        self.base = {(kind, e): unit(rng.standard_normal(dim)) for kind in ("title", "lead") for e in (0, 1, 2)}

    def covers(self, lang: str | None) -> bool:
        return lang in (None, "en")

    def embed(self, texts: list[str]) -> np.ndarray:
        out = []
        for t in texts:
            event = next((e for e, words in EVENT_WORDS.items() if any(x in t for x in words)), 2)
            noise = np.random.default_rng(zlib.crc32(t.encode())).standard_normal(self.dim)
            out.append(unit(self.base["title" if t in TITLES else "lead", event] + 0.04 * noise))
        return np.stack(out)


@pytest.fixture
def fake_embedders(monkeypatch: pytest.MonkeyPatch) -> None:
    models = {"use-m3": FakeEmbedder("use-m3", 24), FALLBACK_MODEL: FakeEmbedder(FALLBACK_MODEL, 16)}
    monkeypatch.setattr("newsloom.analyse.embed.get_embedder", lambda name, threads=1: models[name])


def stored(store: Store, key: str, lang: str, doc: tuple[str, str], hours: float) -> Article:
    return store.add_article(Article(url=f"https://news.example/{key}", title=doc[0], text=doc[1], lang=lang,
                                     published=T0 + timedelta(hours=hours)))


@pytest.mark.usefixtures("fake_embedders")
def test_service_stores_the_cross_space_merge_and_rebuild_agrees(store: Store) -> None:
    service = StoryService(store, Settings.load(stories=True), replay=False)
    service.clusterer.maintain_every = 1  # a maintenance pass after every article
    assert service.bridging and service.route("uk") == FALLBACK_MODEL
    # the first Ukrainian report has no title: nothing to bridge with, so it starts a story
    uk1 = stored(store, "q-uk", "uk", QUAKE_UK, 0)
    en1 = stored(store, "q-en", "en", QUAKE_EN, 1)
    vote = stored(store, "v-en", "en", VOTE_EN, 2)
    en2 = stored(store, "q-en-2", "en", QUAKE_EN_2, 3)
    uk2 = stored(store, "q-uk-2", "uk", QUAKE_UK_2, 4)
    for a in (uk1, en1, vote, en2):
        service.add(a)
    assert store.get_article(en1.id).story_id == en1.id  # type: ignore[arg-type]
    assert store.get_article(uk1.id).story_id == uk1.id  # type: ignore[arg-type]
    assert store.get_article(en2.id).story_id == en1.id  # type: ignore[arg-type]
    # the second Ukrainian report joins its part in its own space and brings a title: the next
    # pass finds the English story by title and joins the two stories
    service.add(uk2)
    assert service.clusterer.merges == []  # applied to the store (below), then forgotten
    got = {a.id: a.story_id for a in store.iter_articles()}
    assert got == {uk1.id: uk1.id, en1.id: uk1.id, vote.id: vote.id, en2.id: uk1.id, uk2.id: uk1.id}
    assert store.get_story(en1.id).merged_into == uk1.id  # type: ignore[arg-type]
    story = store.get_story(uk1.id)  # type: ignore[arg-type]
    assert story.article_count == 4 and set(story.languages) == {"en", "uk"}
    assert store.get_embedding(uk2.id, TITLE_MODEL) is not None  # type: ignore[arg-type]

    # rebuild from the stored embeddings gives what streaming gave
    rebuilt = StoryService(store, Settings.load(stories=True), replay=False)
    rebuilt.clusterer.maintain_every = 1
    original_new = rebuilt._new_clusterer

    def new_clusterer() -> StoryClusterer:
        cl = original_new()
        cl.maintain_every = 1
        return cl

    rebuilt._new_clusterer = new_clusterer  # type: ignore[method-assign]
    assert rebuilt.rebuild() == 5
    assert {a.id: a.story_id for a in store.iter_articles()} == got
    assert store.get_story(en1.id).merged_into == uk1.id  # type: ignore[arg-type]


def test_add_returns_the_story_after_the_merge_it_triggered(store: Store) -> None:
    """When the maintenance pass an article triggers merges its story into an older one, add()
    returns (and the article holds) the story it ends up in. The merge is made by hand here,
    as maintenance would make it, to test the service's side alone."""
    service = StoryService(store, Settings.load(stories=True), replay=False)
    en1 = stored(store, "q-en", "en", QUAKE_EN, 0)
    vote = stored(store, "v-en", "en", VOTE_EN, 1)
    vote2 = stored(store, "v-en-2", "en", VOTE_EN, 2)
    assert service.add(en1) == en1.id and service.add(vote) == vote.id
    real = service._apply_merges

    def merge_then_apply() -> None:
        service.clusterer.union(vote.id, en1.id)  # type: ignore[arg-type]
        real()

    service._apply_merges = merge_then_apply  # type: ignore[method-assign]
    assert service.add(vote2) == en1.id
    assert vote2.story_id == en1.id == store.get_article(vote2.id).story_id  # type: ignore[arg-type]
    assert store.get_story(vote.id).merged_into == en1.id  # type: ignore[arg-type]
