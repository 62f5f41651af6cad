"""The semantic index's memory: it holds the newest ``search_semantic_articles`` vectors and
no more (a daemon runs for months), grows by doubling, and finds the same articles as before."""

from __future__ import annotations

import numpy as np

from newsloom.app.search import SemanticIndex


class _Store:
    """The two store calls the index makes, over ``n`` articles with one-hot-ish vectors."""

    def __init__(self, dim: int = 8) -> None:
        self.dim, self.vecs = dim, {}

    def add(self, aid: int, axis: int) -> None:
        v = np.zeros(self.dim, dtype=np.float32)
        v[axis % self.dim] = 1.0
        self.vecs[aid] = v.tobytes()

    def iter_embeddings(self, model: str, after_id: int = 0):
        return ((i, b) for i, b in sorted(self.vecs.items()) if i > after_id)

    def list_articles(self, limit: int = 1):
        class A:
            id = max(self.vecs)
        return [A()] if self.vecs else []


class _Embed:
    def __init__(self, dim: int) -> None:
        self.dim = dim

    def embed(self, texts: list[str]) -> list[np.ndarray]:
        v = np.zeros(self.dim, dtype=np.float32)
        v[int(texts[0])] = 1.0
        return [v]


def _index(store: _Store, limit: int) -> SemanticIndex:
    index = SemanticIndex(store, limit=limit)  # type: ignore[arg-type]
    index._embedder = _Embed(store.dim)
    return index


def test_holds_only_the_newest_limit_and_finds_them() -> None:
    store = _Store()
    for aid in range(1, 31):
        store.add(aid, aid)
    index = _index(store, limit=10)
    index._refresh(force=True)
    assert len(index) == 10 and len(index._ids) == 10  # started at the newest 10, not all 30
    assert {aid for aid, _ in index.query("3")} == {27}  # 21..30: only 27 lies on axis 3
    for aid in range(31, 56):  # more arrive: the ring keeps the newest 10
        store.add(aid, aid)
        index._refresh(force=True)
    assert len(index) == 10 and sorted(index._ids.tolist()) == list(range(46, 56))
    assert {aid for aid, _ in index.query("3")} == {51}


def test_without_a_limit_it_grows_by_doubling_and_keeps_every_article() -> None:
    store = _Store()
    index = _index(store, limit=0)
    caps = set()
    for aid in range(1, 3001):
        store.add(aid, aid)
        if aid % 100 == 0:
            index._refresh(force=True)
            caps.add(len(index._ids))
    assert len(index) == 3000 and caps == {1024, 2048, 4096}  # not a new matrix each refresh
    assert {aid for aid, _ in index.query("5", k=5000)} == {a for a in range(1, 3001) if a % 8 == 5}
