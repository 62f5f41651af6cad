"""Periodic story maintenance: merge live stories that have converged.

Online clustering decides with what it has seen so far, so one event sometimes starts two
stories (say the first Dutch and the first English report were written from different angles)
that later fill in towards each other. ``merge_converging`` merges such a pair only when

- their centroids are close (cosine >= ``centroid_min``), AND
- their members agree across the pair: the mean cross-pair score reaches the clusterer's join
  threshold and no cross pair falls more than ``margin`` below it.

The second condition is what keeps a merge from mixing two events of the same kind (two
football matches of one round have close centroids but disagree on names and numbers).

The younger story (its first article arrived later) is merged into the older one and records
``merged_into``, so its id stays resolvable (``StoryClusterer.resolve``) and story ids never
change for the older story.

Merges are between parts of one vector space (each space has its own index; see
``newsloom.stories.cluster``). When one of the two parts belongs to a story that spans spaces,
the whole stories are made one (``StoryClusterer.union``), and ``merges`` records that story-level
merge; two parts of one story merge without a story-level record.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from typing import Any

import numpy as np

from newsloom.models import Article
from newsloom.stories.cluster import Assignment, StoryClusterer, StoryState, make_item


def _cross_scores(cl: StoryClusterer, a: StoryState, b: StoryState) -> np.ndarray:
    cos = np.stack(a.member_vecs) @ np.stack(b.member_vecs).T
    out = np.empty_like(cos)
    for i, sa in enumerate(a.member_sig):
        for j, sb in enumerate(b.member_sig):
            out[i, j] = cl._pair_from_cos(float(cos[i, j]), sa, sb)
    return out


def merge_candidates(cl: StoryClusterer, centroid_min: float = 0.8, margin: float = 0.1,
                     neighbours: int = 5) -> list[tuple[int, int, float]]:
    """(younger id, older id, mean cross score) for live pairs that pass both tests."""
    if not cl._indexes:
        return []
    out = []
    # Only a story that changed since the last pass can have converged with another one; this
    # keeps a pass proportional to recent activity, not to the number of live stories.
    dirty, cl._dirty = sorted(cl._dirty), set()
    for sid in dirty:
        a = cl.stories[sid]
        if a.closed or a.merged_into is not None:
            continue
        c = a.centroid()
        if c is None or not a.member_vecs:
            continue
        index = cl._indexes.get(a.space)
        if index is None:
            continue
        # a converged neighbour is very close (centroid cosine >= centroid_min): a narrow
        # HNSW beam finds it, at half the cost of the join search's (a pass runs every
        # maintain_every articles over every story that grew)
        for oid in sorted(label for label, _ in index.query(c, neighbours + 1, ef=48)):
            b = cl.stories[oid]
            # each unordered pair once; and only live, comparable stories
            if oid == sid or (oid < sid and oid in dirty) or b.closed or b.merged_into is not None or not b.member_vecs:
                continue
            cb = b.centroid()
            if cb is None or float(c @ cb) < centroid_min:
                continue
            cross = _cross_scores(cl, a, b)
            mean = float(cross.mean())
            threshold = cl.threshold_for(a.space)
            if mean >= threshold and float(cross.min()) >= threshold - margin:
                young, old = (a, b) if (a.first_seq, a.id) > (b.first_seq, b.id) else (b, a)
                out.append((young.id, old.id, mean))
    return out


def merge_stories(cl: StoryClusterer, young_id: int, old_id: int) -> None:
    """Merge story part ``young_id`` into ``old_id`` (both live, of one space)."""
    young, old = cl.stories[young_id], cl.stories[old_id]
    if young.space != old.space:
        raise ValueError(f"parts {young_id} and {old_id} are in different vector spaces")
    old.count += young.count
    old.langs.update(young.langs)
    if young.centroid_sum is not None:
        old.centroid_sum = (young.centroid_sum.copy() if old.centroid_sum is None
                            else old.centroid_sum + young.centroid_sum)
    for t in (young.first_time, young.last_time):
        if t is not None:
            old.first_time = t if old.first_time is None else min(old.first_time, t)
            old.last_time = t if old.last_time is None else max(old.last_time, t)
    old.last_seq = max(old.last_seq, young.last_seq)
    if young.title_sum is not None:
        old.title_sum = young.title_sum.copy() if old.title_sum is None else old.title_sum + young.title_sum
        old.title_count += young.title_count
    langs = young.member_langs or [None] * len(young.member_ids)
    for aid, vec, sig, title, lang in zip(young.member_ids, young.member_vecs, young.member_sig,
                                          young.member_titles, langs):
        cl._keep(old, aid, vec, sig, title, lang)
    if old.last_time is not None:
        heapq.heappush(cl._time_heap, (old.last_time, old.id))
    heapq.heappush(cl._seq_heap, (old.last_seq, old.id))
    cl._close(young)
    young.merged_into = old.id
    cl.union(young.id, old.id)  # records (merged story, into) when they were two stories
    cl._dirty.add(old.id)  # it changed: re-checked on the next pass
    centroid = old.centroid()
    if centroid is not None and old.space in cl._indexes:
        cl._indexes[old.space].upsert(old.id, centroid)
    title = old.title_centroid()
    if title is not None and old.space in cl._titles:
        cl._titles[old.space].upsert(old.id, title)


def merge_converging(cl: StoryClusterer, centroid_min: float = 0.8, margin: float = 0.1) -> list[tuple[int, int]]:
    """Merge every converged pair (best pairs first); returns the (merged, into) id pairs."""
    done: list[tuple[int, int]] = []
    touched: set[int] = set()
    cands = {(y, o): m for y, o, m in merge_candidates(cl, centroid_min, margin)}
    for (young, old), _ in sorted(cands.items(), key=lambda x: (-x[1], x[0])):
        # a story changed by an earlier merge this round is re-checked next round, not now
        if young in touched or old in touched:
            continue
        merge_stories(cl, young, old)
        touched.update((young, old))
        done.append((young, old))
    return done


def rebuild_from_store(
    store: Any,
    model: str = "use-m3",
    clusterer: StoryClusterer | None = None,
    embed: Callable[[Article], np.ndarray | None] | None = None,
) -> tuple[StoryClusterer, dict[int, Assignment]]:
    """Replay every stored article in arrival (id) order through a fresh clusterer, using the
    stored embeddings (``store.get_embedding(id, model)``; ``embed(article)`` for any that are
    missing). Gives exactly what streaming gave: same order, same vectors, same decisions.
    Returns the clusterer (to keep streaming from) and the assignment per article id."""
    cl = clusterer or StoryClusterer()
    out: dict[int, Assignment] = {}
    for art in store.iter_articles():
        if art.id is None or art.status == "removed":
            continue
        raw = store.get_embedding(art.id, model)
        vec = np.frombuffer(raw, dtype=np.float32) if raw else (embed(art) if embed else None)
        out[art.id] = cl.add(make_item(art, vec))
    return cl, out
