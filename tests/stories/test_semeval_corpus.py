"""``bench stories`` reads a SemEval-2022 Task 8 pairs CSV as a story corpus (bench/semeval_corpus.py):
documents from the texts, stories from the pairs rated the same story, titles split off."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from newsloom.bench.semeval_corpus import split_title
from newsloom.bench.stories import read_corpus
from newsloom.errors import BenchError

HEADER = ["pair_id", "lang1", "lang2", "text1", "text2", "Geography", "Entities", "Time", "Narrative",
          "Overall", "Style", "Tone"]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for r in rows:
            w.writerow(r[:5] + ["1"] * 4 + [r[5]] + ["1", "1"])
    return path


def test_pairs_become_documents_and_same_story_pairs_become_stories(tmp_path: Path) -> None:
    f = _write(tmp_path / "dev.csv", [
        ["11_12", "en", "de", "Flood closes bridge\nThe river rose overnight.",
         "Hochwasser sperrt Brücke  Der Fluss stieg in der Nacht.", "1.0"],
        ["12_13", "de", "en", "Hochwasser sperrt Brücke  Der Fluss stieg in der Nacht.",
         "Bridge shut as river floods. Engineers inspect it today.", "1.5"],
        ["14_11", "fr", "en", "Un musée rouvre ses portes après travaux",
         "Flood closes bridge\nThe river rose overnight.", "3.5"],
    ])
    rows = read_corpus(f)
    assert [r["doc_id"] for r in rows] == ["semeval-11", "semeval-12", "semeval-13", "semeval-14"]
    story = {r["doc_id"]: r["story_id"] for r in rows}
    assert story["semeval-11"] == story["semeval-12"] == story["semeval-13"]  # 1.0 and 1.5 chain
    assert story["semeval-14"] != story["semeval-11"]  # 3.5: another story
    by = {r["doc_id"]: r for r in rows}
    assert (by["semeval-11"]["title"], by["semeval-11"]["text"]) == ("Flood closes bridge", "The river rose overnight.")
    assert by["semeval-12"]["title"] == "Hochwasser sperrt Brücke" and by["semeval-12"]["lang"] == "de"
    assert by["semeval-13"]["title"] == "Bridge shut as river floods."
    assert all(r["_date"] is None for r in rows)


def test_an_article_and_its_translation_are_one_story(tmp_path: Path) -> None:
    """The organisers translated some articles (id with a language code); when the file holds an
    article and its translation in different pairs, they are one story although never paired."""
    f = _write(tmp_path / "dev.csv", [
        ["21_22", "en", "en", "Flood closes bridge\nThe river rose overnight.", "Museum reopens\nAfter works.", "4.0"],
        ["21es_23", "es", "de", "Inundación cierra puente\nEl río subió de noche.",
         "Neues Stadion\nEröffnung im Mai.", "4.0"],
        ["24it_25", "it", "en", "Un museo riapre\nDopo i lavori.", "Tram strike\nNo trams today.", "4.0"],
    ])
    story = {r["doc_id"]: r["story_id"] for r in read_corpus(f)}
    assert story["semeval-21"] == story["semeval-21es"]
    assert len({story[d] for d in ("semeval-21", "semeval-22", "semeval-23", "semeval-24it", "semeval-25")}) == 5


def test_title_and_body_run_together_get_a_headline_length_title() -> None:
    text = " ".join(f"word{i}" for i in range(40))  # no line break, double space or sentence end
    title, body = split_title(text)
    assert len(title.split()) == 15 and body.startswith("word15")
    assert split_title("Only a title") == ("Only a title", "Only a title")


def test_a_csv_without_the_pair_columns_is_not_read_as_semeval(tmp_path: Path) -> None:
    f = tmp_path / "other.csv"
    f.write_text("a,b\n1,2\n", encoding="utf-8")
    with pytest.raises(BenchError, match="not valid JSON"):  # read as JSONL, and refused with its line
        read_corpus(f)
    g = _write(tmp_path / "bad.csv", [["11-12", "en", "en", "A", "B", "1.0"]])
    with pytest.raises(BenchError, match="pair_id '11-12'"):
        read_corpus(g)


def test_the_bench_streams_the_csv_through_ingest_as_jsonl(tmp_path: Path) -> None:
    from newsloom.bench.stories_pipeline import _ingest_items

    f = _write(tmp_path / "dev.csv", [
        ["11_12", "en", "de", "Flood closes bridge\nThe river rose overnight.",
         "Hochwasser sperrt Brücke  Der Fluss stieg in der Nacht.", "1.0"],
    ])
    items = _ingest_items(f)
    got = [(it.article.doc_id, it.article.lang, it.article.title) for it in items]
    assert got == [("semeval-11", "en", "Flood closes bridge"), ("semeval-12", "de", "Hochwasser sperrt Brücke")]


def test_a_csv_that_is_not_utf8_is_refused_with_its_name(tmp_path: Path) -> None:
    f = tmp_path / "latin1.csv"
    f.write_bytes(",".join(HEADER).encode() + b"\n11_12,en,en,Caf\xe9,Caf\xe9,1,1,1,1,1.0,1,1\n")
    with pytest.raises(BenchError, match="latin1.csv: not a readable UTF-8 CSV"):
        read_corpus(f)
    g = tmp_path / "latin1.jsonl"
    g.write_bytes(b'{"doc_id": "a", "story_id": "s", "lang": "fr", "title": "Caf\xe9", "text": "x"}\n')
    with pytest.raises(BenchError, match="latin1.jsonl:1: not UTF-8"):
        read_corpus(g)
