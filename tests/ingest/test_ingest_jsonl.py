"""JSONL corpora of already-extracted articles."""

from __future__ import annotations

import gzip
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from newsloom.errors import IngestError
from newsloom.ingest import IngestItem, IngestItemError, doc_urn, iter_file
from newsloom.models import Article


def write_jsonl(path: Path, rows: list) -> Path:
    lines = [r if isinstance(r, str) else json.dumps(r, ensure_ascii=False) for r in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


GOOD = {
    "doc_id": "d1",
    "story_id": "s1",
    "lang": "EN",
    "title": "Title",
    "text": "Body.\nMore.",
    "date": "2008-03-01",
    "url": "https://en.wikinews.org/wiki/X",
    "source": "Wikinews",
    "license": "CC-BY-2.5",
    "topic": "t",
}


def test_article_fields(tmp_path: Path) -> None:
    path = write_jsonl(tmp_path / "docs.jsonl", [GOOD])
    (item,) = list(iter_file(path))
    assert isinstance(item, IngestItem) and not item.needs_extraction and item.raw is None
    a = item.article
    assert isinstance(a, Article)
    assert (a.doc_id, a.title, a.text, a.lang, a.url, a.source) == (
        "d1",
        "Title",
        "Body.\nMore.",
        "en",
        "https://en.wikinews.org/wiki/X",
        "Wikinews",
    )
    assert a.published == datetime(2008, 3, 1, tzinfo=UTC)
    assert a.story_id is None  # the gold label is not the store's story id...
    assert item.extra == {
        "story_id": "s1",
        "license": "CC-BY-2.5",
        "topic": "t",
    }  # ...it is kept here
    assert item.where == f"{path}:1"


def test_dates(tmp_path: Path) -> None:
    rows = [
        {**GOOD, "doc_id": "a", "url": None, "date": None},
        {**GOOD, "doc_id": "b", "url": None, "date": "2024-05-06T07:08:09Z"},
        {**GOOD, "doc_id": "c", "url": None, "date": "2024-05-06T07:08:09+02:00"},
        {**GOOD, "doc_id": "d", "url": None},  # no "date" key at all
    ]
    rows[3].pop("date")
    got = [i.article.published for i in iter_file(write_jsonl(tmp_path / "d.jsonl", rows))]
    assert got[0] is None and got[3] is None
    assert got[1] == datetime(2024, 5, 6, 7, 8, 9, tzinfo=UTC)
    assert got[2].utcoffset().total_seconds() == 7200


def test_missing_url_gets_stable_urn(tmp_path: Path) -> None:
    row = {k: v for k, v in GOOD.items() if k != "url"}
    path = write_jsonl(tmp_path / "n.jsonl", [row])
    first = [i.article.url for i in iter_file(path)]
    second = [i.article.url for i in iter_file(path)]
    assert first == second == ["urn:newsloom:doc:d1"] == [doc_urn("d1")]


def test_shared_url_of_translations_gets_distinct_urls(tmp_path: Path) -> None:
    original = "https://en.wikinews.org/w/index.php?curid=1"
    rows = [
        {**GOOD, "doc_id": "en-1", "url": original, "is_translation": False},
        {**GOOD, "doc_id": "es-1", "url": original, "lang": "es", "is_translation": True},
        {**GOOD, "doc_id": "it-1", "url": original, "lang": "it"},  # repeated, not flagged
    ]
    arts = [i.article for i in iter_file(write_jsonl(tmp_path / "t.jsonl", rows))]
    assert [a.url for a in arts] == [original, doc_urn("es-1"), doc_urn("it-1")]
    assert [a.primary_url for a in arts] == [None, original, original]


def test_bad_lines_are_reported_and_reading_continues(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    good2 = {**GOOD, "doc_id": "d2", "url": "https://x.example/2"}
    lines = [
        json.dumps(GOOD),  # 1 ok
        "{not json",  # 2
        json.dumps([1, 2]),  # 3 not an object
        json.dumps({**GOOD, "doc_id": "e", "text": "", "title": " "}),  # 4 nothing
        json.dumps({**GOOD, "doc_id": "f", "date": "yesterday"}),  # 5 bad date
        json.dumps({**GOOD, "doc_id": "g", "url": "ftp://x"}),  # 6 bad url
        json.dumps({**GOOD, "doc_id": "h", "title": 5}),  # 7 wrong type
        json.dumps({"text": "no id and no url"}),  # 8 unidentifiable
        json.dumps(GOOD),  # 9 doc_id repeats line 1
        "",  # 10 blank: ignored
        json.dumps(good2),  # 11 ok
    ]
    data = (
        "\n".join(lines).encode() + b"\n" + b'{"doc_id": "z", "text": "\xff\xfe"}\n'
    )  # 12 bad UTF-8
    path.write_bytes(data)
    results = list(iter_file(path))
    items = [r for r in results if isinstance(r, IngestItem)]
    errors = [r for r in results if isinstance(r, IngestError)]
    assert [i.article.doc_id for i in items] == ["d1", "d2"]
    assert [e.line for e in errors] == [2, 3, 4, 5, 6, 7, 8, 9, 12]
    assert all(isinstance(e, IngestItemError) and not e.stopped for e in errors)
    messages = [str(e) for e in errors]
    for line, fragment in zip(
        [2, 3, 4, 5, 6, 7, 8, 9, 12],
        [
            "not valid JSON",
            "expected a JSON object",
            "both 'title' and 'text' are missing or empty",
            "'yesterday' is not an ISO 8601 date",
            "not an http(s) URL",
            "'title' must be a string",
            "cannot be identified",
            "repeats line 1",
            "not valid UTF-8",
        ],
    ):
        msg = messages.pop(0)
        assert msg.startswith(f"{path}:{line}: ") and fragment in msg, msg


def test_title_only_row_is_kept(tmp_path: Path) -> None:
    path = write_jsonl(
        tmp_path / "t.jsonl", [{**GOOD, "text": ""}, {**GOOD, "doc_id": "x", "text": None}]
    )
    assert [(i.article.title, i.article.text) for i in iter_file(path)] == [("Title", "")] * 2


def test_bom_on_first_line_and_numeric_doc_id(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps({"doc_id": 42, "text": "x"}).encode() + b"\n")
    (item,) = list(iter_file(path))
    assert item.article.doc_id == "42" and item.article.url == "urn:newsloom:doc:42"


def test_gzipped_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "docs.jsonl.gz"
    path.write_bytes(gzip.compress((json.dumps(GOOD) + "\n").encode()))
    (item,) = list(iter_file(path))
    assert item.article.doc_id == "d1"


def test_truncated_gzip_keeps_earlier_lines(tmp_path: Path) -> None:
    rows = "".join(json.dumps({**GOOD, "doc_id": f"d{i}", "url": None}) + "\n" for i in range(2000))
    data = gzip.compress(rows.encode())
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    results = list(iter_file(path))
    assert isinstance(results[-1], IngestItemError) and results[-1].stopped
    assert "cut.jsonl.gz" in str(results[-1])
    # a cut can leave a partial last line, reported as a bad line; everything else is intact
    assert sum(isinstance(r, IngestItem) for r in results) > 100
    assert all(isinstance(r, IngestItem) or isinstance(r, IngestItemError) for r in results)


def test_wikinews_meantime_corpus(shared_dir: Path) -> None:
    path = shared_dir / "corpora" / "wikinews-meantime" / "docs.jsonl"
    results = list(iter_file(path))
    errors = [r for r in results if isinstance(r, IngestError)]
    assert errors == []
    arts = [r.article for r in results]
    assert len(arts) == 480
    assert Counter(a.lang for a in arts) == {"en": 120, "es": 120, "it": 120, "nl": 120}
    assert len({a.url for a in arts}) == 480  # translations no longer collide on the English URL
    assert all(a.published is not None for a in arts)
    assert len({r.extra["story_id"] for r in results}) == 120
