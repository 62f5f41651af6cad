"""How the story clusterer's memory stays bounded (``Expiry``, mixed into
``newsloom.stories.cluster.StoryClusterer``): parts close once both old in time and untouched for
``window_items`` arrivals, closed stories are forgotten once their articles are two windows old,
and the name and number counts drop their rarest keys past a bound. Closing is a memory bound,
not a rule of time: which stories an article may join is decided by their time spans (see the
clusterer's module doc).
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from newsloom.stories.items import StoryState

if TYPE_CHECKING:
    from newsloom.stories.index import CentroidIndex


class Expiry:
    """Closing and forgetting parts (needs the clusterer's state: ``stories``, ``seq``,
    ``clock``, ``window``, ``window_items``, the two heaps, ``_arrivals``, ``article_story``,
    ``_linked``, ``_dirty``, the indexes and ``resolve``)."""

    stories: dict[int, StoryState]
    seq: int
    clock: datetime | None
    window: timedelta
    window_items: int
    article_story: dict[int, int]
    _time_heap: list[tuple[datetime, int]]
    _seq_heap: list[tuple[int, int]]
    _arrivals: deque[tuple[int, int]]
    _linked: dict[int, list[int]]
    _dirty: set[int]
    _indexes: dict[str, CentroidIndex]
    _titles: dict[str, CentroidIndex]

    if TYPE_CHECKING:
        def resolve(self, story_id: int) -> int: ...

    def _expire(self) -> None:
        """Drop from memory the parts that are both old in time (``window`` before the newest
        date seen) and untouched for ``window_items`` arrivals; undated parts on the second
        test alone. Closing is a memory bound, not a rule of time: which stories an article
        may join is decided by their spans (:meth:`_in_window`), so a back-filled archive
        keeps its stories open while it streams in. Each part sits in both heaps; whichever
        test passes second closes it."""
        limit_seq = self.seq - self.window_items
        limit = None if self.clock is None else self.clock - self.window
        if limit is not None:
            while self._time_heap and self._time_heap[0][0] < limit:
                when, sid = heapq.heappop(self._time_heap)
                s = self.stories.get(sid)  # None: forgotten already (an old entry of the heap)
                if s is not None and s.last_time == when and s.last_seq < limit_seq:
                    self._close(s)
        while self._seq_heap and self._seq_heap[0][0] < limit_seq:
            seq, sid = heapq.heappop(self._seq_heap)
            s = self.stories.get(sid)
            if s is not None and s.last_seq == seq and (
                    s.last_time is None or (limit is not None and s.last_time < limit)):
                self._close(s)
        self._forget_closed(limit_seq - self.window_items)

    def _forget_closed(self, limit_seq: int) -> None:
        """Forget for good the stories whose every part is closed, once their articles are
        two ``window_items`` old (a closed part stays one window more, so a late copy of one
        of its reports still joins it): the part records and the article -> part map. Without
        this a daemon keeps a small record for every story it ever made (~0.4 kB an article).
        Afterwards the clusterer knows these articles as it would after a restart (which
        replays only the newest articles): a copy of one of them is compared normally, and a
        removal finds its story in the store. An article whose story still has a live part is
        looked at again one window later."""
        while self._arrivals and self._arrivals[0][0] < limit_seq:
            _, aid = self._arrivals.popleft()
            pid = self.article_story.get(aid)
            if pid is None:
                continue  # removed
            if pid not in self.stories:
                del self.article_story[aid]  # its story was forgotten
                continue
            root = self.resolve(pid)
            parts = [root, *self._linked.get(root, ())]
            if any(p in self.stories and not self.stories[p].closed for p in parts):
                self._arrivals.append((self.seq, aid))  # the story lives on
                continue
            for p in parts:
                self.stories.pop(p, None)
                self._dirty.discard(p)
            self._linked.pop(root, None)
            del self.article_story[aid]

    def _close(self, s: StoryState) -> None:
        if s.closed:
            return
        s.closed = True
        for indexes in (self._indexes, self._titles):
            if s.space in indexes:
                indexes[s.space].remove(s.id)
        # Closed stories are never compared again: drop what only comparison needs (a closed
        # part keeps ids and counts: a duplicate may still join it, a removal still finds it).
        s.member_vecs, s.member_sig, s.member_titles, s.member_langs = [], [], [], []
        s.centroid_sum = s.title_sum = None


def _forget_singletons(df: Counter[str]) -> None:
    """Drop the keys counted once (or, if that frees less than a quarter, the least counted
    quarter): the counter stays bounded and the cost is paid once per many arrivals."""
    keep = {k: c for k, c in df.items() if c > 1}
    if len(keep) > 0.75 * len(df):
        cut = sorted(df.values())[len(df) // 4]
        keep = {k: c for k, c in df.items() if c > cut}
    df.clear()
    df.update(keep)
