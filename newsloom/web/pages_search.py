"""The search page: full text and semantic, across languages, grouped by story."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from newsloom.app.search import Group
from newsloom.app.search import search as run_search
from newsloom.web import i18n
from newsloom.web.pages_stories import Country, Lang, Range, SourceId, facets
from newsloom.web.render import host, page, safe_url, ui_lang

router = APIRouter(include_in_schema=False)
Q = Annotated[str, Query(max_length=500)]


@router.get("/search")
def search_page(request: Request, q: Q = "", lang: Lang = None, country: Country = None,
                source: SourceId = None, range: Range = None) -> Response:  # noqa: A002
    state = request.app.state
    result = run_search(state.store, q, semantic=state.semantic, lang=lang, country=country,
                        source_id=source, range_key=range, snippet_chars=state.settings.snippet_chars)
    ui = ui_lang(request)
    return page(request, "search.html", groups=[(story_head(g, ui), hit_rows(g, ui)) for g in result.groups],
                q=q, facets=facets(request), f={"lang": lang, "country": country, "source": source, "range": range},
                title="Search")


def story_head(group: Group, ui: str) -> tuple[int | None, str, str, str, str] | None:
    """A group's story as its heading shows it: id, headline (the reader's language, else the
    first, else "#id"), counts of sources, languages and articles in the reader's format."""
    s = group.story
    if not s:
        return None
    headline = s.headlines.get(ui) or next(iter(s.headlines.values()), None) or f"#{s.id}"
    return (s.id, headline, i18n.number(len(s.sources), ui), i18n.number(len(s.languages), ui),
            i18n.number(s.article_count, ui))


HitRow = tuple[str | None, str | None, str | None, str | None, str, str, str, str, str]


def hit_rows(group: Group, ui: str) -> list[HitRow]:
    """What search.html shows of each hit, worked out here in one pass (in the template each
    hit cost ~20 attribute look-ups, filter and helper calls): link (http(s) only), headline
    (the URL when untitled and linked), language, lineage mark and its label, outlet (else the
    link's host), time as ISO and in the reader's format, snippet."""
    out: list[HitRow] = []
    for h in group.hits:
        a = h.article
        link = safe_url(a.url)
        t = a.published or a.fetched_at
        out.append((link, (a.title or a.url) if link else a.title, a.lang, a.lineage,
                    i18n.gettext(ui, a.lineage) if a.lineage else "", a.source or host(a.url),
                    t.isoformat() if isinstance(t, datetime) else "", i18n.when(t, ui), h.snippet))
    return out
