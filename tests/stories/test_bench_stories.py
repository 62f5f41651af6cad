"""Story benchmark: metric functions on hand-computed examples, corpus reading, a real run."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from newsloom.bench.stories import (
    bcubed,
    bcubed_cross,
    format_table,
    pairwise,
    read_corpus,
    run,
    scores,
    synthetic_timing,
)
from newsloom.errors import BenchError

PRED = [1, 1, 2, 2, 2]
GOLD = ["a", "a", "a", "b", "b"]
LANGS = ["en", "it", "en", "it", "en"]


def test_bcubed_hand_computed() -> None:
    # per item P: 1, 1, 1/3, 2/3, 2/3 ; R: 2/3, 2/3, 1/3, 1, 1
    b = bcubed(PRED, GOLD)
    assert b["precision"] == pytest.approx(11 / 15) and b["recall"] == pytest.approx(11 / 15)
    assert b["f1"] == pytest.approx(11 / 15)
    assert bcubed([1, 2, 3], ["a", "a", "a"]) == pytest.approx({"precision": 1.0, "recall": 1 / 3, "f1": 0.5})
    assert bcubed([], [])["f1"] == 0.0


def test_pairwise_hand_computed() -> None:
    p = pairwise(PRED, GOLD)  # pred pairs 4, gold pairs 4, shared 2
    assert (p["precision"], p["recall"], p["gold_pairs"]) == (0.5, 0.5, 4)
    x = pairwise(PRED, GOLD, LANGS)  # cross-language pairs: pred 3, gold 3, shared 2
    assert x["precision"] == pytest.approx(2 / 3) and x["recall"] == pytest.approx(2 / 3)
    with pytest.raises(BenchError):
        pairwise([1], [1, 2])


def test_bcubed_cross_language() -> None:
    # item0 en: pred other-lang {1} in gold -> P 1 ; gold other-lang {1} -> R 1
    # item1 it: pred {0} -> 1 ; gold {0,2} -> 1/2
    # item2 en: pred {3} -> 0 ; gold {1} -> 0
    # item3 it: pred {2,4} -> 1/2 ; gold {4} -> 1
    # item4 en: pred {3} -> 1 ; gold {3} -> 1
    x = bcubed_cross(PRED, GOLD, LANGS)
    assert x["precision"] == pytest.approx(3.5 / 5) and x["recall"] == pytest.approx(3.5 / 5)
    s = scores(PRED, GOLD, LANGS)
    assert set(s) == {"overall", "lang:en", "lang:it", "cross-language"}
    assert s["lang:en"]["items"] == 3


def _write(path: Path, rows: list[dict]) -> Path:
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_read_corpus_orders_by_date_then_file(tmp_path: Path) -> None:
    a = _write(tmp_path / "a.jsonl", [
        {"doc_id": "a1", "story_id": "s", "lang": "en", "title": "t", "text": "x", "date": "2020-01-03"},
        {"doc_id": "a2", "story_id": "s", "lang": "en", "title": "t", "text": "x", "date": "2020-01-01"},
    ])
    b = _write(tmp_path / "b.jsonl", [
        {"doc_id": "b1", "story_id": "s", "lang": "en", "title": "t", "text": "x"},
        {"doc_id": "b2", "story_id": "s", "lang": "en", "title": "t", "text": "x", "date": "2020-01-02"},
        {"doc_id": "b0", "story_id": "s", "lang": "en", "title": "t", "text": "x"},
    ])
    assert [r["doc_id"] for r in read_corpus([a, b])] == ["b1", "b0", "a2", "b2", "a1"]


def test_read_corpus_errors(tmp_path: Path) -> None:
    with pytest.raises(BenchError, match="not found"):
        read_corpus(tmp_path / "nope.jsonl")
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"doc_id": "1"}\n', encoding="utf-8")
    with pytest.raises(BenchError, match=r"bad.jsonl:1: missing field\(s\) story_id"):
        read_corpus(bad)
    bad.write_text("{oops\n", encoding="utf-8")
    with pytest.raises(BenchError, match="not valid JSON"):
        read_corpus(bad)
    bad.write_text('{"doc_id": "1", "story_id": "s", "lang": "en", "title": "", "text": "", "date": "soon"}\n')
    with pytest.raises(BenchError, match="not ISO 8601"):
        read_corpus(bad)


def test_synthetic_timing_small() -> None:
    s = synthetic_timing(n_live=300, n_queries=40, dim=32, bridged=False)
    assert s["queries"] == 40 and s["joined"] >= 15 and s["ms_per_article_mean"] > 0
    assert s["spaces"] == 1 and s["bridged"] == 0


def test_synthetic_timing_two_spaces() -> None:
    s = synthetic_timing(n_live=400, n_queries=100, dim=32, title_dim=24)
    # every 10th query is a second-space article whose title matches a default-space story
    assert s["spaces"] == 2 and s["bridged"] >= 8 and s["joined"] >= 40
    assert s["cpu_ms_per_article_mean"] > 0


def test_meantime_pipeline_with_a_language_forced_to_e5(shared_dir: Path) -> None:
    """nl routed to e5-small (as a language USE-m3 lacks): the Dutch reports still join the
    stories of their en/es/it counterparts, through the title space."""
    from newsloom.bench import stories_pipeline

    corpus = shared_dir / "corpora" / "wikinews-meantime" / "docs.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} not found")
    r = stories_pipeline.run([corpus], limit=120, force_fallback=["nl"])
    assert r["force_e5"] == ["nl"] and r["articles_by_space"]["e5-small"] == 30
    assert r["bridged"] >= 25, stories_pipeline.format_table(r)
    cross = r["scores"]["cross-language"]["bcubed"]
    assert cross["precision"] >= 0.99 and cross["f1"] >= 0.95, stories_pipeline.format_table(r)
    # the Dutch translations are marked as such across the two spaces, through their titles
    lin = r["lineage"]
    assert lin["gold"] == "the corpus's is_translation field"
    assert lin["translation_precision"] == 1.0, stories_pipeline.format_table(r)
    assert lin["translation_recall"]["nl"]["recall"] >= 0.7, stories_pipeline.format_table(r)
    assert lin["translation_cross_space"] == lin["translation_recall"]["nl"]["found"]
    assert "translations of" in stories_pipeline.format_table(r)


def test_gold_translations_from_the_field_or_a_parallel_corpus() -> None:
    from newsloom.bench.stories_pipeline import gold_translations

    def row(doc: str, story: str, lang: str, **kw: object) -> dict:
        return {"doc_id": doc, "story_id": story, "lang": lang, **kw}

    flagged = [row("a", "s", "en", is_translation=False), row("b", "s", "nl", is_translation=True),
               row("c", "t", "nl", is_translation=True)]  # its original is not in the stream
    gold, how = gold_translations(flagged)
    assert gold == {"a": False, "b": True} and "is_translation" in how
    parallel = [row("a", "s", "en"), row("b", "s", "fr"), row("c", "t", "fr"), row("d", "t", "en")]
    gold, how = gold_translations(parallel)
    assert gold == {"a": False, "b": True, "c": False, "d": True} and how.startswith("parallel corpus")
    # two languages in one story but also single-document stories (Primer): unknown
    mixed = [*parallel, row("e", "u", "en")]
    assert gold_translations(mixed) == ({}, "unknown (no recall)")
    # the same rows split over two files: the parallel one still counts
    gold, _ = gold_translations(mixed, {"e": 1})
    assert gold["b"] is True and "e" not in gold
    # a story with two documents in one language is not parallel
    assert gold_translations([row("a", "s", "en"), row("b", "s", "en")])[0] == {}


def test_lineage_scores_hand_computed() -> None:
    from newsloom.bench.stories_pipeline import format_lineage, lineage_scores

    rows = [{"doc_id": d, "story_id": s, "lang": lang} for d, s, lang in
            [("a", "s", "en"), ("b", "s", "nl"), ("c", "s", "it"), ("d", "t", "nl"), ("e", "t", "en")]]
    marks = {"a": {"kind": "first", "of": None, "space": "use-m3", "of_space": None},
             "b": {"kind": "translation", "of": "a", "space": "e5-small", "of_space": "use-m3"},
             "c": {"kind": None, "of": None, "space": "use-m3", "of_space": None},
             "d": {"kind": "translation", "of": "c", "space": "e5-small", "of_space": "use-m3"},  # wrong story
             "e": {"kind": "copy", "of": "d", "space": "use-m3", "of_space": "e5-small"}}
    lin = lineage_scores(rows, marks, {"a": False, "b": True, "c": True}, "test")
    assert lin["marks"] == {"copy": 1, "first": 1, "none": 1, "translation": 2}
    assert (lin["translation_marks"], lin["translation_right"], lin["translation_precision"]) == (2, 1, 0.5)
    assert (lin["translation_cross_space"], lin["translation_cross_space_right"]) == (2, 1)
    assert lin["translation_recall"]["all"] == {"gold": 2, "found": 1, "recall": 0.5}
    assert lin["translation_recall"]["it"]["recall"] == 0.0
    assert lin["translation_marks_by_language"]["nl"] == {"marked": 2, "right": 1}
    text = "\n".join(format_lineage(lin))
    assert "precision proxy 0.500" in text and "| nl | 1 | 1 | 1.000 |" in text
    # no gold, no marks: no recall, no division by zero
    empty = lineage_scores(rows, {})
    assert empty["translation_precision"] is None and "translation_recall" not in empty
    assert "n/a" in "\n".join(format_lineage(empty))


def test_meantime_clustering_quality(shared_dir: Path) -> None:
    corpus = shared_dir / "corpora" / "wikinews-meantime" / "docs.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} not found")
    r = run(corpus)
    f1 = r["scores"]["overall"]["bcubed"]["f1"]
    assert f1 >= 0.97, format_table(r)
    assert r["scores"]["cross-language"]["pairwise"]["recall"] >= 0.9
    assert "BCubed F1" in format_table(r)


def test_meantime_any_stream_order_gives_the_date_ordered_stories(shared_dir: Path) -> None:
    """MEANTIME is in language blocks: streamed as the file lists it, or shuffled, it must give
    what a date-ordered stream gives (0.41 BCubed F1 before stories followed their own dates)."""
    from click.testing import CliRunner

    from newsloom.cli import cli

    corpus = shared_dir / "corpora" / "wikinews-meantime" / "docs.jsonl"
    if not corpus.is_file():
        pytest.skip(f"{corpus} not found")
    f1 = {}
    for order in ("date", "file", "shuffled"):
        res = CliRunner().invoke(cli, ["bench", "stories", "--corpus", str(corpus), "--limit", "160",
                                       "--order", order, "--seed", "3", "--json", "--no-baseline"])
        assert res.exit_code == 0, res.output
        out = json.loads(res.output)
        assert out["order"].startswith(order)
        f1[order] = out["scores"]["overall"]["bcubed"]["f1"]
    assert f1["date"] >= 0.97 and all(abs(v - f1["date"]) <= 0.02 for v in f1.values()), f1
