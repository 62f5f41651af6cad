"""Bridges between vector spaces, the story clusterer's part that lets an article of one space
(an uncovered language, embedded with e5-small) join a story of another (USE-m3), through the
title vectors every article shares, and the union-find that makes several parts one story.
Mixed into ``newsloom.stories.cluster.StoryClusterer``; the rules are in that module's doc.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.errors import StoryError
from newsloom.stories.index import CentroidIndex
from newsloom.stories.langmean import LanguageMeans
from newsloom.stories.items import ClusterItem, StoryState, _gap_factor, _unit, names_compared

if TYPE_CHECKING:
    from collections.abc import Mapping


# the key of the title vectors' language means (every space's titles share one space)
TITLE_SPACE = "title"


class Bridges:
    """Title-space joins and part links (needs the clusterer's state: ``stories``, ``_titles``,
    ``_linked``, ``merges``, the weights and thresholds, ``resolve``, ``_near``,
    ``_in_window`` and ``_top_k_score``)."""

    stories: dict[int, StoryState]
    _titles: dict[str, CentroidIndex]
    _linked: dict[int, list[int]]
    merges: list[tuple[int, int]]
    bridge_threshold: float | None
    bridge_candidates: int
    name_weight: float
    number_weight: float
    exact_search_limit: int
    centre_titles: bool
    _lang_means: LanguageMeans

    if TYPE_CHECKING:
        def resolve(self, story_id: int) -> int: ...
        def _near(self, t: datetime | None) -> Mapping[str, Any]: ...
        def _in_window(self, t: datetime | None, s: StoryState) -> bool: ...
        def _top_k_score(self, cos: Any, member_sig: list[Any], sig: Any, threshold: float,
                         agreement_only: bool = False) -> float: ...

    def _title_vec(self, item: ClusterItem) -> np.ndarray | None:
        if callable(item.title_vector):
            item.title_vector = item.title_vector()  # computed once, when first needed
        v = _unit(item.title_vector)
        if v is None:
            return None
        if self.centre_titles and item.title_raw is None:
            # once per item (a bridge and a join may both ask); the vector as it came is kept
            # for its language's mean, should the item start a part
            item.title_raw = v
            v = self._lang_means.centre(TITLE_SPACE, item.lang, v)
            item.title_vector = v
        dims = {ix.dim for ix in self._titles.values()}
        if dims and v.shape[0] not in dims:
            raise StoryError(f"article {item.article_id}: title vector has {v.shape[0]} dims, "
                             f"the clusterer holds {dims.pop()}-d title vectors")
        if item.space not in self._titles:
            # a lighter graph than the candidate index (every part is inserted, only articles
            # that found nothing in their own space query it). Measured at 90k titles made of
            # mixtures of real e5 titles: the planted near-copy is in the top 5 for 73% of
            # queries at M=8 / ef 32 (insert 0.19 ms), 89% at M=12, construction ef 48 / ef 32,
            # 96% at ef 64 (insert 0.44 ms, query 0.25 ms)
            self._titles[item.space] = CentroidIndex(v.shape[0], self.exact_search_limit, m=12,
                                                     ef_construction=48, ef_search=64)
        return v

    def _bridge(self, item: ClusterItem, t: datetime | None, sig: Any) -> tuple[StoryState, float, str] | None:
        """The best live part of *another* space whose title-space score reaches
        ``bridge_threshold`` (see the module doc), with the reason to record; else None."""
        if self.bridge_threshold is None or item.title_vector is None:
            return None
        tvec = self._title_vec(item)
        if tvec is None:
            return None
        w = self.name_weight + self.number_weight
        best: tuple[StoryState, float] | None = None
        for space in sorted(self._titles):
            if space == item.space:
                continue
            for pid, ip in self._titles[space].query(tvec, self.bridge_candidates, **self._near(t)):
                p = self.stories[pid]
                if p.title_count == 1 and (ip + w) / (1.0 + w) < self.bridge_threshold - 1e-6:
                    continue
                if not self._in_window(t, p):
                    continue
                score = self._bridge_score(p, tvec, sig) * _gap_factor(t, p)
                if score < self.bridge_threshold:
                    continue
                if best is not None and (score < best[1] or (score == best[1] and pid > best[0].id)):
                    continue
                if self._has_live_part(self.resolve(pid), item.space):
                    continue  # compared in the article's own space already, and not matched
                best = (p, score)
        if best is None:
            return None
        p, score = best
        titles = [(m, mt, ms) for m, mt, ms in zip(p.member_ids, p.member_titles, p.member_sig) if mt is not None]
        _, _, msig = max(titles, key=lambda x: (float(x[1] @ tvec), -x[0]))
        mine, theirs = names_compared(sig, msig)  # the names the score compared (keys across languages)
        ranked = sorted(set(mine) & set(theirs), key=lambda k: (-mine[k], k))
        shared = list(dict.fromkeys(n.lstrip("@") for n in ranked))[:4]  # entity keys shown plain
        cos = max(float(mt @ tvec) for _, mt, _ in titles)
        why = (f"joined across embedding spaces ({item.space} -> {p.space}) by title: best title "
               f"cosine {cos:.2f}, score {score:.3f} >= {self.bridge_threshold:.2f}"
               + (f", shared names {', '.join(shared)}" if shared else ""))
        return p, score, why

    def _bridge_score(self, p: StoryState, tvec: np.ndarray, sig: Any) -> float:
        titles = [(mt, ms) for mt, ms in zip(p.member_titles, p.member_sig) if mt is not None]
        if not titles:
            return 0.0
        cos = np.stack([mt for mt, _ in titles]) @ tvec
        return self._top_k_score(cos, [ms for _, ms in titles], sig, self.bridge_threshold or 1.0)

    def live_spaces(self, root: int) -> set[str]:
        """The spaces in which story ``root`` has a live part."""
        out = set()
        for pid in [root, *self._linked.get(root, ())]:
            p = self.stories[pid]
            if not p.closed and p.merged_into is None and p.centroid_sum is not None:
                out.add(p.space)
        return out

    def _has_live_part(self, root: int, space: str) -> bool:
        return space in self.live_spaces(root)

    def _link(self, part_id: int, into: int) -> None:
        """Make part ``part_id`` (a story root) part of story ``into`` (a root)."""
        self.stories[part_id].story = into
        self._linked.setdefault(into, []).append(part_id)
        self._linked[into].extend(self._linked.pop(part_id, []))

    def union(self, a: int, b: int) -> tuple[int, int] | None:
        """Make the stories of parts ``a`` and ``b`` one: the younger story (its first part
        arrived later) joins the older one. Returns (merged story, into), or None when they
        were one story already."""
        ra, rb = self.resolve(a), self.resolve(b)
        if ra == rb:
            return None
        sa, sb = self.stories[ra], self.stories[rb]
        young, old = (sa, sb) if (sa.first_seq, sa.id) > (sb.first_seq, sb.id) else (sb, sa)
        self._link(young.id, old.id)
        self.merges.append((young.id, old.id))
        return young.id, old.id
