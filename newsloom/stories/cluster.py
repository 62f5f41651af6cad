"""Online story clustering: one pass, any arrival order, deterministic, across languages.

Each article joins the best story *near its own date* or starts a new one. Time is the
article's time (its effective date), not its place in the stream: a story is a candidate for an
article dated t when t falls within ``window`` of the story's own time span (its first and last
reports' dates), so a new event of the same kind (another earthquake, the next quarterly
report) starts a new story instead of reviving an old one, and an archive back-filled in any
order, feeds polled with lag or a page dated today ingested before an archive give the stories
a date-ordered stream gives. The candidate indexes filter by that span inside the search
(``newsloom.stories.index``). Memory is bounded separately: a part is dropped from memory
("closed") once it is both ``window`` older than the newest date seen and untouched for
``window_items`` arrivals; undated parts close on the second test alone. A story whose every
part is closed is forgotten altogether (its record and its articles' ids) once its articles are
two ``window_items`` old, so a daemon's memory stays flat (``_forget_closed``).

Score of an article against a story: the mean of its best few pair scores against the story's
kept members (cosine plus IDF-weighted name and number overlaps); ``newsloom.stories.scoring``
says why that shape.

Candidates come from an HNSW index (hnswlib, inner product) over live story centroids, then are
rescored exactly against members. Story id = the id of its first article: stable as it grows,
and identical whether the stream is processed live or replayed from the archive.

Vector spaces and bridges. Articles may be embedded in different, incomparable spaces
(``ClusterItem.space``: the pipeline embeds languages USE-m3 covers with USE-m3 and the others
with e5-small). The clusterer keeps one candidate index per space, and a story is made of
*parts*, one :class:`StoryState` per (space, run of articles): an article is only ever compared
with members of its own space. So that an article in an uncovered language (Ukrainian, Hindi,
Greek...) can still meet the reports of the same event in covered ones, every item may also carry
a vector of its *title* in one space all articles share (``ClusterItem.title_vector``, e5-small):
when an article finds no story in its own space, it is compared (title cosine + the same
IDF-weighted name and number overlaps) with the live parts of the other spaces, and with a
stricter threshold (``bridge_threshold``), since titles say less than title + lead. A match
starts a new part in the article's space that belongs to the matched story (its id is the
story's id), so the next reports in that language join that part the ordinary way. A story that
already has a live part in the article's own space is not bridged to: the article was compared
with it on the stronger evidence and did not match. Part-to-story links form a union-find
(``StoryState.story``): a bridged part points to the story it joined, a merged part to the
part it was merged into, and a story id is the root of its chain (the oldest part's id).
Two stories that started separately in different spaces are joined later by maintenance when
their members' titles agree (``newsloom.stories.maintenance.merge_across_spaces``). Vectors of
the e5 space and title vectors lose their language's mean, learned from the stream, before they
are compared (``language_centred``, ``centre_titles``; ``newsloom.stories.langmean``).
"""

from __future__ import annotations

import heapq
from collections import Counter, deque
from collections.abc import Callable, Iterable, Mapping
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import numpy as np

from newsloom.blas import one_blas_thread
from newsloom.errors import StoryError
from newsloom.stories.bridges import TITLE_SPACE, Bridges
from newsloom.stories.expiry import Expiry
from newsloom.stories.index import CentroidIndex
from newsloom.stories.langmean import LanguageMeans
from newsloom.stories.items import (  # noqa: F401 - the item types stay importable from here
    DEFAULT_SPACE,
    Assignment,
    ClusterItem,
    Signals,
    StoryState,
    _gap_factor,
    _power_of_four,
    _unit,
    _utc,
    _why,
    make_item,
)
from newsloom.stories.items import span as _span
from newsloom.stories.maintenance import merge_converging
from newsloom.stories.naming import EARLIEST_PLAUSIBLE
from newsloom.stories.persist import Persistence
from newsloom.stories.placement import Placement
from newsloom.stories.scoring import (  # noqa: F401 - the defaults stay importable from here
    CROSS_LANGUAGE_BONUS,
    SHORT_ALLOWANCE,
    SHORT_WORDS,
    Scoring,
)

if TYPE_CHECKING:
    from newsloom.models import Article

# Body characters embedded after the title (newsloom.analyse.embed.article_text). Measured on
# MEANTIME + Primer (BCubed F1): 800 chars 0.995 / 0.983, 2,000 chars 0.997 / 0.981 at 2.5x the
# embedding time; the lead carries the event, the tail drifts into background.
DEFAULT_LEAD_CHARS = 800
# Join threshold across spaces (title cosine + the same name/number overlaps, see _bridge).
# Measured by routing languages to e5-small that USE-m3 covers, so the gold stories show every
# bridge's truth (MEANTIME nl, nl+it; MEANTIME + Primer with fr, it, en or es+nl forced; ~650
# bridges): no wrong bridge at 0.55 and above, the first at 0.52; the highest-scoring wrong
# *candidate* (beaten by a right one) reached 0.61 (two adjacent A380 stories two days apart),
# the next 0.60 and 0.58. MEANTIME nl forced, BCubed F1 (recall): 0.70 0.920 (0.857), 0.65
# 0.953, 0.60 0.977 (0.963), 0.55 0.982; precision 0.9925 throughout.
# Checked on a corpus it was not fitted on (SemEval dev, ar/de/es/pl forced) by leaving one corpus
# out of three, full text and title + first sentence: refitting does not beat 0.60 (README, "The
# bridge threshold").
BRIDGE_THRESHOLD = 0.60
# An article that arrives this long after its published date (an archive page in a feed, a
# back-fill, or a wrong date) is noted: it joins the stories of its own date, not today's.
_OLD_ON_ARRIVAL = timedelta(days=365)


class StoryClusterer(Scoring, Bridges, Placement, Expiry, Persistence):
    """Online clusterer. ``add`` items in arrival order; see the module doc for the rules.

    ``threshold`` is the join threshold of every space not named in ``space_thresholds`` (a
    space whose cosines run lower, such as centred e5, gets its own). ``bridge_threshold`` is
    the join threshold through the shared title space (see the module doc); ``None`` turns
    bridging off. A part keeps the title vectors of its first ``title_members`` members (what
    it is about, as its first reports tell it): a bridge is scored on the best ``top_k`` of
    them, so more would add little, and an article joining a part that has them all needs no
    title vector at all. ``cross_space_merge``: maintenance also makes one story of two that
    started separately in different spaces when their members' titles agree (see
    ``newsloom.stories.maintenance``).
    """

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
        space_thresholds: Mapping[str, float] | None = None,
        bridge_threshold: float | None = BRIDGE_THRESHOLD,
        bridge_candidates: int = 5,
        title_members: int = 4,
        cross_language_bonus: float = CROSS_LANGUAGE_BONUS,
        cross_space_merge: bool = True,
        short_text_allowance: float = SHORT_ALLOWANCE,
        language_centred: Iterable[str] = (),
        centre_titles: bool = False,
    ) -> None:
        for thr in [threshold, *(space_thresholds or {}).values()] + \
                ([] if bridge_threshold is None else [bridge_threshold]):
            if not 0.0 < thr <= 1.0:
                raise StoryError(f"threshold={thr!r}: expected a number in (0, 1]")
        if window <= timedelta(0) or window_items < 1:
            raise StoryError(f"window={window!r}, window_items={window_items!r}: must be positive")
        self.threshold = threshold
        self.space_thresholds = dict(space_thresholds or {})
        self.bridge_threshold = bridge_threshold
        self.bridge_candidates = bridge_candidates
        self.title_members = title_members
        self.cross_language_bonus = cross_language_bonus
        self.short_text_allowance = short_text_allowance
        # maintenance also joins two stories of different spaces whose titles agree (see
        # newsloom.stories.maintenance); needs bridge_threshold
        self.cross_space_merge = cross_space_merge
        # spaces whose vectors lose their language's mean before they are compared, and the
        # title vectors too (both e5-small; newsloom.stories.langmean says why)
        self.language_centred = frozenset(language_centred)
        self.centre_titles = centre_titles
        self._lang_means = LanguageMeans()
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
        # name and number document frequencies are counted over the whole stream; a daemon sees
        # new names and numbers every day, so past this many keys those seen once are forgotten
        # (they then weigh as unseen, a hair more than seen once). Never reached by a replay of
        # story_replay_articles, so crash and restart equality hold.
        self.df_keys = 4 * window_items
        self.stories: dict[int, StoryState] = {}  # every part, by part id
        self.article_story: dict[int, int] = {}  # article id -> the part it joined
        self.seq = 0
        self.clock: datetime | None = None
        self._df_names: Counter[str] = Counter()
        self._df_numbers: Counter[str] = Counter()
        self._n_docs = 0
        self._indexes: dict[str, CentroidIndex] = {}  # space -> live part centroids
        self._titles: dict[str, CentroidIndex] = {}  # space -> live part title centroids
        self._linked: dict[int, list[int]] = {}  # story root -> the other parts linked to it
        self._time_heap: list[tuple[datetime, int]] = []
        self._seq_heap: list[tuple[int, int]] = []
        # (arrival number, article id) of every article still mapped in article_story, oldest
        # first: how closed stories leave memory for good (_forget_closed)
        self._arrivals: deque[tuple[int, int]] = deque()
        self._dirty: set[int] = set()  # stories changed since the last maintenance pass
        self.merges: list[tuple[int, int]] = []  # (merged story, into), in the order done

    # --- public -----------------------------------------------------------------------------
    @property
    def _index(self) -> CentroidIndex | None:
        """The candidate index of a single-space stream (the default space, else the only one)."""
        if DEFAULT_SPACE in self._indexes:
            return self._indexes[DEFAULT_SPACE]
        return next(iter(self._indexes.values())) if len(self._indexes) == 1 else None

    def resolve(self, story_id: int) -> int:
        """The story id for a story or part id, following merges and bridges (ids stay
        resolvable)."""
        seen = 0
        while (s := self.stories.get(story_id)) is not None and s.story is not None:
            story_id = s.story
            seen += 1
            if seen > len(self.stories):
                raise StoryError(f"story {story_id}: merged_into forms a cycle")
        return story_id

    def story_of(self, article_id: int) -> int | None:
        sid = self.article_story.get(article_id)
        return None if sid is None else self.resolve(sid)

    def live_story_ids(self) -> list[int]:
        """Ids of the stories that have a live part."""
        return sorted({self.resolve(s.id) for s in self.stories.values() if not s.closed and s.merged_into is None})

    def add(self, item: ClusterItem) -> Assignment:
        """Cluster one article (see the module doc); raises StoryError on bad input."""
        with one_blas_thread():
            return self._add(item)

    def _arrive(self, item: ClusterItem) -> tuple[datetime | None, str | None]:
        """What every arrival does first (added or placed): count it, take its effective time
        (and the reason when it is not the published date), move the clock, expire."""
        if item.article_id in self.article_story:
            raise StoryError(f"article {item.article_id}: already clustered (ids must be unique)")
        self.seq += 1
        t, reason = self._effective_time(item)
        if t is not None and (self.clock is None or t > self.clock):
            self.clock = t
        self._expire()
        return t, reason

    def _add(self, item: ClusterItem) -> Assignment:
        t, reason = self._arrive(item)

        if item.duplicate_of is not None and item.duplicate_of in self.article_story:
            original = self.stories[self.article_story[item.duplicate_of]]
            if self._in_window(t, original):
                return self._add_duplicate(item, t, reason)
            # a near-copy of a report from weeks before is a new report of a recurring event (a
            # weekly market report, a templated notice, a short item whose few words match)
            reason = _why(reason, f"duplicate of article {item.duplicate_of}, but dated outside its "
                                  "story's time span; compared normally")
        elif item.duplicate_of is not None:
            reason = _why(reason, f"duplicate_of={item.duplicate_of} not clustered; compared normally")

        vec = self._vec(item)
        if vec is None or (item.n_words is not None and item.n_words < self.min_words):
            words = 0 if item.n_words is None else item.n_words
            # not indexed either: a near-empty vector would attract unrelated articles later
            return self._new_story(item, t, None, None, 0.0,
                                   _why(reason, f"too little text to compare ({words} words): own story"))

        sig = self._signals(item)
        best, best_score = None, 0.0
        threshold = self.threshold_for(item.space)
        if item.space not in self.space_thresholds:
            # calibrated in the default space only (USE-m3); a space with a threshold of its
            # own (centred e5) has another scale: there it cost precision (MEANTIME short,
            # es/it/nl routed to e5: 0.933 -> 0.927)
            threshold -= self.short_allowance(item.n_words)
        for cand in self._candidates(item.space, vec, t, item.lang, threshold):
            score = self._story_score(cand, vec, sig, item.lang, threshold)
            if score > best_score or (score == best_score and best is not None and cand.id < best.id):
                best, best_score = cand, score
        if best is not None and best_score >= threshold:
            self._join(best, item, t, vec, sig)
            out = Assignment(self.resolve(best.id), False, best_score, reason, t)
        else:
            bridge = self._bridge(item, t, sig)
            if bridge is not None:
                part, score, why = bridge
                root = self.resolve(part.id)
                new = self._new_story(item, t, vec, sig, score, _why(reason, why))
                self._link(new.story_id, root)
                out = Assignment(root, False, score, new.reason, t, bridged=True)
            else:
                out = self._new_story(item, t, vec, sig, best_score, reason)
        if self.maintain_every and self.seq % self.maintain_every == 0:
            self.maintain()
        return out

    def maintain(self) -> list[tuple[int, int]]:
        """One maintenance pass (``newsloom.stories.maintenance``): merge the stories that
        converged since the last pass, in one space and across spaces. Runs by itself every
        ``maintain_every`` articles; returns the (merged, into) pairs it made."""
        return merge_converging(self)

    def _add_duplicate(self, item: ClusterItem, t: datetime | None, reason: str | None) -> Assignment:
        assert item.duplicate_of is not None
        why = _why(reason, f"duplicate of article {item.duplicate_of}")
        part = self.stories[self.article_story[item.duplicate_of]]
        sid = self.resolve(part.id)
        if part.space == item.space:
            self._join(part, item, t, self._vec(item), None)
            return Assignment(sid, False, 1.0, why, t)
        # the original was embedded in another space (its language routed elsewhere): the
        # copy starts a part of the original's story in its own space
        new = self._new_story(item, t, self._vec(item), None, 1.0, why)
        self._link(new.story_id, sid)
        return Assignment(sid, False, 1.0, why, t)

    def add_many(self, items: Iterable[ClusterItem]) -> list[Assignment]:
        return [self.add(it) for it in items]

    # --- internals ---------------------------------------------------------------------------
    def _effective_time(self, item: ClusterItem) -> tuple[datetime | None, str | None]:
        pub, arr = _utc(item.published), _utc(item.arrival)
        if pub is not None and pub < EARLIEST_PLAUSIBLE:
            return arr, f"published {pub.date()} is implausibly old: using arrival time"
        if pub is not None and arr is not None and pub > arr:
            return arr, f"published {pub.isoformat()} is after arrival (clock skew): clamped to arrival"
        if pub is not None and arr is None and pub > datetime.now(UTC) + timedelta(days=1):
            return None, f"published {pub.isoformat()} is in the future: treated as undated"
        if pub is not None and arr is not None and arr - pub > _OLD_ON_ARRIVAL:
            years = (arr - pub).days / 365.25
            return pub, (f"published {pub.date()}, {years:.1f} years before it arrived: placed among "
                         "the stories of its own date")
        return (pub if pub is not None else arr), None

    def _vec(self, item: ClusterItem) -> np.ndarray | None:
        """The item's vector as the clusterer compares it (unit length; in a language-centred
        space, without its language's mean)."""
        v = _unit(item.vector)
        if v is None:
            return None
        if item.space in self.language_centred:
            v = self._lang_means.centre(item.space, item.lang, v)  # learned when it starts a part
        index = self._indexes.get(item.space)
        if index is None:
            self._indexes[item.space] = CentroidIndex(v.shape[0], self.exact_search_limit)
        elif v.shape[0] != index.dim:
            raise StoryError(f"article {item.article_id}: vector has {v.shape[0]} dims, "
                             f"the clusterer holds {index.dim}-d vectors in space {item.space!r}")
        return v

    def _candidates(self, space: str, vec: np.ndarray, t: datetime | None,
                    lang: str | None = None, threshold: float | None = None) -> list[StoryState]:
        index = self._indexes.get(space)
        if index is None:
            return []
        out = []
        w = self.name_weight + self.number_weight
        threshold = self.threshold_for(space) if threshold is None else threshold
        for sid, ip in index.query(vec, self.candidates, **self._near(t)):
            s = self.stories[sid]
            # One member: the indexed vector is that member, so the bound of _story_score is
            # known already (most stories at scale are singletons).
            if len(s.member_vecs) == 1:
                bonus = self._bonus(lang, s.member_langs[0] if s.member_langs else None)
                if (ip + bonus + w) / (1.0 + w) < threshold - 1e-6:
                    continue
            # the index filtered by time span already; checked exactly here (an index may hold
            # a span a little stale: see CentroidIndex.set_span)
            if not self._in_window(t, s):
                continue
            out.append(s)
        return out

    def _near(self, t: datetime | None) -> dict[str, Any]:
        """Index query arguments for the stories near date ``t`` (none: every story)."""
        if t is None:
            return {}
        ts = t.timestamp()
        return {"near": (ts, ts), "slack": self.window.total_seconds()}

    def _in_window(self, t: datetime | None, s: StoryState) -> bool:
        """Whether an article dated ``t`` may join part ``s``: within ``window`` of its span."""
        if t is None or s.first_time is None or s.last_time is None:
            return True
        return s.first_time - self.window <= t <= s.last_time + self.window

    # --- parts ---------------------------------------------------------------------------------
    def _new_story(self, item: ClusterItem, t: datetime | None, vec: np.ndarray | None,
                   sig: Any, score: float, reason: str | None) -> Assignment:
        s = StoryState(id=item.article_id, first_time=t, last_time=t, last_seq=self.seq, first_seq=self.seq,
                       space=item.space)
        self.stories[s.id] = s
        self._join(s, item, t, vec, sig)
        return Assignment(s.id, True, score, reason, t)

    def _learn_language(self, item: ClusterItem, vec: np.ndarray | None) -> None:
        """An article among the first ``title_members`` of its part counts in its language's
        means (a few votes per part, whatever its size: newsloom.stories.langmean), with its
        vectors as they came, not centred."""
        if vec is not None and item.space in self.language_centred:
            self._lang_means.learn(item.space, item.lang, _unit(item.vector))
        if item.title_raw is not None:
            self._lang_means.learn(TITLE_SPACE, item.lang, item.title_raw)

    def _join(self, s: StoryState, item: ClusterItem, t: datetime | None,
              vec: np.ndarray | None, sig: Any) -> None:
        if item.article_id not in self.article_story:
            self._arrivals.append((self.seq, item.article_id))
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
        tvec = None
        if self.bridge_threshold is not None and s.title_count < self.title_members:
            tvec = self._title_vec(item)
        if tvec is not None:
            s.title_sum = tvec if s.title_sum is None else s.title_sum + tvec
            s.title_count += 1
        self._keep(s, item.article_id, vec, sig, tvec, item.lang)
        if s.count <= self.title_members and item.duplicate_of is None:
            self._learn_language(item, vec)
        c = s.centroid()
        span = _span(s)
        if c is not None:
            self._indexes[s.space].upsert(s.id, c, span)
        # Once the title index is a graph, a part's entry is updated only when its title count
        # reaches a power of four (1, 4, 16, ...): an HNSW re-link costs ~4x an insert, the
        # indexed centroid only picks candidates (they are rescored against the members), and
        # a part's first titles say what it is about. Exact search updates a row: always.
        titles = self._titles[s.space] if tvec is not None else None
        if titles is not None and (titles.hnsw is None or _power_of_four(s.title_count)):
            tc = s.title_centroid()
            if tc is not None:
                titles.upsert(s.id, tc, span)
        if s.space in self._titles:
            self._titles[s.space].set_span(s.id, span)  # the span moves with every report

    def _keep(self, s: StoryState, aid: int, vec: np.ndarray, sig: Any, title: np.ndarray | None = None,
              lang: str | None = None) -> None:
        """Keep the first half of ``max_members`` (what the story is about) and a ring of the
        latest (where it is going): bounded memory and cost, deterministic."""
        if len(s.member_ids) >= self.max_members:
            drop = self.max_members // 2
            for lst in (s.member_ids, s.member_vecs, s.member_sig, s.member_titles, s.member_langs):
                del lst[drop]
        s.member_ids.append(aid)
        s.member_vecs.append(vec)
        s.member_sig.append(sig)
        s.member_titles.append(title)
        s.member_langs.append(lang)


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
