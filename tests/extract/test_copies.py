from __future__ import annotations

import pytest

from newsloom.extract import detect_copy, extract
from newsloom.extract.copies import other_site, site_of

from ._pages import PARAS, page, raw_html

URL = "https://aggregator.example.net/news/123"


def _extract(body: str = "", head: str = ""):
    return extract(raw_html(page(body=body, head=head), url=URL))


@pytest.mark.parametrize(
    ("head", "body", "primary"),
    [
        (
            "<link rel='canonical' href='https://www.origin.example.org/story/1'>",
            "",
            "https://www.origin.example.org/story/1",
        ),
        (
            "<meta property='og:url' content='https://origin.example.org/story/2'>",
            "",
            "https://origin.example.org/story/2",
        ),
        (
            "",
            "<p>Source: <a href='https://origin.example.org/story/3'>Origin Daily</a></p>",
            "https://origin.example.org/story/3",
        ),
        (
            "",
            "<p>This article originally appeared on <a href='https://origin.example.org/s/4'>Origin</a>.</p>",
            "https://origin.example.org/s/4",
        ),
        (
            "",
            "<p><a href='https://origin.example.org/s/5'>Read more</a></p>",
            "https://origin.example.org/s/5",
        ),
        (
            "",
            "<p>via <a href='https://origin.example.org/s/6'>Origin Daily</a></p>",
            "https://origin.example.org/s/6",
        ),
    ],
)
def test_copy_with_primary_link(head: str, body: str, primary: str) -> None:
    a = _extract(body, head)
    assert a.is_copy is True
    assert a.primary_url == primary
    assert any(line.startswith("copy:") for line in a.cleanup_log)


@pytest.mark.parametrize(
    "body",
    [
        "<p>Source: Origin Daily</p>",
        "<p>Originally published by Origin Daily on 3 March.</p>",
        "<p>via Reuters</p>",
        (
            "<p>Fry is an automatic aggregator of the all world’s media. All trademarks belong to their rightful "
            "owners, all materials to their authors.</p>"
        ),
        "<p>Fonte: Folha de S.Paulo</p>",
        "<p>Quelle: Süddeutsche Zeitung</p>",
    ],
)
def test_copy_said_in_text_without_link(body: str) -> None:
    a = _extract(body)
    assert a.is_copy is True and a.primary_url is None


@pytest.mark.parametrize(
    ("head", "body"),
    [
        ("<link rel='canonical' href='https://aggregator.example.net/news/123'>", ""),
        ("<link rel='canonical' href='https://m.aggregator.example.net/news/123'>", ""),
        ("", "<p><a href='/news/124'>Read more</a></p>"),
        (
            "",
            (
                "<p>Read more about the plan in <a href='https://other.example.org/x'>the council report</a>, "
                "which was published on Monday.</p>"
            ),
        ),
        ("", "<p>Source: Getty Images</p>"),
    ],
)
def test_not_a_copy(head: str, body: str) -> None:
    a = _extract(body, head)
    assert a.is_copy is False and a.primary_url is None


def test_detect_copy_on_text_with_url() -> None:
    text = "\n".join(PARAS + ["Source: https://origin.example.org/story/9"])
    v = detect_copy(text, URL)
    assert v.is_copy and v.primary_url == "https://origin.example.org/story/9"
    assert not detect_copy("\n".join(PARAS), URL).is_copy


def test_sites() -> None:
    assert site_of("https://news.bbc.co.uk/a") == "bbc.co.uk"
    assert not other_site("https://www.example.com/a", "https://example.com/b")
    assert other_site("https://example.org/a", "https://example.com/b")
    assert site_of("not a url") is None
