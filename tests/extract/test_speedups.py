"""The speed-ups must give the same results as the trafilatura functions they replace."""

from __future__ import annotations

from lxml.etree import XPath
from trafilatura.metadata import extract_author
from trafilatura.utils import load_html
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from newsloom.extract.meta import _author
from newsloom.extract.parse import parse_html
from newsloom.extract.xpath_fast import REGEXP_NS, fast_xpath, without_regex

PAGE = """<!doctype html><html><head><title>T</title></head><body>
<div class="sidebar"><span class="author-name">Side Bar</span></div>
<article><p class="byline">By <time>today</time> Jane Roe <figure>x</figure>and John Doe</p>
<div class="AuthorName-box">Ann Other</div><div id="xauthor">Id Match</div></article>
</body></html>"""


def test_regex_tests_become_plain_xpath() -> None:
    path = "//*[re:test(@class, '^[Cc]omments|author-?name|article-(?:share|support)')]"
    out = without_regex(path)
    assert "re:test" not in out
    for part in (
        "starts-with(@class, 'Comments')",
        "contains(@class, 'authorname')",
        "contains(@class, 'author-name')",
        "contains(@class, 'article-support')",
    ):
        assert part in out


def test_untranslatable_pattern_keeps_regex() -> None:
    path = "//*[re:test(@class, 'a.b$')]"
    assert without_regex(path) == path


def test_fast_xpaths_match_the_same_nodes() -> None:
    tree = parse_html(PAGE)
    for x in [*AUTHOR_XPATHS, *AUTHOR_DISCARD_XPATHS]:
        assert fast_xpath(x.path)(tree) == XPath(x.path, namespaces=REGEXP_NS)(tree)


def test_author_same_as_trafilatura() -> None:
    tree = parse_html(PAGE)
    assert _author(tree) == extract_author(tree)
    assert _author(tree) is not None


def test_parse_html_same_text_as_load_html() -> None:
    ours, theirs = parse_html(PAGE), load_html(PAGE)
    assert ours.text_content() == theirs.text_content()
    assert parse_html("just words, no markup") is None


def test_author_candidates_match_the_whole_page_expressions() -> None:
    from newsloom.extract import meta
    from newsloom.extract.parse import parse_html

    html = (
        "<html><body><div class='nav'><a href='/'>Home</a></div>"
        "<p class='byline'>By Jane Doe</p><span itemprop='author'>Jane Doe</span>"
        "<div id='zuozhe'>张三</div><div class='AuthorName'>X</div><a rel='author'>Y</a>"
        "<h4 class='posted-by'>Z</h4><author>W</author><div data-component='Byline'>V</div>"
        "<p class='text'>The article.</p></body></html>"
    )
    tree = parse_html(html)
    assert meta._AUTHOR_SELF_TESTS is not None  # the shape of trafilatura's expressions is known
    assert meta._author_elements(tree) == [x(tree) for x in meta._AUTHOR_XPATHS]
    assert all(meta._author_elements(tree))


_MODIFIED_XPATH = (
    '//meta[@property="article:modified_time" or @name="article:modified_time" '
    'or @itemprop="dateModified" or @property="og:updated_time" or @name="last-modified"]/@content'
    ' | //time[@itemprop="dateModified"]/@datetime'
)


def test_modified_date_is_the_first_the_xpath_union_finds() -> None:
    from newsloom.extract.html import _updated

    pages = [
        "<html><head><meta name='x' content='no'></head><body><p>none</p></body></html>",
        "<html><body><time itemprop='dateModified' datetime='2024-01-02'>x</time></body>"
        "<head><meta property='og:updated_time' content='2024-05-05'></head></html>",
        "<html><head><meta itemprop='dateModified' content=''>"
        "<meta name='last-modified' content='2024-03-03'></head><body><p>x</p></body></html>",
        "<html><head><meta property='article:modified_time'></head><body>"
        "<time itemprop='dateModified' datetime='2023-09-09'>y</time></body></html>",
        '<html><head><script type="application/ld+json">{"dateModified": "2022-02-02T10:00"}'
        "</script></head><body><p>x</p></body></html>",
    ]
    for html in pages:
        tree = parse_html(html)
        expected = [str(v) for v in tree.xpath(_MODIFIED_XPATH)]
        got = _updated(tree, html)
        assert got == (expected[0] if expected else "2022-02-02T10:00" if "ld+json" in html else None)


def test_paragraph_key_is_cached_and_unchanged() -> None:
    from newsloom.extract.paragraphs import key

    assert key("  Read\u00a0MORE \t here ") == "read more here"
    assert key("  Read\u00a0MORE \t here ") == "read more here"
    assert key.cache_info().hits >= 1
