"""Putting an article in a story decided elsewhere, and taking one out: the start-up replay's
``place`` (the store says which story) and a removal's ``remove``. Mixed into
``newsloom.stories.cluster.StoryClusterer``, whose state and part helpers they use.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.blas import one_blas_thread
from newsloom.stories.items import Assignment, ClusterItem, StoryState, _unit
from newsloom.stories.items import span as _span

if TYPE_CHECKING:
    from newsloom.stories.index import CentroidIndex
    from newsloom.stories.langmean import LanguageMeans


class Placement:
    """``place``, ``remove`` and the part an article belongs in (needs the clusterer's
    ``stories``, ``article_story``, indexes, ``seq``, ``min_words``, ``language_centred`` and its
    ``_arrive``, ``_vec``, ``_signals``, ``_join``, ``_link``, ``resolve``, ``_in_window``)."""

    stories: dict[int, StoryState]
    article_story: dict[int, int]
    seq: int
    min_words: int
    language_centred: frozenset[str]
    _lang_means: "LanguageMeans"
    _indexes: dict[str, "CentroidIndex"]
    _titles: dict[str, "CentroidIndex"]
    _linked: dict[int, list[int]]

    if TYPE_CHECKING:
        def resolve(self, story_id: int) -> int: ...
        def _arrive(self, item: ClusterItem) -> tuple[datetime | None, str | None]: ...
        def _vec(self, item: ClusterItem) -> np.ndarray | None: ...
        def _signals(self, item: ClusterItem) -> Any: ...
        def _join(self, s: StoryState, item: ClusterItem, t: datetime | None,
                  vec: np.ndarray | None, sig: Any) -> None: ...
        def _link(self, part_id: int, into: int) -> None: ...
        def _in_window(self, t: datetime | None, s: StoryState) -> bool: ...

    def place(self, item: ClusterItem, story_id: int) -> Assignment:
        """Put an article in a story decided earlier (start-up replay from the store), keeping
        the state :meth:`add` would have built: counts, rarity, members, spans. The store is
        the truth: whatever order the stored stories were formed in (a stream, a date-ordered
        rebuild, merges), memory follows them. No maintenance runs here."""
        with one_blas_thread():
            t, reason = self._arrive(item)
            vec = self._vec(item)
            short = vec is None or (item.n_words is not None and item.n_words < self.min_words)
            sig = None if short or item.duplicate_of is not None else self._signals(item)
            part = self._part_of(story_id, item.space, t)
            if part is None:
                pid = story_id if story_id not in self.stories else item.article_id
                part = StoryState(id=pid, first_time=t, last_time=t, last_seq=self.seq,
                                  first_seq=self.seq, space=item.space)
                self.stories[pid] = part
                if pid != story_id:
                    self._link(pid, self.resolve(story_id))
            self._join(part, item, t, None if short else vec, sig)
            return Assignment(self.resolve(part.id), part.count == 1, 1.0, reason, t)

    def remove(self, article_id: int, vector: np.ndarray | None = None, lang: str | None = None) -> int | None:
        """Take an article out of its story (a publisher's removal request, a retracted page):
        it is no longer a member, its vector leaves the part's centroid (``vector``: the
        article's stored vector, needed when the part no longer keeps it among its members)
        and a part left empty leaves the indexes. Returns the story id it was in, or None when
        the clusterer never saw it. The story id stays (ids never change); the caller re-marks
        the story's lineage, so a story whose first report was removed gets a new first."""
        pid = self.article_story.pop(article_id, None)
        if pid is None:
            return None
        s = self.stories[pid]
        s.count = max(0, s.count - 1)
        vec = None
        if article_id in s.member_ids:
            i = s.member_ids.index(article_id)
            vec = s.member_vecs[i] if i < len(s.member_vecs) else None
            if s.member_titles[i:i + 1] and s.member_titles[i] is not None and s.title_sum is not None:
                s.title_sum = s.title_sum - s.member_titles[i]
                s.title_count -= 1
            for lst in (s.member_ids, s.member_vecs, s.member_sig, s.member_titles, s.member_langs):
                if i < len(lst):
                    del lst[i]
        if vec is None:
            vec = _unit(vector)
            if vec is not None and s.space in self.language_centred:
                # as it was when it joined, near enough: its language's mean now (not learned again)
                vec = self._lang_means.centre(s.space, lang, vec)
        if vec is not None and s.centroid_sum is not None:
            s.centroid_sum = s.centroid_sum - vec
        if not s.member_vecs or s.count == 0:
            s.centroid_sum, s.title_sum, s.title_count = None, None, 0
            for indexes in (self._indexes, self._titles):
                if s.space in indexes:
                    indexes[s.space].remove(s.id)
        elif not s.closed:
            c = s.centroid()
            if c is not None and float(np.linalg.norm(s.centroid_sum)) > 1e-6:
                self._indexes[s.space].upsert(s.id, c, _span(s))
        return self.resolve(pid)

    def _part_of(self, story_id: int, space: str, t: datetime | None) -> StoryState | None:
        """The open part of story ``story_id`` in ``space`` that an article dated ``t`` fits
        best (the latest touched), if any."""
        if story_id not in self.stories:
            return None
        root = self.resolve(story_id)
        parts = [self.stories[p] for p in [root, *self._linked.get(root, ())]]
        fits = [p for p in parts if p.space == space and not p.closed and p.merged_into is None]
        if not fits:
            return None
        return max(fits, key=lambda p: (self._in_window(t, p), p.last_seq, -p.id))
