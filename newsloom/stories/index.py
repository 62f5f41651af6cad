"""The candidate index of the story clusterer: live story centroids, exact then HNSW, each
with the time span of its story so a query can ask only for the stories near a date."""

from __future__ import annotations

import math

import hnswlib
import numpy as np

# The span of a story without dates: a candidate at any time.
UNDATED = (-math.inf, math.inf)


class CentroidIndex:
    """Live story centroids; labels are story ids.

    Exact numpy search while there are at most ``exact_limit`` live stories (a scan of 2,048 x
    512 floats is ~0.2 ms), then, for good, HNSW (hnswlib): at 100k live stories a scan costs
    ~15 ms, HNSW ~1 ms. The switch depends only on the sequence of calls, so a replay switches
    at the same article. In the exact regime a restart from saved state continues exactly;
    in the HNSW regime hnswlib does not save its level RNG, so graphs built after a restart can
    differ from an uninterrupted run (only results that hinge on an ANN miss can differ).

    Every label has a time span (POSIX seconds ``(first, last)``; :data:`UNDATED` for a story
    without dates). A query may name an interval and a slack: only labels whose span comes
    within the slack of it are returned, so an article dated 2009 is compared with the
    stories of 2009, wherever it arrives in the stream (arrival order says nothing about
    time: archives are back-filled, feeds polled with lag). The filter is applied inside the
    search (a mask in the exact regime, hnswlib's filter in the graph), not after it: the
    nearest stories of other years would otherwise crowd out the right one.
    """

    def __init__(self, dim: int, exact_limit: int = 2048, m: int = 12, ef_construction: int = 64,
                 ef_search: int = 96) -> None:
        self.dim = dim
        self.exact_limit = exact_limit
        # graph degree and beam widths; a lighter graph (the title index of bridges) inserts
        # ~3x faster for a little recall
        self.m, self.ef_construction, self.ef_search = m, ef_construction, ef_search
        self.live: dict[int, np.ndarray] = {}  # label -> the vector the index holds
        self.spans: dict[int, tuple[float, float]] = {}  # label -> (first, last) seconds
        self.hnsw: hnswlib.Index | None = None
        self._mat = np.zeros((64, dim), dtype=np.float32)
        self._labels = np.full(64, -1, dtype=np.int64)
        self._lo = np.full(64, -np.inf)  # span per row (exact regime)
        self._hi = np.full(64, np.inf)
        self._row: dict[int, int] = {}
        self._free: list[int] = list(range(63, -1, -1))

    def set_span(self, label: int, span: tuple[float, float]) -> None:
        """Record a label's time span (cheap: no re-linking)."""
        if label not in self.live:
            return
        self.spans[label] = span
        if self.hnsw is None:
            row = self._row[label]
            self._lo[row], self._hi[row] = span

    def upsert(self, label: int, vec: np.ndarray, span: tuple[float, float] | None = None) -> None:
        if span is not None:
            self.spans[label] = span
        span = self.spans.setdefault(label, UNDATED)
        if self.hnsw is None:
            row = self._row.get(label)
            if row is None:
                if not self._free:
                    n = len(self._labels)
                    self._mat = np.concatenate([self._mat, np.zeros((n, self.dim), dtype=np.float32)])
                    self._labels = np.concatenate([self._labels, np.full(n, -1, dtype=np.int64)])
                    self._lo = np.concatenate([self._lo, np.full(n, -np.inf)])
                    self._hi = np.concatenate([self._hi, np.full(n, np.inf)])
                    self._free = list(range(2 * n - 1, n - 1, -1))
                row = self._free.pop()
                self._row[label] = row
                self._labels[row] = label
            self._mat[row] = vec
            self._lo[row], self._hi[row] = span
            self.live[label] = vec
            if len(self.live) > self.exact_limit:
                self._build_hnsw()
            return
        if label in self.live:
            # Re-linking a point costs as much as an insert; candidates are rescored exactly
            # against members anyway, so a slightly stale centroid is fine.
            if float(self.live[label] @ vec) >= 0.97:
                return
            self.hnsw.add_items(vec[None, :], [label], replace_deleted=False)
        else:
            if self.hnsw.get_current_count() >= self.hnsw.get_max_elements() and \
                    len(self.live) >= self.hnsw.get_max_elements():
                self.hnsw.resize_index(2 * self.hnsw.get_max_elements())
            self.hnsw.add_items(vec[None, :], [label], replace_deleted=True)
        self.live[label] = vec

    def _build_hnsw(self) -> None:
        self.hnsw = hnswlib.Index(space="ip", dim=self.dim)
        # One thread and a fixed seed: hnswlib is then deterministic for a given call order.
        self.hnsw.init_index(max_elements=4 * len(self.live), ef_construction=self.ef_construction, M=self.m,
                             random_seed=0, allow_replace_deleted=True)
        self.hnsw.set_num_threads(1)
        labels = sorted(self.live)
        self.hnsw.add_items(np.stack([self.live[x] for x in labels]), labels)
        self._mat = self._labels = self._lo = self._hi = None  # type: ignore[assignment]
        self._row, self._free = {}, []

    def remove(self, label: int) -> None:
        if label not in self.live:
            return
        del self.live[label]
        self.spans.pop(label, None)
        if self.hnsw is not None:
            self.hnsw.mark_deleted(label)
            return
        row = self._row.pop(label)
        self._labels[row] = -1
        self._mat[row] = 0.0
        self._free.append(row)

    def query(self, vec: np.ndarray, k: int, ef: int | None = None,
              near: tuple[float, float] | None = None, slack: float = 0.0) -> list[tuple[int, float]]:
        """(label, inner product with the indexed centroid), nearest first. ``ef``: the HNSW
        beam width for this query (default ``ef_search``); a narrower beam is enough to find
        very close neighbours. ``near``: an interval (POSIX seconds; equal ends for one date):
        only labels whose span comes within ``slack`` seconds of it."""
        k = min(k, len(self.live))
        if k == 0:
            return []
        if self.hnsw is None:
            sims = self._mat @ vec
            sims[self._labels < 0] = -np.inf
            if near is not None:
                sims[(self._lo - slack > near[1]) | (self._hi + slack < near[0])] = -np.inf
            top = np.argpartition(-sims, k - 1)[:k] if k < len(sims) else np.arange(len(sims))
            pairs = sorted(((float(sims[r]), int(self._labels[r])) for r in top if sims[r] > -np.inf),
                           key=lambda x: (-x[0], x[1]))
            return [(lab, sim) for sim, lab in pairs if lab >= 0][:k]
        self.hnsw.set_ef(max(ef or self.ef_search, 2 * k))
        allow = None
        if near is not None:
            spans, lo, hi = self.spans, near[0] - slack, near[1] + slack

            def allow(label: int) -> bool:
                a, b = spans.get(label, UNDATED)
                return a <= hi and b >= lo
        try:
            labels, dist = self.hnsw.knn_query(vec[None, :], k=k, num_threads=1, filter=allow)
        except RuntimeError:
            # the graph search found fewer than k labels that pass the filter (hnswlib cannot
            # return a ragged result): few stories near that date, so scan the ones that pass
            assert allow is not None
            ok = sorted(label for label in self.live if allow(label))
            if not ok:
                return []
            sims = np.stack([self.live[x] for x in ok]) @ vec
            return sorted(((lab, float(s)) for lab, s in zip(ok, sims)), key=lambda x: (-x[1], x[0]))[:k]
        return [(int(x), 1.0 - float(d)) for x, d in zip(labels[0], dist[0])]
