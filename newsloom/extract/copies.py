"""Recognise aggregator copies: pages that say their article belongs to another outlet.

Evidence, strongest first: a canonical / og:url link to another site; a "Source" / "Originally
published" / "Read more" / "via" link to another site; text that says so ("Source: ...",
"This article originally appeared on ...", "via <outlet>", an aggregator about-us blurb saying the
content belongs to its authors). ``primary_url`` is only set from a link to another site.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from courlan import extract_domain
from lxml.html import HtmlElement

from newsloom.extract import patterns as pt
from newsloom.models import Article

_I = re.IGNORECASE | re.UNICODE

_SOURCE_LINE = re.compile(
    r"(?:source|original source|fonte(?: original)?|fuente(?: original)?|quelle|источник|"
    r"source originale|fonte originale)\s*[:：]\s*(?P<what>\S.{0,150})",
    _I,
)
_ORIGINALLY = re.compile(
    r"originally (?:published|appeared|posted)|first (?:published|appeared) (?:on|in|at|by)|"
    r"this (?:article|story|post|piece) (?:originally |first )?(?:appeared|was (?:originally |first )?published) "
    r"(?:on|in|at|by)|republished (?:from|with permission)|"
    r"publicad[oa] originalmente|originalmente publicad[oa]|apareció originalmente|"
    r"publié (?:à l'origine|initialement|originellement)|paru (?:initialement|d'abord)|"
    r"ursprünglich (?:veröffentlicht|erschienen)|zuerst erschienen|"
    r"pubblicato (?:originariamente|originalmente|in origine)|"
    r"(?:впервые|первоначально) опубликован",
    _I,
)
_ORIGINALLY_STEMS = (
    "origin",
    "first",
    "republish",
    "publica",
    "publié",
    "paru",
    "ursprüng",
    "zuerst",
    "pubblicato",
    "впервые",
    "первоначально",
)
_VIA_LINE = re.compile(r"\(?\s*via\s+(?P<outlet>[\w@.'’ &-]{2,60}?)\s*\)?\.?", _I)
_READ_MORE_ANCHOR = re.compile(
    r"read more|read (?:the )?(?:full|original) (?:story|article)|continue reading|"
    r"leer más|seguir leyendo|leia mais|continue lendo|lire la suite|weiterlesen|mehr lesen|"
    r"continua a leggere|leggi (?:tutto|di più)|читать (?:далее|дальше|полностью)|подробнее",
    _I,
)
# Every _READ_MORE_ANCHOR variant holds one of these (casefolded, no spaces: labels are
# whitespace-normalised only after this test); most anchors skip the regex on it.
_READ_MORE_STEMS = re.compile(
    "read|continu|leer|seguir|leia|lire|weiterlesen|mehr|leggi|читать|подробнее"
)
_SOURCE_BEFORE = re.compile(
    r"(?:source|fonte|fuente|quelle|источник|original(?: article| story)?|оригинал)\s*[:：]\s*$", _I
)
_VIA_BEFORE = re.compile(r"(?:^|[\s(])via\s*:?\s*$", _I)
# Every text signal contains one of these; most lines are skipped on a substring test.
_TEXT_STEMS = ("source", "fonte", "fuente", "quelle", "источник", *_ORIGINALLY_STEMS, *pt.AGGREGATOR_STEMS)
# one C-level scan instead of a Python loop over ~50 substrings for every line
_TEXT_STEMS_RE = re.compile("|".join(map(re.escape, _TEXT_STEMS)))
_ORIGINALLY_STEMS_RE = re.compile("|".join(map(re.escape, _ORIGINALLY_STEMS)))
_PHOTO_WORDS = re.compile(r"image|photo|foto|getty|shutterstock|alamy", _I)
_URL_IN_TEXT = re.compile(r"https?://[^\s<>()\"']+", _I)


@dataclass
class PageLinks:
    """Links in the HTML that can name an article's primary source."""

    canonical: str | None = None
    og_url: str | None = None
    source_links: list[tuple[str, str]] = field(default_factory=list)  # (why, absolute href)
    # whitespace-normalised text of every link: how much of an extraction is navigation
    labels: set[str] = field(default_factory=set)


@dataclass
class CopyVerdict:
    is_copy: bool = False
    primary_url: str | None = None
    reasons: list[str] = field(default_factory=list)


def site_of(url: str | None) -> str | None:
    """The registered domain of ``url`` ("news.bbc.co.uk" -> "bbc.co.uk"), lower case."""
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    if not host:
        return None
    return extract_domain(url) or host.removeprefix("www.")


def other_site(url: str | None, page_url: str) -> bool:
    a, b = site_of(url), site_of(page_url)
    return bool(a and b and a != b)


def _absolute(href: str | None, base: str) -> str | None:
    if not href:
        return None
    href = href.strip()
    url = urljoin(base, href)
    return url if urlsplit(url).scheme in ("http", "https") else None


def links_from_tree(tree: HtmlElement, base_url: str) -> PageLinks:
    """Collect canonical, og:url and source-like anchors (absolute URLs)."""
    links = PageLinks()
    for el in tree.xpath("//link[@rel and @href]"):
        if "canonical" in (el.get("rel") or "").lower().split():
            links.canonical = _absolute(el.get("href"), base_url)
            break
    for el in tree.xpath('//meta[@property="og:url" or @name="og:url"][@content]'):
        links.og_url = _absolute(el.get("content"), base_url)
        break
    for a in tree.iter("a"):
        href_attr = a.get("href")
        label = a.text or "" if not len(a) else "".join(a.itertext())
        if label:
            links.labels.add(" ".join(label.split()))
        if not href_attr or href_attr.startswith(("#", "javascript:", "mailto:")):
            continue
        # The words just before the link: "Source: <a>", "Originally published on <a>", "via <a>".
        prev = a.getprevious()
        parent = a.getparent()
        before = (
            prev.tail if prev is not None else parent.text if parent is not None else None
        ) or ""
        before = " ".join(before[-120:].split())
        # Cheap string tests first: this runs for every link of every page.
        why = None
        if (
            len(label) <= 60
            and _READ_MORE_STEMS.search(label.casefold())
            and _READ_MORE_ANCHOR.fullmatch(
                " ".join(label.split()).strip(pt.EDGE_DECORATION)
            )
        ):
            why = "read-more link"
        elif before:
            low = before.lower()
            if (low.endswith((":", "：")) and _SOURCE_BEFORE.search(before)) or (
                _ORIGINALLY_STEMS_RE.search(low) and _ORIGINALLY.search(before)
            ):
                why = "source link"
            elif low.endswith(("via", "via:")) and _VIA_BEFORE.search(before):
                why = "via link"
        if why is None and (a.get("rel") or "").lower() == "original":
            why = "via link"
        if why and (href := _absolute(href_attr, base_url)):
            links.source_links.append((why, href))
    return links


def detect_copy(text: str, page_url: str, links: PageLinks | None = None) -> CopyVerdict:
    """Decide from the extractor's text (before cleanup) and the page's links."""
    verdict = CopyVerdict()
    candidates: list[str] = []
    if links is not None:
        for why, url in (("canonical link", links.canonical), ("og:url", links.og_url)):
            if url and other_site(url, page_url):
                verdict.reasons.append(f"{why} points to {site_of(url)}")
                candidates.append(url)
        for why, url in links.source_links:
            if other_site(url, page_url):
                verdict.reasons.append(f"{why} points to {site_of(url)}")
                candidates.append(url)
    for line in text.splitlines():
        s = line.strip()
        if not s or len(s) > 600:
            continue
        low = s.lower()
        if not _TEXT_STEMS_RE.search(low) and not low.startswith(("via", "(via")):
            continue
        if (m := _SOURCE_LINE.fullmatch(s)) and not _PHOTO_WORDS.search(m["what"]):
            verdict.reasons.append(f"says 'Source: {m['what'][:60]}'")
            candidates += [u for u in _URL_IN_TEXT.findall(s) if other_site(u, page_url)]
        elif _ORIGINALLY.search(s) and len(s) <= 400:
            verdict.reasons.append("says it was originally published elsewhere")
            candidates += [u for u in _URL_IN_TEXT.findall(s) if other_site(u, page_url)]
        elif m := _VIA_LINE.fullmatch(s):
            verdict.reasons.append(f"says 'via {m['outlet']}'")
        elif pt.aggregator_signal_count(s) >= 2:
            verdict.reasons.append("aggregator blurb: content belongs to its authors")
    verdict.is_copy = bool(verdict.reasons)
    verdict.primary_url = candidates[0] if candidates else None
    return verdict


def mark_copy(article: Article, links: PageLinks | None = None) -> Article:
    """Set ``is_copy`` / ``primary_url`` on ``article`` (from its raw text) and log why."""
    verdict = detect_copy(article.raw_text or article.text, article.url, links)
    if verdict.is_copy:
        article.is_copy = True
        article.primary_url = article.primary_url or verdict.primary_url
        article.cleanup_log.append("copy: " + "; ".join(verdict.reasons))
    return article
