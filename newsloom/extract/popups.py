"""Hover cards and tooltips: widgets inside the article's sentences that a reader sees only on hover.

Some sites put a card in the middle of a paragraph, next to a name it explains: a photo, the
name again and links to other stories (The Hill's ``rollover-people-block``), or a tooltip with
links. The browser hides it until the pointer rests on the name; an extractor reads it as text,
and the sentence becomes "Rep. Alexandria Ocasio-CortezAlexandria Ocasio-CortezSanders doubles
down on Bolivia 'coup' ...". Such a card is removed before extraction (its tail, the rest of the
sentence, stays).

A card is an element whose class or id names a hover widget (tooltip, popover, hovercard,
rollover), that holds a link or an image (a tooltip of plain text around a term could be the
term itself), and that holds no such element itself (the innermost one: the outer element of a
card often wraps the name that stays in the sentence).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

_WORDS = ("tooltip", "popover", "hovercard", "rollover")
# lxml's XPath runs in C: one pass over the page for the few elements worth a closer look
_CANDIDATES = "//*[" + " or ".join(
    f"contains(@{attr}, '{w}')" for w in _WORDS for attr in ("class", "id")
) + "]"
_SPLIT = re.compile(r"[^a-z]+")


def _names_widget(el: HtmlElement) -> bool:
    attrs = f"{el.get('class') or ''} {el.get('id') or ''}".lower()
    return any(w in _WORDS for w in _SPLIT.split(attrs))


def drop_hover_cards(tree: HtmlElement) -> int:
    """Remove the hover cards of ``tree`` in place; returns how many were removed."""
    widgets = [el for el in tree.xpath(_CANDIDATES) if _names_widget(el)]
    # lxml hands out the same proxy for an element while one is held (the list holds them all)
    held = set(widgets)
    cards = [
        el for el in widgets
        if not any(d in held for d in el.iterdescendants())  # innermost: no widget below it
        and (el.find(".//a") is not None or el.find(".//img") is not None)
    ]
    for el in cards:
        el.drop_tree()  # keeps the tail: the rest of the sentence
    return len(cards)
