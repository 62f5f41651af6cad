"""Periodic story maintenance: merge live stories that have converged.

Online clustering decides with what it has seen so far, so one event sometimes starts two
stories (say the first Dutch and the first English report were written from different angles)
that later fill in towards each other. ``merge_converging`` merges such a pair only when

- their centroids are close (cosine >= ``centroid_min``), AND
- their members agree across the pair: no cross pair falls more than ``margin`` below the
  clusterer's join threshold, and either the mean cross-pair score reaches it or every member
  of the part whose first report is later would join the other by the join's own rule (the
  mean of its best ``top_k`` cross scores; first reports of the same date: either part), which
  is what a date-ordered stream would have done with them. Pairs are scored on the join's
  scale, its cross-language and short-text allowances included (``_cross_scores``): a merge is
  the join that arrival order prevented, so it is judged as the join would be. Before
  2026-12-05 the allowances were left out and the mean of every cross pair was required: one
  event's German reports that arrived before any other language stayed a story of their own in
  12 of 30 shuffled orders of the crash tests' 65-page corpus (0 of 40 since;
  ``tests/stories/test_arrival_order.py``).

The second condition is what keeps a merge from mixing two events of the same kind (two
football matches of one round have close centroids but disagree on names and numbers).

The younger story (its first article arrived later) is merged into the older one and records
``merged_into``, so its id stays resolvable (``StoryClusterer.resolve``) and story ids never
change for the older story.

Merges are between parts of one vector space (each space has its own index; see
``newsloom.stories.cluster``). When one of the two parts belongs to a story that spans spaces,
the whole stories are made one (``StoryClusterer.union``), and ``merges`` records that story-level
merge; two parts of one story merge without a story-level record.

Across spaces (``StoryClusterer.cross_space_merge``). A Ukrainian story (e5-small) and an English
one (USE-m3) about one event can both start before either could bridge to the other: the first
English report's title was too unlike the first Ukrainian one's (the bridge compares with what
the other story holds *then*), one of them had no title, or the title index missed it. Their
parts are never compared in a space of their own, so the merge above cannot join them. For a
part that changed, ``cross_space_candidates`` looks in the *other* spaces' title indexes (the e5
title space every article shares) for live parts of another story, and ``merge_across_spaces``
joins the two *stories* (``union``: each part stays in its space) when their members agree by
title, on the bridge's scale (title cosine + the IDF-weighted name and number overlaps, see
``StoryClusterer._bridge``) and at least as strictly as a bridge:

- the mean score over every cross pair of titled members, times a date-gap factor between the
  two parts' *first* reports, reaches ``bridge_threshold`` (a bridge needs only the mean of an
  article's best ``top_k`` pairs, and takes the gap from its part's whole span), AND
- no cross pair falls more than ``CROSS_SPACE_MARGIN`` below it, AND
- the two stories have no live parts in a common space: there they meet on the stronger
  evidence (title + lead), as a bridge is refused to a story that has a live part in the
  article's own space.

A part that already holds a report of another event (a wrong join or merge in its own space)
brings it along, as it would have had the bridge succeeded. Only live parts are compared, so on
a sparse archive (MEANTIME: one date per story, years apart) most parts close before the next
pass; in a live stream, passes come far more often than stories close.
"""

from __future__ import annotations

import heapq
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from newsloom.stories.items import _BRIDGE_HALF_LIFE_DAYS, StoryState
from newsloom.stories.items import span as _span

if TYPE_CHECKING:  # the clusterer calls this module; this module only reads and edits its state
    from newsloom.stories.cluster import StoryClusterer

log = logging.getLogger("newsloom.stories")

# How far below bridge_threshold one cross pair of member titles may fall in a cross-space
# merge (the mean must reach it). Measured by replaying the bench stores (stored embeddings) of
# MEANTIME with nl, it, es, en, es+it or en+nl routed to e5-small and MEANTIME + Primer with fr,
# it or en, maintenance every 50, 10 and 1 articles: with the grace below, 0.05 rejected no
# wrong merge that 0.10 let through and lost 1-2 right ones per run.
CROSS_SPACE_MARGIN = 0.10
# Grace of the date-gap factor between two parts' first reports (then halving every
# _BRIDGE_HALF_LIFE_DAYS, as a bridge's). Same replays: at the bridge's 2 days the only wrong
# merges joined MEANTIME's two A380 stories (the delivery, then the first commercial flight;
# first reports two days apart, one part already mixed in its own space) at title scores
# 0.62-0.64; at 1 day (factor 0.91 there) none, and no right merge was lost.
CROSS_SPACE_GRACE = timedelta(days=1)


def _cross_scores(cl: StoryClusterer, a: StoryState, b: StoryState) -> np.ndarray:
    """Every cross pair's score on the scale a join is decided on (``Scoring._story_score``):
    the cross-language allowance between members in two languages, across languages only
    agreeing keys in a space with a scale of its own, and in the other spaces the short-text
    allowance (the mean of the two members'), added to the score as the join takes it off
    the threshold. Two stories that started apart only because of the order their reports
    arrived in are then merged where the join would have put them together (two German
    reports that arrived before any English one form a story the English ones cannot join,
    one report against one; the merge compares them all)."""
    cos = np.stack(a.member_vecs) @ np.stack(b.member_vecs).T
    out = np.empty_like(cos)
    own_scale = a.space in cl.space_thresholds
    la = a.member_langs or [None] * len(a.member_sig)
    lb = b.member_langs or [None] * len(b.member_sig)
    # each member's short-text allowance, once (none in a space with a scale of its own)
    wa = [0.0 if own_scale else cl.short_allowance(sig.words) for sig in a.member_sig]
    wb = [0.0 if own_scale else cl.short_allowance(sig.words) for sig in b.member_sig]
    for i, sa in enumerate(a.member_sig):
        for j, sb in enumerate(b.member_sig):
            score = cl._pair_from_cos(float(cos[i, j]) + cl._bonus(la[i], lb[j]), sa, sb, own_scale)
            out[i, j] = score + (wa[i] + wb[j]) / 2
    return out


def _later_would_join(cl: StoryClusterer, a: StoryState, b: StoryState, cross: np.ndarray,
                      threshold: float) -> bool:
    """Whether every member of the part whose first report is later (by date; undated: by
    arrival) would join the other part by the join's own rule: the mean of its best ``top_k``
    cross scores reaches the threshold. That is what a date-ordered stream would have done with
    them. Two parts whose first reports have the same date could have come in either order in
    such a stream, so either direction will do. ``cross`` has ``a``'s members as rows."""
    ta, tb = a.first_time, b.first_time
    if ta is None or tb is None:
        directions = [cross if a.first_seq > b.first_seq else cross.T]
    elif ta == tb:
        directions = [cross, cross.T]
    else:
        directions = [cross if ta > tb else cross.T]
    for later in directions:  # rows: the later part's members
        k = min(cl.top_k, later.shape[1])
        best = -np.sort(-later, axis=1)[:, :k]
        if bool((best.mean(axis=1) >= threshold).all()):
            return True
    return False


def _spans_meet(cl: StoryClusterer, a: StoryState, b: StoryState) -> bool:
    """Whether two parts' time spans come within the clusterer's window of each other: two
    stories of one kind a year apart never merge, however alike their reports read."""
    if None in (a.first_time, a.last_time, b.first_time, b.last_time):
        return True
    return (a.first_time - cl.window <= b.last_time  # type: ignore[operator]
            and b.first_time - cl.window <= a.last_time)  # type: ignore[operator]


def _take_dirty(cl: StoryClusterer) -> list[int]:
    """The parts changed since the last pass, sorted, and a fresh dirty set. Only a part that
    changed can have converged with another one; this keeps a pass proportional to recent
    activity, not to the number of live stories."""
    dirty, cl._dirty = sorted(cl._dirty), set()
    return dirty


def merge_candidates(cl: StoryClusterer, centroid_min: float = 0.8, margin: float = 0.1,
                     neighbours: int = 5, dirty: list[int] | None = None) -> list[tuple[int, int, float]]:
    """(younger id, older id, mean cross score) for live pairs of one space that pass both
    tests. ``dirty``: the sorted parts to look from (default: taken from the clusterer)."""
    if dirty is None:
        dirty = _take_dirty(cl)
    if not cl._indexes:
        return []
    out = []
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
        span = _span(a)
        for oid in sorted(label for label, _ in index.query(c, neighbours + 1, ef=48, near=span,
                                                              slack=cl.window.total_seconds())):
            b = cl.stories[oid]
            # each unordered pair once; and only live, comparable stories near in time
            if oid == sid or (oid < sid and oid in dirty) or b.closed or b.merged_into is not None or not b.member_vecs:
                continue
            if not _spans_meet(cl, a, b):
                continue
            cb = b.centroid()
            if cb is None or float(c @ cb) < centroid_min:
                continue
            cross = _cross_scores(cl, a, b)
            mean = float(cross.mean())
            threshold = cl.threshold_for(a.space)
            agree = mean >= threshold or _later_would_join(cl, a, b, cross, threshold)
            if agree and float(cross.min()) >= threshold - margin:
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
        cl._indexes[old.space].upsert(old.id, centroid, _span(old))
    title = old.title_centroid()
    if title is not None and old.space in cl._titles:
        cl._titles[old.space].upsert(old.id, title, _span(old))


def merge_converging(cl: StoryClusterer, centroid_min: float = 0.8, margin: float = 0.1) -> list[tuple[int, int]]:
    """Merge every converged pair of one space (best pairs first), then join the stories whose
    parts in different spaces agree by title (``merge_across_spaces``, when
    ``cl.cross_space_merge``); returns the (merged, into) id pairs: parts for the first, story
    roots for the second."""
    dirty = _take_dirty(cl)
    done: list[tuple[int, int]] = []
    touched: set[int] = set()
    cands = {(y, o): m for y, o, m in merge_candidates(cl, centroid_min, margin, dirty=dirty)}
    for (young, old), _ in sorted(cands.items(), key=lambda x: (-x[1], x[0])):
        # a story changed by an earlier merge this round is re-checked next round, not now
        if young in touched or old in touched:
            continue
        merge_stories(cl, young, old)
        touched.update((young, old))
        done.append((young, old))
    if cl.cross_space_merge and cl.bridge_threshold is not None:
        # after the merges of one space: those rest on stronger evidence (title + lead)
        done += merge_across_spaces(cl, dirty)
    return done


# --- across spaces ----------------------------------------------------------------------------
def _live_titled(s: StoryState | None) -> bool:
    return s is not None and not s.closed and s.merged_into is None and s.title_count > 0


def _start_gap_factor(a: StoryState, b: StoryState) -> float:
    """A date-gap factor like the bridge's (``newsloom.stories.items._gap_factor``), taken
    between the two parts' *first* reports, with a shorter grace (``CROSS_SPACE_GRACE``): the
    titles compared are those of their first members, and the first reports of one event in
    two languages come close together. Stricter than the bridge's gap from a part's whole
    span: a long-running story cannot absorb the next event of its kind."""
    if a.first_time is None or b.first_time is None:
        return 1.0
    gap = abs(a.first_time - b.first_time) - CROSS_SPACE_GRACE
    if gap.total_seconds() <= 0:
        return 1.0
    return 0.5 ** (gap.total_seconds() / 86400 / _BRIDGE_HALF_LIFE_DAYS)


def title_agreement(cl: StoryClusterer, a: StoryState, b: StoryState) -> tuple[float, float] | None:
    """(mean, min) over every cross pair of titled members of parts ``a`` and ``b`` of the
    bridge's pair score (title cosine + IDF name and number overlaps), times the date-gap
    factor; None when no titles, or when even full name and number agreement could not lift
    the mean to ``bridge_threshold`` (most candidates: skips the per-pair signal work)."""
    ta = [(t, sig) for t, sig in zip(a.member_titles, a.member_sig) if t is not None]
    tb = [(t, sig) for t, sig in zip(b.member_titles, b.member_sig) if t is not None]
    if not ta or not tb or cl.bridge_threshold is None:
        return None
    cos = np.stack([t for t, _ in ta]) @ np.stack([t for t, _ in tb]).T
    gap = _start_gap_factor(a, b)
    w = cl.name_weight + cl.number_weight
    # a pair score never exceeds (cos + w) / (1 + w), so neither does the mean
    if gap * (float(cos.mean()) + w) / (1.0 + w) < cl.bridge_threshold:
        return None
    scores = np.array([[cl._pair_from_cos(float(cos[i, j]), sa, sb) for j, (_, sb) in enumerate(tb)]
                       for i, (_, sa) in enumerate(ta)])
    return gap * float(scores.mean()), gap * float(scores.min())


def cross_space_candidates(cl: StoryClusterer, dirty: Iterable[int],
                           margin: float = CROSS_SPACE_MARGIN) -> list[tuple[int, int, float]]:
    """(part, part of another space, title score) for the pairs of live parts of different
    stories that pass the tests of the module doc, each pair once (lower id first), looking
    from the ``dirty`` parts only."""
    threshold = cl.bridge_threshold
    if threshold is None or len(cl._titles) < 2:
        return []
    out: list[tuple[int, int, float]] = []
    seen: set[tuple[int, int]] = set()
    for sid in sorted(dirty):
        a = cl.stories.get(sid)
        if a is None or not _live_titled(a):
            continue
        centre = a.title_centroid()
        if centre is None:
            continue
        for space in sorted(cl._titles):
            if space == a.space:
                continue
            found = cl._titles[space].query(centre, cl.bridge_candidates, near=_span(a),
                                            slack=cl.window.total_seconds())
            for oid in sorted(label for label, _ in found):
                b = cl.stories[oid]
                pair = (min(sid, oid), max(sid, oid))
                if pair in seen or not _live_titled(b) or not _spans_meet(cl, a, b):
                    continue
                seen.add(pair)
                ra, rb = cl.resolve(sid), cl.resolve(oid)
                if ra == rb or cl.live_spaces(ra) & cl.live_spaces(rb):
                    continue
                agreement = title_agreement(cl, a, b)
                if agreement is None:
                    continue
                mean, low = agreement
                if mean >= threshold and low >= threshold - margin:
                    out.append((*pair, mean))
    return out


def merge_across_spaces(cl: StoryClusterer, dirty: Iterable[int],
                        margin: float = CROSS_SPACE_MARGIN) -> list[tuple[int, int]]:
    """Join the stories of every pair ``cross_space_candidates`` finds (best pairs first, ties
    by id); returns the (merged story, into) pairs ``union`` recorded in ``cl.merges``."""
    done: list[tuple[int, int]] = []
    touched: set[int] = set()
    for a, b, score in sorted(cross_space_candidates(cl, dirty, margin), key=lambda x: (-x[2], x[0], x[1])):
        ra, rb = cl.resolve(a), cl.resolve(b)
        if ra in touched or rb in touched:
            # a story joined another this round: looked at again next round, as it is now
            cl._dirty.update((a, b))
            continue
        merged = cl.union(a, b)
        if merged is None:
            continue
        touched.update((ra, rb))
        done.append(merged)
        log.debug("stories: story %d joined story %d across embedding spaces (%s part %d, %s part %d) "
                  "by title: score %.3f >= %.2f", merged[0], merged[1], cl.stories[a].space, a,
                  cl.stories[b].space, b, score, cl.bridge_threshold)
    return done

