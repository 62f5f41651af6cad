"""Page metadata through trafilatura's metadata functions (pinned trafilatura 2.3.1).

``trafilatura.extract_metadata`` also computes categories, tags and licence, which newsloom does
not use and which cost about as much as the rest together (measured on AEB: ~9 of ~22 ms per page
under load). This composes the same library functions in the same order without them.
"""

from __future__ import annotations

import json
import logging
import re
from copy import deepcopy
from html import unescape
from typing import Any

from htmldate import find_date
from lxml.etree import XPath
from lxml.html import HtmlElement
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.json_metadata import (
    JSON_UNICODE_REPLACE,
    extract_json,
    extract_json_parse_error,
)
from trafilatura.metadata import (
    JSON_MINIFY,
    examine_meta,
    extract_author,
    extract_sitename,
    extract_title,
    normalize_authors,
)
from trafilatura.settings import Document
from trafilatura.utils import HTML_STRIP_TAGS, trim
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS

from newsloom.extract.xpath_fast import REGEXP_NS, fast_xpath, without_regex

LOGGER = logging.getLogger(__name__)

# trafilatura's own expressions with their regex tests done in C (see xpath_fast)
_AUTHOR_XPATHS = [fast_xpath(x.path) for x in AUTHOR_XPATHS]
_AUTHOR_DISCARD_XPATHS = [fast_xpath(x.path) for x in AUTHOR_DISCARD_XPATHS]


def _discard_tests() -> tuple[XPath, ...] | None:
    """``AUTHOR_DISCARD_XPATHS`` turned around: "is this element, or an ancestor, discarded?".

    None when trafilatura's expressions no longer have the shape this relies on.
    """
    if len(AUTHOR_DISCARD_XPATHS) != 2:
        return None
    first, second = (without_regex(x.path).strip() for x in AUTHOR_DISCARD_XPATHS)
    if not first.startswith(".//*[") or second != "//time|//figure":
        return None
    # [parent::*]: pruning cannot delete the root element, whatever it matches
    return (
        XPath(
            "ancestor-or-self::*[parent::*]" + first[len(".//*") :],
            namespaces=REGEXP_NS,
        ),
        XPath("ancestor-or-self::*[parent::*][self::time or self::figure]"),
    )


_DISCARD_TESTS = _discard_tests()

# Every literal trafilatura's author expressions test attributes for, case-folded, and the
# attributes they test. An element none of whose tested attributes holds one of these cannot
# match, so one pass over the page picks the few candidates and each expression is then tested
# on them alone, in document order: the same elements as the whole-page expressions, ~4x faster
# (each expression walks every element with up to a dozen contains() tests: ~1.8 ms per page).
_AUTHOR_STEMS = re.compile(
    r"author|byl|bbl|username|zuozhe|bianji|xiaobian|channel-name|submitted-by|posted-by|"
    r"journalist-name|screenname|writer",
    re.IGNORECASE,
)
_AUTHOR_ATTRS = ("class", "id", "rel", "itemprop", "data-testid", "data-component")
_AUTHOR_ATTR_RE = re.compile(r"@([\w-]+)")


def _self_tests() -> list[XPath] | None:
    """Each author expression as a test of one element, or None when their shape changed."""
    tests = []
    for x in AUTHOR_XPATHS:
        path = without_regex(x.path).strip()
        if not set(_AUTHOR_ATTR_RE.findall(path)) <= set(_AUTHOR_ATTRS):
            return None
        parts = [part.strip() for part in path.split("]|//")]
        if not parts[0].startswith("//*[") or any(not p for p in parts[1:]):
            return None
        rest = ["self::" + p for p in parts[1:]]
        if any(not re.fullmatch(r"self::\w+", r) for r in rest):
            return None  # only bare element names after the main expression ("|//author")
        main = "self::*[" + parts[0][len("//*[") :] + ("]" if rest else "")
        tests.append(XPath(" | ".join([main, *rest]), namespaces=REGEXP_NS))
    return tests


_AUTHOR_SELF_TESTS = _self_tests()
_EXTRA_TAGS = {"author"}  # "|//author" in the first expression


def _author_candidates(tree: HtmlElement) -> list[HtmlElement]:
    out = []
    for el in tree.iter():
        if el.tag in _EXTRA_TAGS:
            out.append(el)
            continue
        attrib = el.attrib
        if attrib and any(
            (value := attrib.get(name)) and _AUTHOR_STEMS.search(value) for name in _AUTHOR_ATTRS
        ):
            out.append(el)
    return out


def _author_elements(tree: HtmlElement) -> list[list[HtmlElement]]:
    """For each author expression, the elements it matches, in document order."""
    if _AUTHOR_SELF_TESTS is None or tree.xpath("boolean(//*[rel='me'])"):
        return [expression(tree) for expression in _AUTHOR_XPATHS]
    candidates = _author_candidates(tree)
    return [[el for el in candidates if test(el)] for test in _AUTHOR_SELF_TESTS]


def _author(tree: HtmlElement) -> str | None:
    """``trafilatura.metadata.extract_author`` without deep-copying and pruning the whole page.

    That function copies the tree, deletes the discardable sections (comments, dates, figures,
    ...) and takes the first author-like element left: ~3 ms per page. Deleting elements never
    creates a match, so the same element is the first author-like one not inside a discarded
    section, and only its own subtree needs copying and pruning for its text.
    """
    if _DISCARD_TESTS is None:
        return extract_author(tree)
    for matches in _author_elements(tree):
        for elem in matches:
            if any(test(elem) for test in _DISCARD_TESTS):
                continue
            if (
                _AUTHOR_DISCARD_XPATHS[0](elem)
                or next(elem.iterdescendants("time", "figure"), None) is not None
            ):
                elem = prune_unwanted_nodes(deepcopy(elem), _AUTHOR_DISCARD_XPATHS)
            content = trim(" ".join(elem.itertext()))
            if content and 2 < len(content) < 120:
                return normalize_authors(None, content)
    return None


_SURROGATES = re.compile("[\ud800-\udfff]")


def _normalize_json(string: str) -> str:
    """``trafilatura.json_metadata.normalize_json`` without its per-character Python loop.

    It runs over whole JSON-LD scripts (article bodies included): ~1 ms per AEB page.
    """
    if "\\" in string:
        string = string.replace("\\n", "").replace("\\r", "").replace("\\t", "")
        string = JSON_UNICODE_REPLACE.sub(lambda match: chr(int(match[1], 16)), string)
        string = _SURROGATES.sub("", string)
        string = unescape(string)
    return trim(HTML_STRIP_TAGS.sub("", string))


def _meta_json(tree: HtmlElement, md: Document) -> Document:
    """``trafilatura.metadata.extract_meta_json`` with the faster ``_normalize_json``."""
    for elem in tree.xpath(
        './/script[@type="application/ld+json" or @type="application/settings+json"]'
    ):
        if not elem.text:
            continue
        text = _normalize_json(JSON_MINIFY.sub(r"\1", elem.text))
        try:
            md = extract_json(json.loads(text, strict=False), md)
        except json.JSONDecodeError:
            md = extract_json_parse_error(text, md)
    return md


def page_metadata(tree: HtmlElement, url: str, date_params: dict[str, Any]) -> Document:
    """Title, author(s) (``"A; B"``), description, site name, image and publication date."""
    md = examine_meta(tree)
    if md.author and " " not in md.author:
        md.author = None  # a single token is a handle or a CMS user id, not a name
    try:
        md = _meta_json(tree, md)
    except Exception as exc:  # noqa: BLE001 - trafilatura's JSON-LD parser raises assorted errors
        LOGGER.debug("%s: JSON-LD metadata unreadable (%s)", url, exc)
    if not md.title:
        md.title = extract_title(tree)
    if not md.author:
        md.author = _author(tree)
    # the fast rules date 179 of 181 AEB pages; the extensive search (dateparser) finds the same
    # dates there and 2 more, but loading it costs ~2.5 s per process: only run it when needed
    md.date = find_date(tree, url=url, **{**date_params, "extensive_search": False})
    if md.date is None and date_params.get("extensive_search", True):
        md.date = find_date(tree, url=url, **date_params)
    if not md.sitename:
        md.sitename = extract_sitename(tree)
    if md.sitename:
        md.sitename = md.sitename.lstrip("@")
    md.clean_and_trim()
    return md
