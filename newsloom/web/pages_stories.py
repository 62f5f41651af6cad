"""Pages about stories: the front page (ranked, filtered, paged by cursor), a story, blindspots."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import AfterValidator

from newsloom.app import stories as uc
from newsloom.web.codes import check_country, check_lang, country_problem, lang_problem
from newsloom.web.render import page, ui_lang

router = APIRouter(include_in_schema=False)

Lang = Annotated[str | None, Query(max_length=20), AfterValidator(check_lang)]
Country = Annotated[str | None, Query(max_length=20), AfterValidator(check_country)]
SourceId = Annotated[int | None, Query(ge=1, le=2**62)]
Range = Annotated[str | None, Query(pattern=r"^(24h|3d|7d|30d|all)$")]
Cursor = Annotated[str | None, Query(max_length=200)]
_FACETS_TTL_S = 60.0


def facets(request: Request) -> dict[str, Any]:
    """The filter menus (languages, countries, sources with stories), recomputed each minute:
    counting them walks every story's tags."""
    state = request.app.state
    cached = getattr(state, "facets", None)
    if cached and time.monotonic() - cached[0] < _FACETS_TTL_S:
        return cached[1]
    store = state.store
    value = {
        "langs": [v for v, _ in store.story_facets("lang", 60)],
        "countries": [v for v, _ in store.story_facets("country", 120)],
        "sources": sorted(((s.id, s.name) for s in store.list_sources()), key=lambda x: x[1].lower()),
    }
    state.facets = (time.monotonic(), value)
    return value


def check_codes(langs: list[str], countries: list[str]) -> None:
    """Blindspots' repeated ``langs`` / ``countries``: a 422 naming the parameter on a code that
    cannot exist."""
    for v in langs:
        if why := lang_problem(v, "langs:"):
            raise uc.BadQuery(why)
    for v in countries:
        if why := country_problem(v, "countries:"):
            raise uc.BadQuery(why)


@router.get("/")
def front(request: Request, lang: Lang = None, country: Country = None, source: SourceId = None,
          range: Range = None, cursor: Cursor = None) -> Response:  # noqa: A002
    store = request.app.state.store
    result = uc.list_stories(store, reader_lang=ui_lang(request), lang=lang, country=country,
                             source_id=source, range_key=range, cursor=cursor)
    return page(request, "front.html", result=result, facets=facets(request),
                f={"lang": lang, "country": country.upper() if country else None, "source": source,
                   "range": range}, ranges=list(uc.RANGES), feed_base="/feeds/front",
                title="Top stories")


@router.get("/stories/{story_id}")
def story(request: Request, story_id: int) -> Response:
    store = request.app.state.store
    detail = uc.show_story(store, story_id, reader_lang=ui_lang(request),
                           snippet_chars=request.app.state.settings.snippet_chars)
    if detail.story.id != story_id:  # merged into another story: its page is the right one
        return RedirectResponse(f"/stories/{detail.story.id}", status_code=301)
    return page(request, "story.html", d=detail, title=detail.card.headline)


@router.get("/blindspots")
def blindspots(request: Request, langs: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
               countries: Annotated[list[str], Query(max_length=40)] = [],  # noqa: B006
               range: Range = None, cursor: Cursor = None) -> Response:  # noqa: A002
    check_codes(langs, countries)
    ui = ui_lang(request)
    chosen = [x.lower() for x in langs] or [ui]
    result = uc.blindspots(request.app.state.store, langs=chosen, countries=[c.upper() for c in countries],
                           reader_lang=ui, range_key=range, cursor=cursor)
    return page(request, "blindspots.html", result=result, facets=facets(request), chosen=chosen,
                chosen_countries=[c.upper() for c in countries], title="Blindspots")
