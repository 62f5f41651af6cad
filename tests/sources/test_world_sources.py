"""The world-media source list shipped with the package."""

from __future__ import annotations

from collections import Counter
from urllib.parse import urlsplit

import pytest

from newsloom.fetch.opml import default_opml_path, load_default_sources

CONTINENTS = {"Africa", "Asia", "Europe", "North America", "South America", "Oceania"}


@pytest.fixture(scope="module")
def entries():
    return load_default_sources()


def test_shipped_file_is_inside_the_package() -> None:
    path = default_opml_path()
    assert path.is_file()
    assert path.parent.name == "data" and path.parent.parent.name == "newsloom"


def test_parses_without_problems(entries) -> None:
    assert entries.problems == []
    assert entries.duplicates == []


def test_size_and_coverage(entries) -> None:
    outlets = {e.site_url or e.feed_url for e in entries}
    assert len(outlets) >= 60
    languages = {e.language for e in entries}
    assert len(languages) >= 15
    for lang in (
        "en",
        "es",
        "pt",
        "fr",
        "de",
        "it",
        "nl",
        "ru",
        "uk",
        "pl",
        "tr",
        "ar",
        "fa",
        "hi",
        "zh",
        "ja",
        "ko",
        "id",
        "sw",
        "he",
    ):
        assert lang in languages, lang
    tops = {e.category.split("/")[0] for e in entries if e.category}
    assert len(tops & CONTINENTS) >= 5
    assert len({e.country for e in entries}) >= 30


def test_every_outline_is_complete(entries) -> None:
    for e in entries:
        assert e.name and e.category, e
        assert e.language and e.country, e
        for url in (e.feed_url, e.site_url):
            assert url is not None, e
            parts = urlsplit(url)
            assert parts.scheme in ("http", "https") and parts.netloc, url


def test_no_duplicate_feeds(entries) -> None:
    counts = Counter(e.feed_url for e in entries)
    assert [u for u, n in counts.items() if n > 1] == []
    names = Counter(e.name for e in entries)
    assert [n for n, c in names.items() if c > 1] == []


def test_public_broadcasters_and_wires_present(entries) -> None:
    names = " | ".join(e.name for e in entries)
    for needle in (
        "BBC",
        "DW",
        "France 24",
        "RFI",
        "NHK",
        "ABC News",
        "CBC",
        "RNZ",
        "NPR",
        "RTVE",
        "Rai",
        "Yle",
        "SVT",
        "NOS",
        "EFE",
        "ANSA",
    ):
        assert needle.lower() in names.lower(), needle
    dw_languages = {e.language for e in entries if e.name.startswith("DW ")}
    assert len(dw_languages) >= 3
