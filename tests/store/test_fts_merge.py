"""The writer merges SQLite's FTS5 index segments a bounded step after a pass or an ingest
(store.merge_search_index): fewer segments, the same search results; PostgreSQL has nothing to
merge. And ``newsloom ingest`` runs the merge at its end."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsloom.cli import cli
from newsloom.models import Article
from newsloom.store import open_store
from newsloom.store.base import Store

WORDS = "harbour strike council ferry budget mayor river school tram market bridge winter clinic".split()
QUERIES = ["harbour", "strike council", "ferry budget", "river", "winter clinic market", "zzz"]


def _varint(b: bytes, i: int) -> tuple[int, int]:
    v = 0
    for k in range(9):
        c = b[i]
        i += 1
        if k == 8:
            return (v << 8) | c, i
        v = (v << 7) | (c & 0x7F)
        if not c & 0x80:
            return v, i
    raise AssertionError("bad varint")


def segments(path: str) -> int:
    """Segments of articles_fts (its structure record: cookie, levels, segments, ...)."""
    with sqlite3.connect(path) as con:
        block = con.execute("SELECT block FROM articles_fts_data WHERE id = 10").fetchone()[0]
    i = 8 if block[4:8] == b"\xff\x00\x00\x01" else 4  # (the V2 structure record of newer SQLite)
    _, i = _varint(block, i)
    return _varint(block, i)[0]


def _fill(store: Store, n: int, seed: int) -> None:
    rng = random.Random(seed)
    for k in range(n):  # one commit each, as the pipeline stores them: a segment each
        store.add_article(Article(url=f"https://m.example.com/{seed}/{k}", title=" ".join(rng.sample(WORDS, 3)),
                                  text=" ".join(rng.choice(WORDS) for _ in range(80)), lang="en"))


def _results(store: Store) -> list[list[int]]:
    return [[r.id for r in store.search_rows(q, 100)] for q in QUERIES]  # type: ignore[attr-defined]


def test_merge_leaves_fewer_segments_and_the_same_results(store: Store) -> None:
    _fill(store, 120, 1)
    before = _results(store)
    assert any(before)
    if not store.url.startswith("sqlite"):
        assert store.merge_search_index() == 0  # PostgreSQL keeps its index itself
        assert _results(store) == before
        return
    path = store.path  # type: ignore[attr-defined]
    many = segments(path)
    assert many > 3, many
    assert store.merge_search_index(max_pages=1) == 1  # bounded: one page's worth asked
    assert 0 < store.merge_search_index() <= 2000
    assert segments(path) <= 3 < many and _results(store) == before
    # nothing left to merge: one step that writes nothing
    assert store.merge_search_index() == 200 and _results(store) == before
    # articles added, merged again: still few segments, results those of a full search
    _fill(store, 40, 2)
    grown = _results(store)
    store.merge_search_index()
    assert segments(path) <= 3 and _results(store) == grown
    with sqlite3.connect(path) as con:
        assert con.execute("SELECT v FROM articles_fts_config WHERE k = 'usermerge'").fetchone()[0] == 2
        # the index is sound (FTS5 checks it against the articles)
        con.execute("INSERT INTO articles_fts(articles_fts, rank) VALUES('integrity-check', 1)")


def test_ingest_merges_the_index_at_its_end(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEWSLOOM_STORIES", "false")
    path = tmp_path / "i.db"
    with open_store(f"sqlite:///{path}") as s:
        _fill(s, 80, 3)
    many = segments(str(path))
    assert many > 3, many
    (tmp_path / "a.txt").write_text("Harbour strike. " + " ".join(["The council met the ferry crews."] * 30))
    result = CliRunner().invoke(cli, ["ingest", str(tmp_path / "a.txt"), "--db", f"sqlite:///{path}"])
    assert result.exit_code == 0 and "1 new" in result.output, result.output
    assert segments(str(path)) <= 3
