"""What keeps search cheap: a repeated query is not embedded again; the FTS ranking cut in the
index gives the same best-first order as ranking whole rows."""

from __future__ import annotations

import numpy as np

from newsloom.app.search import SemanticIndex, search
from newsloom.models import Article


class _Counting:
    def __init__(self) -> None:
        self.calls = 0

    def embed(self, texts: list[str]) -> list[np.ndarray]:
        self.calls += 1
        return [np.ones(4, dtype=np.float32) / 2 for _ in texts]


def test_query_vectors_are_cached(app_store) -> None:
    index = SemanticIndex(app_store)
    fake = _Counting()
    index._embedder = fake
    a = index._embed("earthquake in Lisbon")
    b = index._embed("earthquake in Lisbon")
    assert fake.calls == 1 and a is b and not a.flags.writeable
    index._embed("another query")
    assert fake.calls == 2


def test_fts_order_is_bm25_best_first(tmp_path) -> None:
    from newsloom.store import open_store

    with open_store(f"sqlite:///{tmp_path}/s.db") as store:
        for i, (title, text) in enumerate([("flood", "a flood report. " * 3), ("flood flood in Lisbon", "Lisbon flood. " * 20),
                                           ("market", "nothing here " * 10), ("Lisbon", "a flood far away, Lisbon " * 2)]):
            store.add_article(Article(url=f"https://e.example/{i}", title=title, text=text, lang="en"))
        light = [a.title for a in store.search_light("Lisbon flood", limit=10)]
        rows = store._rows("SELECT a.title FROM articles_fts JOIN articles a ON a.id = articles_fts.rowid WHERE "
                           "articles_fts MATCH ? ORDER BY bm25(articles_fts, 2.0, 1.0), a.id DESC", ['"lisbon" "flood"'])
        assert light == [r["title"] for r in rows] and light[0] == "flood flood in Lisbon" and len(light) == 2
        assert [g.hits[0].article.title for g in search(store, "Lisbon flood").groups] == light


def test_has_url_probes_indexes_only(tmp_path) -> None:
    """The fetch loop asks it for every feed item: a scan of the articles table (chosen by SQLite
    for ``url = ? OR canonical_url = ?`` once the table is analysed) cost 130-230 ms at 100,000."""
    from newsloom.store import open_store

    with open_store(f"sqlite:///{tmp_path}/s.db") as store:
        store.add_article(Article(url="https://e.example/a", canonical_url="https://e.example/c", title="t", text="x"))
        store._conn.execute("ANALYZE")
        seen: list[str] = []
        store._conn.set_trace_callback(seen.append)
        assert store.has_url("https://e.example/a") and store.has_url("https://e.example/c")
        assert not store.has_url("https://e.example/z")
        store._conn.set_trace_callback(None)
        sql = next(s for s in seen if "EXISTS" in s)  # as run, its values in place
        plan = " ".join(str(r[3]) for r in store._conn.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN articles" not in plan and "SEARCH articles" in plan
