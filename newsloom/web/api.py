"""The JSON API (OpenAPI at /docs): stories, blindspots, articles, sources, search. Reads are
public, with ETag + Cache-Control and keyset cursors; writes need ``Authorization: Bearer``."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import Response
from pydantic import BaseModel, Field

from newsloom.app import search as search_uc
from newsloom.app import sources as src_uc
from newsloom.app import stories as uc
from newsloom.errors import DuplicateSourceError
from newsloom.web.codes import source_codes_problem
from newsloom.web.pages_stories import Country, Cursor, Lang, Range, SourceId, check_codes
from newsloom.web.render import json_response, ui_lang
from newsloom.web.security import require_writer

router = APIRouter(prefix="/api", tags=["api"])
Limit = Annotated[int, Query(ge=1, le=100)]


def _cards(page: uc.StoryPage) -> dict[str, Any]:
    return {"items": [{**uc.story_dict(c.story), "headline": c.headline, "headline_lang": c.headline_lang,
                       "score": c.score} for c in page.items], "next_cursor": page.next_cursor}


@router.get("/stories", summary="Stories ranked by breadth and growth")
def stories(request: Request, lang: Lang = None, country: Country = None, source: SourceId = None,
            range: Range = None, cursor: Cursor = None, limit: Limit = 30) -> Response:  # noqa: A002
    page = uc.list_stories(request.app.state.store, reader_lang=ui_lang(request), lang=lang, country=country,
                           source_id=source, range_key=range, cursor=cursor, limit=limit)
    return json_response(request, _cards(page))


@router.get("/blindspots", summary="Stories widely covered elsewhere, absent from your languages/countries")
def blindspots(request: Request, langs: Annotated[list[str], Query(max_length=20)] = [],  # noqa: B006
               countries: Annotated[list[str], Query(max_length=40)] = [],  # noqa: B006
               cursor: Cursor = None, limit: Limit = 30) -> Response:
    check_codes(langs, countries)
    page = uc.blindspots(request.app.state.store, langs=[x.lower()[:3] for x in langs],
                         countries=[c.upper()[:2] for c in countries], cursor=cursor, limit=limit)
    return json_response(request, _cards(page))


@router.get("/stories/{story_id}", summary="A story with its articles grouped by language")
def story(request: Request, story_id: int) -> Response:
    state = request.app.state
    d = uc.show_story(state.store, story_id, reader_lang=ui_lang(request), snippet_chars=state.settings.snippet_chars)
    chars = state.settings.snippet_chars

    def art(v: uc.ArticleView) -> dict[str, Any]:
        return {**uc.public_article(v.article, chars), "copies": [art(c) for c in v.copies]}

    out = {**uc.story_dict(d.story), "headline": d.card.headline,
           "articles_by_language": {lang: [art(v) for v in vs] for lang, vs in d.by_lang.items()},
           "coverage": [{"source": r.source, "country": r.country, "languages": r.langs,
                         "first": r.first.isoformat() if r.first else None, "articles": r.count} for r in d.coverage],
           "related": [{"id": c.story.id, "headline": c.headline} for c in d.related]}
    return json_response(request, out)


@router.get("/articles/{article_id}", summary="One article: headline, snippet, link, lineage (never the text)")
def article(request: Request, article_id: int) -> Response:
    state = request.app.state
    a = state.store.get_article(article_id)
    return json_response(request, uc.public_article(a, state.settings.snippet_chars))


@router.get("/sources", summary="Sources and their feeds' health")
def sources(request: Request) -> Response:
    out = []
    for h in src_uc.list_feeds(request.app.state.store):
        f, s = h.feed, h.source
        out.append({"feed_id": f.id, "url": f.url, "kind": f.kind, "active": f.active,
                    "last_status": f.last_status, "last_error": f.last_error, "error_count": f.error_count,
                    "last_fetched": f.last_fetched.isoformat() if f.last_fetched else None,
                    "source": None if s is None else {"id": s.id, "name": s.name, "url": s.url,
                                                       "country": s.country, "language": s.language}})
    return json_response(request, {"items": out}, max_age=60)


@router.get("/search", summary="Full-text and semantic search across languages, grouped by story")
def search(request: Request, q: Annotated[str, Query(max_length=500)], lang: Lang = None, country: Country = None,
           source: SourceId = None, range: Range = None, limit: Limit = 20) -> Response:  # noqa: A002
    state = request.app.state
    r = search_uc.search(state.store, q, semantic=state.semantic, lang=lang, country=country, source_id=source,
                         range_key=range, limit=limit, snippet_chars=state.settings.snippet_chars)
    chars = state.settings.snippet_chars
    return json_response(request, {"query": q, "semantic": r.semantic, "groups": [
        {"story": None if g.story is None else {"id": g.story.id, "headlines": g.story.headlines},
         "articles": [{**uc.public_article(h.article, chars), "match": h.how} for h in g.hits]}
        for g in r.groups]})


class NewSource(BaseModel):
    url: str = Field(max_length=2000, description="feed or news sitemap URL")
    name: str | None = Field(default=None, max_length=200)
    country: str | None = Field(default=None, max_length=2)
    language: str | None = Field(default=None, max_length=8)
    kind: str | None = Field(default=None, pattern="^(feed|sitemap)$")


class Active(BaseModel):
    active: bool


@router.post("/sources", summary="Follow a feed (needs a token)", status_code=201,
             dependencies=[Depends(require_writer)])
def add_source(request: Request, body: NewSource) -> dict[str, Any]:
    state = request.app.state
    if why := source_codes_problem(body.country, body.language):
        raise uc.BadQuery(why)
    new = src_uc.check_new_feed(body.url.strip(), name=body.name, country=body.country,
                                language=body.language, kind=body.kind)
    try:
        feed, src = src_uc.add_source(state.store, state.settings, new)
    except DuplicateSourceError as exc:
        raise HTTPException(status_code=409, detail=str(exc)) from None
    return {"feed_id": feed.id, "source_id": src.id, "url": feed.url}


@router.post("/feeds/{feed_id}/active", summary="Enable or disable a feed (needs a token)",
             dependencies=[Depends(require_writer)])
def set_active(request: Request, feed_id: int, body: Active) -> dict[str, Any]:
    feed, changed = src_uc.set_feed_active(request.app.state.store, feed_id, body.active)
    return {"feed_id": feed.id, "active": feed.active, "changed": changed}
