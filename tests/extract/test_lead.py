"""The standfirst set apart above the body is put back (extract/lead.py), and nothing else is:
not a teaser of another page, not a block after the body, not navigation, not a script."""

from __future__ import annotations

import pytest

from newsloom.extract import extract
from newsloom.extract.lead import find_lead
from newsloom.extract.parse import parse_html

from ._pages import PARAS, raw_html

LEADS = {
    "de": ("teaser-text", "Der Stadtrat hat am Dienstag beschlossen, das Straßenbahnnetz in die nördlichen "
           "Bezirke zu erweitern; die Gegner fürchten höhere Steuern."),
    "fr": ("chapo", "Le conseil municipal a voté mardi l'extension du tramway vers les quartiers nord, "
           "un projet débattu depuis plus de dix ans."),
    "es": ("bajada", "El concejo municipal aprobó el martes ampliar el tranvía a los distritos del norte, "
           "un proyecto debatido durante más de una década."),
    "en": ("article__dek", "The council approved the northern tram line after a decade of debate; "
           "opponents warn of higher local taxes."),
}


def _page(lead_block: str, head: str = "", after: str = "", before_title: str = "") -> str:
    body = "".join(f"<p>{p}</p>" for p in PARAS * 3)
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Tram vote</title>{head}</head><body>"
        f"<header><nav><a href='/'>Home</a> <a href='/world'>World</a></nav></header>{before_title}"
        f"<main><div class='story'><header class='story-head'><h1>Tram vote</h1>{lead_block}</header>"
        f"<div class='story-body'>{body}</div>{after}</div></main>"
        f"<footer><p>Contact us</p></footer></body></html>"
    )


@pytest.mark.parametrize("lang", sorted(LEADS))
def test_a_marked_standfirst_above_the_body_is_put_back_first(lang: str) -> None:
    cls, lead = LEADS[lang]
    # text straight in a <div> of the article's header: trafilatura leaves it out (and any block
    # whose class says "teaser"), as on the pages of trafilatura-eval this was written from
    art = extract(raw_html(_page(f"<div class='{cls}'>{lead}</div>")))
    assert art.text.startswith(lead)
    assert art.text.count(lead[:40]) == 1 and PARAS[0] in art.text
    assert any("standfirst" in n for n in art.notes)


def test_an_unmarked_block_that_is_the_page_description_is_the_lead() -> None:
    lead = LEADS["en"][1]
    head = f"<meta name='description' content='{lead[:90]}...'>"
    art = extract(raw_html(_page(f"<div class='x7f'>{lead}</div>", head=head)))
    assert art.text.startswith(lead)
    # without the description the same unmarked block is not taken
    assert lead[:40] not in extract(raw_html(_page(f"<div class='x7f'>{lead}</div>"))).text


@pytest.mark.parametrize(
    "where",
    [
        "link",  # a teaser of another page
        "after",  # a related-story teaser after the body
        "aside",  # a marked block in an aside
        "topbar",  # a marked block of the site's top bar, outside the article
        "short",  # a label, not a paragraph
        "meta",  # a block named for metadata although one of its words says summary
    ],
)
def test_blocks_that_are_not_the_lead_are_left_out(where: str) -> None:
    lead = LEADS["de"][1]
    block = f"<div class='teaser-text'>{lead}</div>"
    pages = {
        "link": _page(f"<a href='/other'><div class='teaser-text'>{lead}</div></a>"),
        "after": _page("", after=block),
        "aside": _page(f"<aside>{block}</aside>"),
        "topbar": _page("", before_title=block),
        "short": _page("<div class='teaser-text'>Straßenbahn</div>"),
        "meta": _page(f"<div class='summary-meta'>{lead}</div>"),
    }
    art = extract(raw_html(pages[where]))
    assert not any("standfirst" in n for n in art.notes), where
    assert not art.text.startswith("Straßenbahn") and not art.text.startswith(lead[:40])


def test_script_text_inside_the_lead_block_is_not_text() -> None:
    lead = LEADS["fr"][1]
    block = f"<div class='chapo'><script>window.ads={{slot:1}};</script>{lead}</div>"
    art = extract(raw_html(_page(block)))
    assert art.text.startswith(lead) and "window.ads" not in art.text


def test_a_lead_the_extractor_kept_is_not_added_twice() -> None:
    lead = LEADS["es"][1]
    tree = parse_html(_page(f"<div class='bajada'>{lead}</div>"))
    assert find_lead(tree, lead + "\n" + "\n".join(PARAS * 3)) is None
    assert find_lead(tree, "\n".join(PARAS * 3)) == lead


@pytest.mark.parametrize("cls", ["summary_data", "summary"])
def test_a_byline_and_date_list_is_not_the_lead(cls: str) -> None:
    """A block named "summary" (or "summary_data") that holds the byline and the date as a list
    (a Japanese blog's header in AEB): metadata, not a paragraph."""
    block = (f"<div class='{cls}'><ul><li>von Redaktion Stadtnachrichten und Agenturen ／ 2016.12.01</li>"
             "<li><a href='/share'>Teilen</a></li></ul></div>")
    assert find_lead(parse_html(_page(block)), "\n".join(PARAS * 3)) is None
