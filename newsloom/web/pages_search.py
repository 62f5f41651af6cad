"""The search page: full text and semantic, across languages, grouped by story."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from newsloom.app.search import search as run_search
from newsloom.web.pages_stories import Country, Lang, Range, SourceId, facets
from newsloom.web.render import page, ui_lang

router = APIRouter(include_in_schema=False)
Q = Annotated[str, Query(max_length=500)]


@router.get("/search")
def search_page(request: Request, q: Q = "", lang: Lang = None, country: Country = None,
                source: SourceId = None, range: Range = None) -> Response:  # noqa: A002
    state = request.app.state
    result = run_search(state.store, q, semantic=state.semantic, lang=lang, country=country,
                        source_id=source, range_key=range, snippet_chars=state.settings.snippet_chars)
    return page(request, "search.html", result=result, q=q, facets=facets(request),
                f={"lang": lang, "country": country, "source": source, "range": range},
                reader=ui_lang(request), title="Search")
