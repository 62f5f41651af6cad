"""Online story clustering: one pass, arrival order, deterministic, across languages.

Each article joins the best *live* story or starts a new one. A story is live while it keeps
being updated: one not updated within ``window`` of the stream clock (the latest article time
seen) is closed for good, so a new event of the same kind (another earthquake, the next
quarterly report) starts a new story instead of reviving an old one. Undated streams have no
clock; there a story closes after ``window_items`` arrivals without an update.

Score of an article against a story: for each kept member, a pair score

    (cos + w_names * idf_cos(names) + w_numbers * idf_cos(numbers)) / (1 + w_names + w_numbers)

and the story score is the mean of the best ``min(n, top_k)`` pair scores. Two reasons for
this shape:

- names and numbers survive translation almost unchanged, so they separate "same event" from
  "same topic" where the multilingual embedding blurs the two; weighting them by inverse
  document frequency (counted online over the stream) makes "Boeing" in an aviation week
  worth less than "Sjölander";
- averaging the top few member scores (not the max) means a growing story must agree with
  *several* of its members, which stops chaining (A~B, B~C, C~D: single-link drift) and stops
  a big story from swallowing its neighbours through its centroid.

Candidates come from an HNSW index (hnswlib, inner product) over live story centroids, then are
rescored exactly against members. Story id = the id of its first article: stable as it grows,
and identical whether the stream is processed live or replayed from the archive.
"""

from __future__ import annotations

import heapq
import math
import pickle
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from newsloom.blas import one_blas_thread
from newsloom.errors import StoryError
from newsloom.stories.index import CentroidIndex

# Before the web there were no online news; such dates are parser accidents (epoch zero etc.).
_EARLIEST_PLAUSIBLE = datetime(1991, 1, 1, tzinfo=UTC)
_STATE_VERSION = 1
# Body characters embedded after the title (newsloom.analyse.embed.article_text). Measured on
# MEANTIME + Primer (BCubed F1): 800 chars 0.995 / 0.983, 2,000 chars 0.997 / 0.981 at 2.5x the
# embedding time; the lead carries the event, the tail drifts into background.
DEFAULT_LEAD_CHARS = 800


@dataclass
class ClusterItem:
    """What the clusterer needs from one article (built by :func:`make_item` or by hand)."""

    article_id: int
    vector: np.ndarray | None  # L2-normalised float32 (title + lead); None = nothing to embed
    lang: str | None = None
    published: datetime | None = None
    arrival: datetime | None = None  # when newsloom got it (Article.fetched_at)
    names: frozenset[str] = frozenset()
    numbers: frozenset[str] = frozenset()
    duplicate_of: int | None = None  # set by dedupe: joins the original's story directly
    n_words: int | None = None  # words of title + text; too few = nothing to compare


@dataclass
class Assignment:
    story_id: int
    is_new_story: bool
    score: float  # story score of the best candidate (0.0 when there was none)
    reason: str | None = None  # why the default path was not taken (duplicate, empty, clamped date)
    time: datetime | None = None  # the time the clusterer used for the article


@dataclass
class StoryState:
    """One story as the clusterer sees it. Members beyond ``max_members`` keep only counts."""

    id: int
    first_time: datetime | None
    last_time: datetime | None
    last_seq: int
    first_seq: int = 0  # arrival number of its first article (older story wins a merge)
    count: int = 0
    centroid_sum: np.ndarray | None = None
    member_ids: list[int] = field(default_factory=list)  # kept members (see _keep)
    member_vecs: list[np.ndarray] = field(default_factory=list)
    member_sig: list[tuple[dict[str, float], dict[str, float]]] = field(default_factory=list)
    langs: Counter[str] = field(default_factory=Counter)
    closed: bool = False
    merged_into: int | None = None

    def centroid(self) -> np.ndarray | None:
        if self.centroid_sum is None:
            return None
        if self.count == 1:
            return self.centroid_sum  # one member: already unit length
        n = float(np.linalg.norm(self.centroid_sum))
        return self.centroid_sum / n if n > 0 else None


def _utc(d: datetime | None) -> datetime | None:
    if d is None:
        return None
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d.astimezone(UTC)


def _idf_cos(a: dict[str, float], b: dict[str, float]) -> float:
    if not a or not b:
        return 0.0
    small, big = (a, b) if len(a) <= len(b) else (b, a)
    dot = sum(w * big[k] for k, w in small.items() if k in big)
    if dot == 0.0:
        return 0.0
    na = math.sqrt(sum(w * w for w in a.values()))
    nb = math.sqrt(sum(w * w for w in b.values()))
    return dot / (na * nb)


class StoryClusterer:
    """Online clusterer. ``add`` items in arrival order; see the module doc for the rules."""

    def __init__(
        self,
        threshold: float = 0.70,
        window: timedelta = timedelta(days=3),
        window_items: int = 100_000,
        name_weight: float = 0.3,
        number_weight: float = 0.1,
        top_k: int = 3,
        candidates: int = 10,
        max_members: int = 32,
        min_words: int = 3,
        maintain_every: int = 50,
        exact_search_limit: int = 2048,
    ) -> None:
        if not 0.0 < threshold <= 1.0:
            raise StoryError(f"threshold={threshold!r}: expected a number in (0, 1]")
        if window <= timedelta(0) or window_items < 1:
            raise StoryError(f"window={window!r}, window_items={window_items!r}: must be positive")
        self.threshold = threshold
        self.window = window
        self.window_items = window_items
        self.name_weight = name_weight
        self.number_weight = number_weight
        self.top_k = top_k
        self.candidates = candidates
        self.max_members = max_members
        self.min_words = min_words
        self.maintain_every = maintain_every
        self.exact_search_limit = exact_search_limit
        self.stories: dict[int, StoryState] = {}
        self.article_story: dict[int, int] = {}
        self.seq = 0
        self.clock: datetime | None = None
        self._df_names: Counter[str] = Counter()
        self._df_numbers: Counter[str] = Counter()
        self._n_docs = 0
        self._index: CentroidIndex | None = None
        self._time_heap: list[tuple[datetime, int]] = []
        self._seq_heap: list[tuple[int, int]] = []
        self._dirty: set[int] = set()  # stories changed since the last maintenance pass
        self.merges: list[tuple[int, int]] = []  # (merged story, into), in the order done

    # --- public -----------------------------------------------------------------------------
    def resolve(self, story_id: int) -> int:
        """The live id for a story id, following ``merged_into`` (ids stay resolvable)."""
        seen = 0
        while (s := self.stories.get(story_id)) is not None and s.merged_into is not None:
            story_id = s.merged_into
            seen += 1
            if seen > len(self.stories):
                raise StoryError(f"story {story_id}: merged_into forms a cycle")
        return story_id

    def story_of(self, article_id: int) -> int | None:
        sid = self.article_story.get(article_id)
        return None if sid is None else self.resolve(sid)

    def live_story_ids(self) -> list[int]:
        return sorted(s.id for s in self.stories.values() if not s.closed and s.merged_into is None)

    def add(self, item: ClusterItem) -> Assignment:
        """Cluster one article (see the module doc); raises StoryError on bad input."""
        with one_blas_thread():
            return self._add(item)

    def _add(self, item: ClusterItem) -> Assignment:
        if item.article_id in self.article_story:
            raise StoryError(f"article {item.article_id}: already clustered (ids must be unique)")
        self.seq += 1
        t, reason = self._effective_time(item)
        if t is not None and (self.clock is None or t > self.clock):
            self.clock = t
        self._expire()

        if item.duplicate_of is not None and item.duplicate_of in self.article_story:
            sid = self.resolve(self.article_story[item.duplicate_of])
            self._join(self.stories[sid], item, t, self._vec(item), None)
            return Assignment(sid, False, 1.0, _why(reason, f"duplicate of article {item.duplicate_of}"), t)
        if item.duplicate_of is not None:
            reason = _why(reason, f"duplicate_of={item.duplicate_of} not clustered; compared normally")

        vec = self._vec(item)
        if vec is None or (item.n_words is not None and item.n_words < self.min_words):
            words = 0 if item.n_words is None else item.n_words
            # not indexed either: a near-empty vector would attract unrelated articles later
            return self._new_story(item, t, None, None, 0.0,
                                   _why(reason, f"too little text to compare ({words} words): own story"))

        sig = self._signals(item)
        best, best_score = None, 0.0
        for cand in self._candidates(vec, t):
            score = self._story_score(cand, vec, sig)
            if score > best_score or (score == best_score and best is not None and cand.id < best.id):
                best, best_score = cand, score
        if best is not None and best_score >= self.threshold:
            self._join(best, item, t, vec, sig)
            out = Assignment(best.id, False, best_score, reason, t)
        else:
            out = self._new_story(item, t, vec, sig, best_score, reason)
        if self.maintain_every and self.seq % self.maintain_every == 0:
            from newsloom.stories.maintenance import merge_converging

            merge_converging(self)
        return out

    def add_many(self, items: Iterable[ClusterItem]) -> list[Assignment]:
        return [self.add(it) for it in items]

    def pair_score(self, vec_a: np.ndarray, sig_a: Any, vec_b: np.ndarray, sig_b: Any) -> float:
        """Article-vs-article score on the threshold's scale (see module doc); ``sig_*`` are
        the (names, numbers) IDF weight dicts the clusterer keeps per member."""
        return self._pair_from_cos(float(vec_a @ vec_b), sig_a, sig_b)

    # --- persistence -------------------------------------------------------------------------
    def save(self, path: str | Path) -> None:
        """Write the whole state (index included) so a restart continues exactly."""
        Path(path).write_bytes(pickle.dumps((_STATE_VERSION, self), protocol=pickle.HIGHEST_PROTOCOL))

    @classmethod
    def load(cls, path: str | Path) -> StoryClusterer:
        # pickle: the state file is written by this process for itself, never fetched input.
        try:
            version, obj = pickle.loads(Path(path).read_bytes())
        except FileNotFoundError:
            raise StoryError(f"{path}: clusterer state file not found") from None
        except Exception as exc:  # noqa: BLE001 - any unpickling failure means the same thing
            raise StoryError(f"{path}: not a clusterer state file ({type(exc).__name__})") from None
        if version != _STATE_VERSION or not isinstance(obj, cls):
            raise StoryError(f"{path}: clusterer state version {version!r}, expected {_STATE_VERSION}")
        return obj

    # --- internals ---------------------------------------------------------------------------
    def _effective_time(self, item: ClusterItem) -> tuple[datetime | None, str | None]:
        pub, arr = _utc(item.published), _utc(item.arrival)
        if pub is not None and pub < _EARLIEST_PLAUSIBLE:
            return arr, f"published {pub.date()} is implausibly old: using arrival time"
        if pub is not None and arr is not None and pub > arr:
            return arr, f"published {pub.isoformat()} is after arrival (clock skew): clamped to arrival"
        if pub is not None and arr is None and pub > datetime.now(UTC) + timedelta(days=1):
            return None, f"published {pub.isoformat()} is in the future: treated as undated"
        return (pub if pub is not None else arr), None

    def _vec(self, item: ClusterItem) -> np.ndarray | None:
        if item.vector is None:
            return None
        v = np.asarray(item.vector, dtype=np.float32).reshape(-1)
        n = float(np.linalg.norm(v))
        if not math.isfinite(n) or n == 0.0:
            return None
        if self._index is None:
            self._index = CentroidIndex(v.shape[0], self.exact_search_limit)
        elif v.shape[0] != self._index.dim:
            raise StoryError(f"article {item.article_id}: vector has {v.shape[0]} dims, "
                             f"the clusterer holds {self._index.dim}-d vectors")
        return v / n

    def _signals(self, item: ClusterItem) -> tuple[dict[str, float], dict[str, float]]:
        # Document frequencies are counted online (including this article), so the weights a
        # replay computes are exactly the ones the live stream computed.
        self._n_docs += 1
        self._df_names.update(item.names)
        self._df_numbers.update(item.numbers)
        n = self._n_docs + 1
        # sorted: float sums then run in the same order in every process (set order follows
        # the per-process string hash seed)
        names = {k: math.log(n / (self._df_names[k] + 0.5)) for k in sorted(item.names)}
        numbers = {k: math.log(n / (self._df_numbers[k] + 0.5)) for k in sorted(item.numbers)}
        return names, numbers

    def _candidates(self, vec: np.ndarray, t: datetime | None) -> list[StoryState]:
        if self._index is None:
            return []
        out = []
        w = self.name_weight + self.number_weight
        for sid, ip in self._index.query(vec, self.candidates):
            s = self.stories[sid]
            # One member: the indexed vector is that member, so the bound of _story_score is
            # known already (most stories at scale are singletons).
            if len(s.member_vecs) == 1 and (ip + w) / (1.0 + w) < self.threshold - 1e-6:
                continue
            # An article dated well before a story began (a late-arriving old report) is not
            # part of it, even though the story is live now.
            if t is not None and s.first_time is not None and t < s.first_time - self.window:
                continue
            out.append(s)
        return out

    def _story_score(self, s: StoryState, vec: np.ndarray, sig: Any) -> float:
        if not s.member_vecs:
            return 0.0
        cos = np.stack(s.member_vecs) @ vec if len(s.member_vecs) > 1 else [float(s.member_vecs[0] @ vec)]
        # Cheap bound: even full name and number agreement cannot lift the best member over
        # the threshold, so skip the per-member signal work (most candidates at scale).
        w = self.name_weight + self.number_weight
        if (float(np.max(cos)) + w) / (1.0 + w) < self.threshold:
            return 0.0
        scores = sorted(
            (self._pair_from_cos(float(c), sig, msig) for c, msig in zip(cos, s.member_sig)),
            reverse=True,
        )
        k = min(len(scores), self.top_k)
        return sum(scores[:k]) / k

    def _pair_from_cos(self, cos: float, sig: Any, msig: Any) -> float:
        # A signal counts only when both articles have it: no capitalised names (Chinese,
        # Thai...) or no numbers is absence of evidence, not disagreement.
        num, den = cos, 1.0
        if sig and msig:
            if sig[0] and msig[0]:
                num += self.name_weight * _idf_cos(sig[0], msig[0])
                den += self.name_weight
            if sig[1] and msig[1]:
                num += self.number_weight * _idf_cos(sig[1], msig[1])
                den += self.number_weight
        return num / den

    def _new_story(self, item: ClusterItem, t: datetime | None, vec: np.ndarray | None,
                   sig: Any, score: float, reason: str | None) -> Assignment:
        s = StoryState(id=item.article_id, first_time=t, last_time=t, last_seq=self.seq, first_seq=self.seq)
        self.stories[s.id] = s
        self._join(s, item, t, vec, sig)
        return Assignment(s.id, True, score, reason, t)

    def _join(self, s: StoryState, item: ClusterItem, t: datetime | None,
              vec: np.ndarray | None, sig: Any) -> None:
        self.article_story[item.article_id] = s.id
        s.count += 1
        if item.lang:
            s.langs[item.lang] += 1
        if t is not None:
            s.first_time = t if s.first_time is None else min(s.first_time, t)
            s.last_time = t if s.last_time is None else max(s.last_time, t)
            heapq.heappush(self._time_heap, (s.last_time, s.id))
        s.last_seq = self.seq
        heapq.heappush(self._seq_heap, (s.last_seq, s.id))
        if s.count > 1:
            # A new story was just compared with its neighbours and joined none of them, so
            # only a story that grew can have converged with another (see maintenance).
            self._dirty.add(s.id)
        if vec is None or s.closed:
            return  # a duplicate may join a closed story: counted, never compared again
        # never updated in place, so sharing the member's array is safe (and halves memory)
        s.centroid_sum = vec if s.centroid_sum is None else s.centroid_sum + vec
        if sig is None:
            sig = self._signals(item)
        self._keep(s, item.article_id, vec, sig)
        assert self._index is not None
        if not s.closed:
            c = s.centroid()
            if c is not None:
                self._index.upsert(s.id, c)

    def _keep(self, s: StoryState, aid: int, vec: np.ndarray, sig: Any) -> None:
        """Keep the first half of ``max_members`` (what the story is about) and a ring of the
        latest (where it is going): bounded memory and cost, deterministic."""
        if len(s.member_ids) >= self.max_members:
            drop = self.max_members // 2
            for lst in (s.member_ids, s.member_vecs, s.member_sig):
                del lst[drop]
        s.member_ids.append(aid)
        s.member_vecs.append(vec)
        s.member_sig.append(sig)

    def _expire(self) -> None:
        if self.clock is not None:
            limit = self.clock - self.window
            while self._time_heap and self._time_heap[0][0] < limit:
                when, sid = heapq.heappop(self._time_heap)
                s = self.stories[sid]
                if s.last_time == when:
                    self._close(s)
        limit_seq = self.seq - self.window_items
        while self._seq_heap and self._seq_heap[0][0] < limit_seq:
            seq, sid = heapq.heappop(self._seq_heap)
            s = self.stories[sid]
            # Dated stories close on the clock only: a busy day can exceed window_items.
            if s.last_seq == seq and s.last_time is None:
                self._close(s)

    def _close(self, s: StoryState) -> None:
        if s.closed:
            return
        s.closed = True
        if self._index is not None:
            self._index.remove(s.id)
        # Closed stories are never compared again: drop what only comparison needs.
        s.member_vecs, s.member_sig = [], []


def _why(a: str | None, b: str | None) -> str | None:
    return "; ".join(x for x in (a, b) if x) or None


def make_item(article: Any, vector: np.ndarray | None, signals: Any | None = None) -> ClusterItem:
    """A :class:`ClusterItem` from a ``newsloom.models.Article`` (id set) and its vector.

    ``signals`` is a ``newsloom.analyse.features.Signals``; computed here when not given.
    Years count as numbers: "the 2008 crisis" vs "the 2011 crisis" is a real difference.
    """
    if article.id is None:
        raise StoryError(f"article {article.url!r}: has no id; store it before clustering")
    if signals is None:
        from newsloom.analyse.features import extract_signals

        signals = extract_signals(article.title, article.text, article.lang)
    words = len((article.title or "").split()) + len((article.text or "").split())
    return ClusterItem(
        article_id=article.id,
        vector=vector,
        lang=article.lang,
        published=article.published,
        arrival=article.fetched_at,
        names=frozenset(signals.names) | frozenset(signals.multi_names),
        numbers=frozenset(signals.numbers) | frozenset(signals.years),
        duplicate_of=article.duplicate_of,
        n_words=words,
    )
