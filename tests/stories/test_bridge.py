"""Stories across vector spaces: an article whose own space has no matching story joins a story
of another space through the shared title space (synthetic vectors: fast, exact)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from newsloom.errors import StoryError
from newsloom.stories.cluster import ClusterItem, StoryClusterer, StoryState, _gap_factor
from newsloom.stories.maintenance import merge_stories

from space_worlds import DIMS, TITLE_DIM, BaseWorld, unit  # noqa: E402,F401 - tests/stories is on sys.path

T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)


class World(BaseWorld):
    """Events, each with a direction per space and one in the title space; their names are
    entity keys ("@..."), what is compared across languages (items.names_compared)."""

    def item(self, event: int, space: str, hours: float, title_event: int | None = None,
             own_noise: float = 0.03, title_noise: float = 0.05, names: frozenset[str] | None = None,
             own: np.ndarray | None = None) -> ClusterItem:
        self.n += 1
        te = event if title_event is None else title_event
        vec = own if own is not None else unit(self.own[space][event] + own_noise * self.rng.standard_normal(DIMS[space]))
        title = unit(self.title[te] + title_noise * self.rng.standard_normal(TITLE_DIM))
        return ClusterItem(article_id=self.n, vector=vec, lang="en" if space == "a" else "uk",
                           published=T0 + timedelta(hours=hours), space=space, title_vector=title,
                           names=names if names is not None else frozenset({f"@name{event}", f"@place{event}"}),
                           numbers=frozenset({f"{100 + event}"}), n_words=200)


def clusterer(**kw: object) -> StoryClusterer:
    return StoryClusterer(space_thresholds={"b": 0.6}, **kw)  # type: ignore[arg-type]


def test_article_of_another_space_joins_by_title_and_its_followers_join_its_part() -> None:
    w, cl = World(), clusterer()
    first = cl.add(w.item(0, "a", 0))
    assert cl.add(w.item(0, "a", 1)).story_id == first.story_id
    other = cl.add(w.item(1, "a", 2)).story_id
    bridged = cl.add(w.item(0, "b", 3))
    assert bridged.story_id == first.story_id and bridged.bridged and not bridged.is_new_story
    assert bridged.reason is not None and "across embedding spaces (b -> a)" in bridged.reason
    assert "name0" in bridged.reason  # the shared names are part of the recorded reason
    # the next report in the same language joins the bridged part in its own space
    follower = cl.add(w.item(0, "b", 4))
    assert follower.story_id == first.story_id and not follower.bridged and follower.reason is None
    assert {cl.story_of(i) for i in (1, 2, 4, 5)} == {first.story_id}
    assert cl.story_of(3) == other
    assert cl.live_story_ids() == sorted({first.story_id, other})


def test_default_space_article_joins_a_story_of_the_other_space() -> None:
    w, cl = World(seed=1), clusterer()
    start = cl.add(w.item(2, "b", 0))
    assert cl.add(w.item(2, "b", 1)).story_id == start.story_id
    joined = cl.add(w.item(2, "a", 2))
    assert joined.bridged and joined.story_id == start.story_id
    assert cl.add(w.item(2, "a", 3)).story_id == start.story_id


def test_unrelated_titles_and_same_topic_other_event_do_not_bridge() -> None:
    w, cl = World(seed=2), clusterer()
    story = cl.add(w.item(0, "a", 0)).story_id
    unrelated = cl.add(w.item(1, "b", 1))
    assert unrelated.is_new_story and not unrelated.bridged and unrelated.story_id != story
    # a title of the same kind (moderately close) about another event: its names differ
    near = unit(w.title[0] + 1.1 * unit(w.rng.standard_normal(TITLE_DIM)))
    it = w.item(3, "b", 2)
    it.title_vector = near
    assert 0.4 < float(near @ w.title[0]) < 0.8
    assert not cl.add(it).bridged


def test_no_bridge_to_a_story_that_has_a_live_part_in_the_articles_space() -> None:
    w, cl = World(seed=3), clusterer()
    story = cl.add(w.item(0, "a", 0)).story_id
    assert cl.add(w.item(0, "b", 1)).bridged
    # same event by title and names, but its own-space vector disagrees with the story's
    # part in its space: the stronger evidence said no, so it is not bridged either
    off = cl.add(w.item(0, "b", 2, own=unit(w.rng.standard_normal(DIMS["b"]))))
    assert off.is_new_story and not off.bridged and off.story_id != story


def test_bridging_off_and_bad_title_vectors() -> None:
    w = World(seed=4)
    cl = clusterer(bridge_threshold=None)
    cl.add(w.item(0, "a", 0))
    assert not cl.add(w.item(0, "b", 1)).bridged
    cl = clusterer()
    cl.add(w.item(0, "a", 0))
    bad = w.item(0, "b", 1)
    bad.title_vector = np.ones(TITLE_DIM + 1, dtype=np.float32)
    with pytest.raises(StoryError, match="title vector"):
        cl.add(bad)
    with pytest.raises(StoryError, match="threshold"):
        StoryClusterer(bridge_threshold=1.5)


def _stream(seed: int) -> list[ClusterItem]:
    w = World(n_events=4, seed=seed)
    out = []
    for k in range(4):
        for e in range(4):
            out.append(w.item(e, "a" if (k + e) % 3 else "b", hours=k * 4 + e))
    return out


def test_deterministic_and_restart_equals_stream(tmp_path) -> None:  # type: ignore[no-untyped-def]
    a = [x.story_id for x in clusterer().add_many(_stream(5))]
    assert a == [x.story_id for x in clusterer().add_many(_stream(5))]
    assert len(set(a)) == 4  # four events, each spanning both spaces
    items = _stream(5)
    cl = clusterer()
    first = [x.story_id for x in cl.add_many(items[:7])]
    cl.save(tmp_path / "state.pkl")
    rest = [x.story_id for x in StoryClusterer.load(tmp_path / "state.pkl").add_many(items[7:])]
    assert first + rest == a


def test_merging_a_part_merges_whole_stories() -> None:
    w, cl = World(seed=6), clusterer(maintain_every=0)
    x = cl.add(w.item(0, "a", 0)).story_id
    bridged = cl.add(w.item(0, "b", 1))
    assert bridged.bridged
    y_part = cl.article_story[2]
    # a second story in space b that started separately (say, another angle)
    z = cl.add(w.item(0, "b", 2, own=unit(w.rng.standard_normal(DIMS["b"])), names=frozenset({"@angle"})))
    assert z.is_new_story and not z.bridged  # story x has a live part in b already
    merge_stories(cl, z.story_id, y_part)  # maintenance found the two b parts converged
    assert cl.resolve(z.story_id) == x and cl.story_of(3) == x
    assert cl.merges == [(z.story_id, x)]  # a story-level merge, for the store
    assert cl.stories[z.story_id].merged_into == y_part
    with pytest.raises(ValueError, match="different vector spaces"):
        merge_stories(cl, y_part, x)


def test_duplicate_in_another_space_joins_the_originals_story() -> None:
    w, cl = World(seed=7), clusterer()
    orig = cl.add(w.item(0, "a", 0)).story_id
    dup = w.item(1, "b", 1)
    dup.duplicate_of = 1
    out = cl.add(dup)
    assert out.story_id == orig and "duplicate of article 1" in (out.reason or "")


def test_gap_factor() -> None:
    p = StoryState(id=1, first_time=T0, last_time=T0 + timedelta(days=1), last_seq=1)
    assert _gap_factor(T0 + timedelta(days=2), p) == 1.0
    assert _gap_factor(None, p) == 1.0
    assert _gap_factor(T0 + timedelta(days=10), p) == pytest.approx(0.5)  # 9 days past, 2 of grace
    assert _gap_factor(T0 - timedelta(days=9), p) == pytest.approx(0.5)
