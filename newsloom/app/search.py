"""Search use case: full text (FTS5 / PostgreSQL) and semantic (the stored multilingual
embeddings: an English query finds the Portuguese article), fused and grouped by story.

The semantic half keeps the stored USE-m3 vectors of articles in one numpy matrix (200 MB at
100,000 articles, brute force ~10 ms per query on one core: the DESIGN's measurement) and picks
up new ones at most every few seconds; the query is embedded by the same model.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from newsloom.app.stories import BadQuery, since_of, snippet, source_name
from newsloom.models import Article, Story
from newsloom.store import _codec
from newsloom.store._reader import LightRow
from newsloom.store.base import Store

log = logging.getLogger("newsloom.search")

MODEL = "use-m3"
MAX_QUERY_CHARS = 500
MAX_TOKENS = 32
# A hit is kept when its cosine to the query is at least MIN_COSINE and within COSINE_MARGIN of
# the query's best hit: short queries score lower across the board (a report of the event at 0.44
# for a three-word query, 0.6 for a title), so no fixed cut fits both. The margin was fitted by
# benchmarks/search_semantic.py on half of MEANTIME's stories (English titles asking for the
# Spanish, Italian and Dutch reports; F2, as missing a report costs more than an extra one in a
# ranked list) and held on the other half: recall 0.87 / precision 0.40-0.46 for titles, recall
# 0.68-0.69 for four-word queries; a fixed cut of 0.3 kept 99% of the reports at precision 0.05.
MIN_COSINE = 0.25
COSINE_MARGIN = 0.075
# reciprocal-rank fusion constant (Cormack et al. 2009): the usual 60
_RRF_K = 60
_REFRESH_S = 5.0
# word matches read per query before grouping: bm25 ranks every match anyway, reading the rows
# costs per row (measured: 200 rows 33 ms, 50 rows 17 ms at 100,000 articles)
_FTS_LIMIT = 100
_QUERY_CACHE = 2048  # query vectors kept (~2 KB each)
_GROUP_HITS = 8  # hits shown per story group


class SemanticIndex:
    """Stored vectors of one model, in memory, refreshed incrementally: the newest ``limit``
    articles' (0 = all). Rows live in one buffer that grows by doubling (appending by
    re-stacking the whole matrix every refresh copied it each time and fragmented the heap:
    the soak saw the web process grow ~10 kB an article) and, once ``limit`` rows are held,
    is a ring: the newest article overwrites the oldest."""

    def __init__(self, store: Store, model: str = MODEL, limit: int = 0) -> None:
        self.store = store
        self.model = model
        self.limit = max(0, int(limit))
        self._ids = np.zeros(0, dtype=np.int64)
        self._mat = np.zeros((0, 0), dtype=np.float32)
        self._n = 0  # rows in use
        self._next = 0  # ring mode: the row the next vector overwrites
        self._last_id = 0
        self._checked = 0.0
        self._embedder = None
        self._lock = threading.Lock()
        self._vectors: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_lock = threading.Lock()

    def __len__(self) -> int:
        return self._n

    def warm(self) -> None:
        """Load the model and the vectors now (the first search would otherwise wait)."""
        self._refresh(force=True)
        self._embed("warm up")

    def _embed(self, text: str) -> np.ndarray:
        """The query's vector; the last ``_QUERY_CACHE`` queries' are kept (embedding one costs
        a few ms of CPU and popular queries repeat: a feed reader polls its search feed)."""
        with self._cache_lock:
            vec = self._vectors.get(text)
            if vec is not None:
                self._vectors.move_to_end(text)
                return vec
        if self._embedder is None:
            from newsloom.analyse.embed import get_embedder

            self._embedder = get_embedder(self.model, threads=1)
        vec = np.asarray(self._embedder.embed([text])[0], dtype=np.float32)
        vec.setflags(write=False)
        with self._cache_lock:
            self._vectors[text] = vec
            while len(self._vectors) > _QUERY_CACHE:
                self._vectors.popitem(last=False)
        return vec

    def _refresh(self, force: bool = False) -> None:
        with self._lock:
            if not force and time.monotonic() - self._checked < _REFRESH_S:
                return
            self._checked = time.monotonic()
            if self._last_id == 0 and self.limit:
                # only the newest ``limit`` can stay: start there, not at the first article
                newest = self.store.list_articles(limit=1)
                if newest and newest[0].id is not None:
                    self._last_id = max(0, newest[0].id - self.limit)
            ids, vecs = [], []
            for aid, blob in self.store.iter_embeddings(self.model, after_id=self._last_id):
                ids.append(aid)
                vecs.append(np.frombuffer(blob, dtype=np.float32))
            if not ids:
                return
            self._append(np.asarray(ids, dtype=np.int64), np.vstack(vecs))
            self._last_id = ids[-1]

    def _append(self, ids: np.ndarray, new: np.ndarray) -> None:
        """Add rows (called under the lock). Below the limit a query may be reading the rows
        in use, so rows are only written past them, or into a new buffer that replaces the old
        one; in ring mode rows are overwritten, and queries take the lock."""
        if self.limit and len(ids) > self.limit:
            ids, new = ids[-self.limit:], new[-self.limit:]
        cap = len(self._ids)
        need = self._n + len(ids)
        if need > cap and (not self.limit or cap < self.limit):
            grown = max(need, 2 * cap, 1024)
            grown = min(grown, self.limit) if self.limit else grown
            mat = np.empty((grown, new.shape[1]), dtype=np.float32)
            keep = np.full(grown, -1, dtype=np.int64)
            if self._n:
                mat[: self._n] = self._mat[: self._n]
                keep[: self._n] = self._ids[: self._n]
            self._mat, self._ids = mat, keep
            cap = grown
        for i in range(len(ids)):
            if self._n < cap:  # the row is written before it is counted as in use
                self._mat[self._n] = new[i]
                self._ids[self._n] = ids[i]
                self._n += 1
            else:  # ring: the oldest row gives way
                self._mat[self._next] = new[i]
                self._ids[self._next] = ids[i]
                self._next = (self._next + 1) % cap

    def query(self, text: str, k: int = 50) -> list[tuple[int, float]]:
        self._refresh()
        if self._n == 0:
            return []
        q = self._embed(text)
        if self.limit and self._n >= self.limit:
            with self._lock:  # ring mode: rows are overwritten in place
                return self._best(self._mat @ q, self._ids, k)
        n, mat, ids = self._n, self._mat, self._ids
        return self._best(mat[:n] @ q, ids, k)

    @staticmethod
    def _best(sims: np.ndarray, ids: np.ndarray, k: int) -> list[tuple[int, float]]:
        top = np.argsort(-sims)[:k]
        cut = max(MIN_COSINE, float(sims[top[0]]) - COSINE_MARGIN)
        return [(int(ids[i]), float(sims[i])) for i in top if sims[i] >= cut]


@dataclass
class Hit:
    article: Article
    snippet: str
    how: str  # "text" | "meaning" | "both"


@dataclass
class Group:
    story: Story | None
    hits: list[Hit] = field(default_factory=list)


@dataclass
class SearchResult:
    query: str
    groups: list[Group]
    semantic: bool


def clean_query(query: str) -> str:
    if not isinstance(query, str):
        raise BadQuery("q: expected text")
    query = _codec.strip_nul(query).strip()
    if len(query) > MAX_QUERY_CHARS:
        raise BadQuery(f"q: {len(query)} characters; at most {MAX_QUERY_CHARS}")
    return " ".join(_codec.search_tokens(query)[:MAX_TOKENS])


def search(store: Store, query: str, *, semantic: SemanticIndex | None = None, lang: str | None = None,
           country: str | None = None, source_id: int | None = None, range_key: str | None = None,
           limit: int = 20, snippet_chars: int = 200) -> SearchResult:
    """Articles matching ``query`` by words (any language's FTS) or by meaning (across
    languages), fused by reciprocal rank, filtered, and grouped by story (best group first)."""
    text = clean_query(query)
    since = since_of(range_key)
    src = source_name(store, source_id) if source_id is not None else None
    if not text:
        return SearchResult(query, [], semantic is not None)
    # matches as plain rows: about half are shown (20 groups, 8 hits a group), and only those
    # become articles with a snippet
    fts = store.search_rows(text, limit=_FTS_LIMIT)  # type: ignore[attr-defined]
    sem: list[tuple[int, float]] = []
    if semantic is not None:
        try:
            sem = semantic.query(text)
        except Exception as exc:  # a broken model must not take word search down with it
            log.warning("semantic search unavailable: %s", exc)
    score: dict[int, float] = {}
    how: dict[int, str] = {}
    for rank, a in enumerate(fts):
        score[a.id] = score.get(a.id, 0.0) + 1.0 / (_RRF_K + rank)
        how[a.id] = "text"
    for rank, (aid, _) in enumerate(sem):
        score[aid] = score.get(aid, 0.0) + 1.0 / (_RRF_K + rank)
        how[aid] = "both" if aid in how else "meaning"
    known = {a.id: a for a in fts}
    known.update({a.id: a for a in store.light_rows([i for i in score if i not in known])})  # type: ignore[attr-defined]

    def keep(a: LightRow) -> bool:
        if a.status == "removed" or (lang and a.lang != lang) or (country and (a.country or "").upper() != country.upper()):
            return False
        if src and a.source != src:
            return False
        if not since:
            return True
        when = a.when()
        return not (when and when < since)

    ranked = [known[i] for i in sorted(score, key=lambda i: -score[i]) if i in known and keep(known[i])]
    groups: dict[object, Group] = {}
    for a in ranked:
        key = a.story_id if a.story_id is not None else f"a{a.id}"
        g = groups.get(key)
        if g is None:
            if len(groups) >= limit:
                continue
            g = groups[key] = Group(None)
        if len(g.hits) < _GROUP_HITS:  # a group shows its best 8
            art = a.article()
            g.hits.append(Hit(art, snippet(art, snippet_chars), how[a.id]))
    stories = store.story_cards([k for k in groups if isinstance(k, int)])  # type: ignore[attr-defined]
    for k, g in groups.items():
        g.story = stories.get(k) if isinstance(k, int) else None
    return SearchResult(query, list(groups.values()), semantic is not None)
