"""The standfirst: the lead paragraph between a page's headline and its body.

Many sites set the lead (standfirst, teaser, chapô, intro) apart from the body, in its own block
above it, and the extractors, which look for the densest run of paragraphs, leave it out: on the
fitting half of trafilatura-eval about a quarter of the article snippets newsloom missed were such
leads (German ``teaser-text``, French ``chapo``, ``article__intro``, ``story-lead-text`` ...).
It is the most read sentence of a news article, so it is put back, before the body.

A block is taken as the lead when it is

- marked as one: a class, id or ``itemprop`` whose words name a lead in one of the CMS
  vocabularies below, or whose text is the page's own description (``<meta name=description>``
  and ``og:description`` are most often the lead itself: a general, language-free signal);
- not named for metadata as well (``article-meta-summary``, ``summary-byline``);
- one paragraph long (40 to 1,200 characters, ideographs counted twice, no list in it), not mostly link text,
  not in navigation, an aside, a footer or a form, and not a link (a teaser of another page);
- before the body's first line in the document, and near it: the two share an ancestor below
  ``<body>`` (a lead of the same article, not a block of the page's top bar);
- not in the text already.

At most one block is added. Written from the pattern, not fitted on page ids; the bench reports
it on the fitting half, the held-out half and AEB (README, extraction).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from newsloom.extract.main_text import effective_length

MIN_LEAD = 40
MAX_LEAD = 1200
# Words of class/id/itemprop values that name a lead in common CMS templates (English, French,
# German, Spanish, Italian, Portuguese sites use these English or local words).
_LEAD_WORDS = {
    "lead", "lede", "intro", "teaser", "chapo", "chapeau", "standfirst", "summary", "excerpt",
    "preface", "abstract", "deck", "dek", "subheadline", "subhead", "subtitle", "description",
    "bajada", "copete", "entradilla", "sumario", "sottotitolo", "catenaccio", "linha", "vorspann",
}
# ... unless another word of the same attributes names metadata ("article-meta-summary",
# "summary-byline"). Kept to words that utility-CSS class names do not use ("caption-s5-fx" is a
# type style on eurosport.de's lead)
_META_WORDS = {"byline", "author", "authors", "meta", "metadata", "date", "dateline", "share", "tags"}
_LEAD_SUBSTR = re.compile("|".join(sorted(_LEAD_WORDS)), re.IGNORECASE)
_WORD_SPLIT = re.compile(r"[^A-Za-z]+|(?<=[a-z])(?=[A-Z])")
_OUTSIDE = {"nav", "aside", "footer", "form", "a", "button", "select", "label", "figcaption"}
_HIDDEN = {"script", "style", "noscript", "template"}
_BLOCKS = ("p", "div", "h2", "h3", "section", "span", "header")


def _words(value: str) -> set[str]:
    return {w.lower() for w in _WORD_SPLIT.split(value) if w}


def _norm(text: str) -> str:
    return " ".join(text.split())


def _marked(el: HtmlElement) -> bool:
    attrs = " ".join(el.get(a) or "" for a in ("class", "id", "itemprop"))
    # the substring test first: most blocks name no lead word at all
    if not attrs or not _LEAD_SUBSTR.search(attrs):
        return False
    words = _words(attrs)
    return not _LEAD_WORDS.isdisjoint(words) and _META_WORDS.isdisjoint(words)


def _outside(el: HtmlElement) -> bool:
    return any(isinstance(a.tag, str) and a.tag in _OUTSIDE for a in el.iterancestors())


def _link_share(el: HtmlElement, length: int) -> float:
    linked = sum(len(_norm(a.text_content())) for a in el.iter("a"))
    return linked / max(1, length)


def _body_start(tree: HtmlElement, text: str) -> HtmlElement | None:
    """The element whose own text begins the body's first line of 30+ characters."""
    first = next((_norm(line) for line in text.splitlines() if len(_norm(line)) >= 30), None)
    if first is None:
        return None
    probe = first[:30]
    for el in tree.iter():
        own = el.text
        if own and len(own) >= 10 and isinstance(el.tag, str):
            own = _norm(own)
            if len(own) >= 10 and (own.startswith(probe) or probe.startswith(own)):
                return el
    return None


def _visible_text(el: HtmlElement) -> list[str]:
    """The text of ``el`` without scripts and styles (``text_content`` includes them)."""
    out = [el.text or ""] if el.tag not in _HIDDEN else []
    for child in el:
        if isinstance(child.tag, str) and child.tag not in _HIDDEN:
            out.extend(_visible_text(child))
        out.append(child.tail or "")
    return out


def _same_article(a: HtmlElement, b: HtmlElement) -> bool:
    # a list, not ids: lxml makes element proxies on demand, and the id of a dropped one is reused;
    # proxies held in the list stay the ones lxml hands out for those elements
    ancestors = list(a.iterancestors())
    for x in b.iterancestors():
        if any(x is y for y in ancestors):
            return x.tag not in ("body", "html")
    return False


def find_lead(tree: HtmlElement, text: str, description: str | None = None) -> str | None:
    """The page's standfirst when the main ``text`` lacks it, else None."""
    body_text = _norm(text)
    start = _body_start(tree, text)
    if start is None:
        return None
    desc = _norm(description or "").rstrip(".… ")
    probe = desc[:20] if len(desc) >= MIN_LEAD else ""
    for el in tree.iter():  # document order, up to the body's first line
        if el is start:
            break
        if el.tag not in _BLOCKS:
            continue
        # cheap tests first: the text of every block of a page costs more than the extraction
        marked = _marked(el)
        if not marked and not (probe and _norm(el.text or "").startswith(probe)):
            continue
        lead = _norm(" ".join(_visible_text(el)))
        length = effective_length(lead)
        if not MIN_LEAD <= length <= MAX_LEAD:
            continue
        if not (marked or lead.startswith(desc[:80])):
            continue
        if lead[:60] in body_text or el in start.iterancestors() or _outside(el):
            continue
        if el.find(".//h1") is not None:  # a header block holding the headline too
            continue
        if el.find(".//li") is not None:  # a list (byline and date, share links), not a paragraph
            continue
        if _link_share(el, len(lead)) >= 0.5 or not _same_article(el, start):
            continue
        return lead
    return None
