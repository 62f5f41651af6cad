"""Taking an article out of its story (removal requests, retracted pages): the story keeps its
id, gets a new first report, its copies are re-marked, an emptied story is deleted, and the
removed article is never clustered again."""

from __future__ import annotations

from datetime import timedelta

import numpy as np

from newsloom.errors import NotFoundError
from newsloom.store.base import Store
from newsloom.stories.cluster import ClusterItem, StoryClusterer
from test_service_growth import BASE, T0, Stream, service


def test_clusterer_remove_updates_members_and_index() -> None:
    rng = np.random.default_rng(0)
    v = rng.normal(size=32).astype(np.float32)
    v /= np.linalg.norm(v)
    cl = StoryClusterer()
    for i in range(1, 4):
        w = v + 0.02 * rng.normal(size=32).astype(np.float32)
        cl.add(ClusterItem(i, w / np.linalg.norm(w), published=T0 + timedelta(hours=i), n_words=50))
    assert {cl.story_of(i) for i in (1, 2, 3)} == {1}
    assert cl.remove(1) == 1 and cl.story_of(1) is None
    assert cl.stories[1].count == 2 and 1 not in cl.stories[1].member_ids
    # the story still takes a new report of the event (its id never changes)
    assert cl.add(ClusterItem(4, v, published=T0 + timedelta(hours=5), n_words=50)).story_id == 1
    for i in (2, 3, 4):
        cl.remove(i)
    assert cl.stories[1].count == 0 and cl.add(ClusterItem(5, v, published=T0, n_words=50)).is_new_story
    assert cl.remove(999) is None


def test_service_remove_gives_the_story_a_new_first_and_deletes_an_empty_story(store: Store) -> None:
    svc = service(store)
    s = Stream(store, svc)
    first = s.add(BASE, 0)
    copy = s.add(BASE + " Updates follow.", 5)
    later = s.add(BASE.replace("Monday", "Tuesday") + " More rain is expected.", 60)
    sid = store.get_article(first.id).story_id
    assert store.get_article(first.id).lineage == "first"
    assert store.get_article(copy.id).lineage_of == first.id

    gone = store.get_article(first.id)
    gone.status = "removed"  # what the removal workflow does before taking it out
    store.update_article(gone)
    assert svc.remove(first.id) == sid
    members = store.story_articles(sid)
    assert {a.id for a in members} == {copy.id, later.id}
    assert all(a.lineage_of != first.id for a in members)
    assert sum(a.lineage == "first" for a in members) == 1
    assert store.get_story(sid).article_count == 2
    assert svc.catch_up() == 0  # a removed article is never clustered again
    assert store.get_article(first.id).story_id is None

    for a in (copy, later):
        b = store.get_article(a.id)
        b.status = "removed"
        store.update_article(b)
        svc.remove(a.id)
    try:
        store.get_story(sid)
        raise AssertionError("an emptied story must be deleted")
    except NotFoundError:
        pass
