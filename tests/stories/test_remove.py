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


def test_rebuild_reclusters_in_date_order(store: Store, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Articles stored out of date order (a back-fill), then `stories rebuild`: the stories a
    date-ordered stream gives, whatever the stored (arrival) order was."""
    from newsloom.models import Article
    from newsloom.store import open_store

    rng = np.random.default_rng(11)
    base = rng.normal(size=512)
    rows = []
    for e in range(3):  # three events of one kind, 20 days apart
        for k in range(4):
            v = base + 0.15 * rng.normal(size=512) / np.sqrt(512)
            rows.append((e, T0 - timedelta(days=100 - 20 * e, hours=-k), (v / np.linalg.norm(v)).astype(np.float32)))

    def stream(st: Store, order: list[int]) -> dict[int, int]:
        svc = service(st)
        ids = {}
        for i in order:
            e, when, v = rows[i]
            a = st.add_article(Article(url=f"https://x.example/{i}", title=f"Report {i}", text=BASE,
                                       lang="en", published=when, source="x.example"))
            svc.add(a, v, svc.model)
            ids[i] = a.id
        return {i: st.get_article(ids[i]).story_id for i in ids}, svc, ids

    backfill = [7, 2, 11, 0, 5, 9, 1, 10, 3, 6, 8, 4]
    _, svc, ids = stream(store, backfill)
    svc.rebuild()
    rebuilt = {i: store.get_article(ids[i]).story_id for i in ids}
    with open_store(f"sqlite:///{tmp_path / 'dated.db'}") as other:
        dated, _, _ = stream(other, sorted(range(12), key=lambda i: rows[i][1]))

    def partition(assign: dict[int, int]) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for i, sid in assign.items():
            groups.setdefault(sid, set()).add(i)
        return {frozenset(g) for g in groups.values()}

    assert partition(rebuilt) == partition(dated) == {frozenset(range(4 * e, 4 * e + 4)) for e in range(3)}
