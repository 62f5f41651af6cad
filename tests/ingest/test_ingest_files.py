"""HTML and text files, dispatch by extension, directories, and file-level failures."""

from __future__ import annotations

import gzip
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsloom.errors import IngestError
from newsloom.ingest import IngestItem, IngestItemError, iter_file, iter_paths, page_url

HTML = b"""<!doctype html><html><head><meta charset="utf-8"><title>T</title></head>
<body><article><p>Hello world.</p></article></body></html>"""


def test_html_file_gets_absolute_file_url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "page.html").write_bytes(HTML)
    monkeypatch.chdir(tmp_path)
    (item,) = list(iter_file(Path("page.html")))  # relative path in, absolute URL out
    raw = item.raw
    assert raw.url == (tmp_path / "page.html").resolve().as_uri()
    assert raw.url.startswith("file:///")
    assert raw.body == HTML
    assert raw.content_type == "text/html"
    assert raw.origin == "file"
    assert raw.final_url is None
    assert item.needs_extraction


def test_html_mtime_is_fetched_at(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_bytes(HTML)
    os.utime(path, (1_700_000_000, 1_700_000_000))
    (item,) = list(iter_file(path))
    assert item.raw.fetched_at == datetime.fromtimestamp(1_700_000_000, tz=UTC)


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<link rel="canonical" href="https://news.example/a?x=1">', "https://news.example/a?x=1"),
        (
            '<link rel="Canonical Alternate" href="https://news.example/b">',
            "https://news.example/b",
        ),
        ('<meta property="og:url" content="https://news.example/c">', "https://news.example/c"),
        # canonical wins over og:url
        (
            '<meta property="og:url" content="https://news.example/og">'
            '<link rel="canonical" href="https://news.example/canon">',
            "https://news.example/canon",
        ),
        # relative canonical is useless without the page's own URL; og:url is used instead
        (
            '<link rel="canonical" href="/rel"><meta property="og:url" content="https://news.example/d">',
            "https://news.example/d",
        ),
        ('<link rel="canonical" href="/only-relative">', None),
        ('<link rel="stylesheet" href="https://news.example/s.css">', None),
    ],
)
def test_page_url(head: str, expected: str | None) -> None:
    html = f"<html><head>{head}</head><body><p>x</p></body></html>".encode()
    assert page_url(html) == expected


def test_html_with_canonical_uses_it_and_keeps_file_url(tmp_path: Path) -> None:
    path = tmp_path / "saved.html"
    path.write_bytes(
        b'<html><head><link rel="canonical" href="https://news.example/story"></head>'
        b"<body><p>x</p></body></html>"
    )
    (item,) = list(iter_file(path))
    assert item.raw.url == "https://news.example/story"
    assert item.raw.final_url == path.resolve().as_uri()


def test_gzipped_html(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(gzip.compress(HTML))
    (item,) = list(iter_file(path))
    assert item.raw.body == HTML and item.raw.content_type == "text/html"


def test_txt_in_cp1251_passes_bytes_through(tmp_path: Path) -> None:
    text = "Российские военные попали в плен. Новости дня."
    data = text.encode("cp1251")
    path = tmp_path / "ru.txt"
    path.write_bytes(data)
    (item,) = list(iter_file(path))
    raw = item.raw
    assert raw.body == data  # not decoded, not re-encoded: extract decides the charset
    assert raw.content_type == "text/plain"
    assert raw.encoding is None
    assert raw.origin == "file"
    assert raw.url == path.resolve().as_uri()


@pytest.mark.parametrize("start", [b"<!DOCTYPE html>\n<html>", b"\xef\xbb\xbf  <html lang='en'>", b"\n<HTML>"])
def test_a_web_page_named_txt_is_read_as_html(tmp_path: Path, start: bytes) -> None:
    """A saved page named .txt was stored as plain text: its tags became the article's text."""
    path = tmp_path / "page.txt"
    path.write_bytes(start + b"<head><title>T</title></head><body><p>Hello.</p></body></html>")
    (item,) = list(iter_file(path))
    assert item.raw.content_type == "text/html" and item.raw.body.endswith(b"</html>")


def test_text_that_mentions_html_stays_text(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_bytes(b"Notes on <html> tags\nA paragraph.")
    (item,) = list(iter_file(path))
    assert item.raw.content_type == "text/plain"


def test_empty_txt_is_still_a_document(tmp_path: Path) -> None:
    # Emptiness is extraction's verdict ("no article"), not the reader's.
    path = tmp_path / "empty.txt"
    path.write_bytes(b"")
    (item,) = list(iter_file(path))
    assert item.raw.body == b""


@pytest.mark.parametrize("name", ["notes.pdf", "data.csv", "README", "archive.tar.gz"])
def test_unknown_extension_is_an_error(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_bytes(b"whatever")
    (err,) = list(iter_file(path))
    assert isinstance(err, IngestError) and isinstance(err, IngestItemError)
    assert name in str(err) and "unsupported file type" in str(err)


def test_missing_file_and_directory_are_errors(tmp_path: Path) -> None:
    (err,) = list(iter_file(tmp_path / "nope.html"))
    assert "nope.html: not found" in str(err)
    d = tmp_path / "dir.html"
    d.mkdir()
    (err,) = list(iter_file(d))
    assert "is a directory" in str(err)


def test_too_large_file_is_an_error_not_a_read(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_bytes(b"<html>" + b"x" * 2000 + b"</html>")
    (err,) = list(iter_file(path, max_bytes=1000))
    assert isinstance(err, IngestItemError) and "larger than 1000 bytes" in str(err)


def test_broken_gzip_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "page.html.gz"
    path.write_bytes(b"definitely not gzip")
    (err,) = list(iter_file(path))
    assert (
        isinstance(err, IngestItemError)
        and "page.html.gz" in str(err)
        and "cannot read" in str(err)
    )


def test_iter_paths_walks_directories_sorted_skipping_hidden_and_unknown(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_bytes(b"two")
    (tmp_path / "a.html").write_bytes(HTML)
    (tmp_path / "notes.pdf").write_bytes(b"%PDF")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.html").write_bytes(HTML)
    single = tmp_path / "c.txt"
    single.write_bytes(b"three")
    outside = [single]
    results = list(iter_paths([tmp_path / "b", tmp_path, *outside]))
    assert all(isinstance(r, IngestItem) for r in results)
    names = [Path(r.where).name for r in results]
    assert names == ["2.txt", "a.html", "2.txt", "c.txt", "c.txt"]
