"""Feeds out: one view's data (``FeedView``), three renderers (Atom 1.0, RSS 2.0, JSON Feed 1.1),
for the front page, a story, a search, a language and a source; and the sources as OPML.

Atom and RSS are small Jinja2 templates with XML autoescaping, JSON Feed is ``json.dumps``:
no feed-writing library covers all three, and these are a few lines each.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from email.utils import format_datetime as rfc822
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from pydantic import AfterValidator

from newsloom.app import search as search_uc
from newsloom.app import stories as uc
from newsloom.app.sources import export_opml
from newsloom.models import Article, utcnow
from newsloom.web.codes import check_lang
from newsloom.web.pages_stories import Lang
from newsloom.web.render import cached, env, safe_url

router = APIRouter(tags=["feeds"])
Fmt = Literal["atom", "rss", "json"]
_TYPES = {"atom": "application/atom+xml; charset=utf-8", "rss": "application/rss+xml; charset=utf-8",
          "json": "application/feed+json; charset=utf-8"}
_ITEMS = 30


@dataclass
class FeedEntry:
    id: str
    title: str
    url: str  # the page the entry points to (primary source for articles, story page for stories)
    summary: str
    published: datetime | None
    updated: datetime | None
    author: str | None = None


@dataclass
class FeedView:
    title: str
    link: str  # the HTML page this feed mirrors
    self_url: str
    entries: list[FeedEntry] = field(default_factory=list)

    @property
    def updated(self) -> datetime:
        times = [e.updated or e.published for e in self.entries if (e.updated or e.published)]
        return max(times) if times else utcnow()


def render(view: FeedView, fmt: str) -> bytes:
    if fmt == "json":
        doc = {
            "version": "https://jsonfeed.org/version/1.1", "title": view.title,
            "home_page_url": view.link, "feed_url": view.self_url,
            "items": [{k: v for k, v in {
                "id": e.id, "url": e.url, "title": e.title, "content_text": e.summary,
                "date_published": e.published.isoformat() if e.published else None,
                "date_modified": e.updated.isoformat() if e.updated else None,
                "authors": [{"name": e.author}] if e.author else None,
            }.items() if v is not None} for e in view.entries],
        }
        return json.dumps(doc, ensure_ascii=False, indent=1).encode("utf-8")
    tpl = env.get_template("feed_atom.xml" if fmt == "atom" else "feed_rss.xml")
    return tpl.render(v=view, rfc822=lambda d: rfc822(d) if d else "",
                      iso=lambda d: d.isoformat() if d else "").encode("utf-8")


def respond(request: Request, view: FeedView, fmt: str) -> Response:
    return cached(request, render(view, fmt), _TYPES[fmt], max_age=120)


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _article_entry(a: Article, chars: int) -> FeedEntry:
    return FeedEntry(id=f"urn:newsloom:article:{a.id}", title=a.title or a.url,
                     url=safe_url(a.primary_url) or safe_url(a.url) or "", summary=uc.snippet(a, chars),
                     published=a.published or a.fetched_at, updated=a.updated, author=a.source)


def _story_entries(request: Request, page: uc.StoryPage) -> list[FeedEntry]:
    base = _base(request)
    out = []
    for c in page.items:
        s = c.story
        summary = (f"{len(s.sources)} sources, {len(s.countries)} countries, {len(s.languages)} languages "
                   f"({', '.join(s.languages[:10])}); {s.article_count} articles")
        out.append(FeedEntry(id=f"urn:newsloom:story:{s.id}", title=c.headline, url=f"{base}/stories/{s.id}",
                             summary=summary, published=s.first_seen, updated=s.last_updated))
    return out


@router.get("/feeds/front.{fmt}", summary="Front page stories as a feed")
def front_feed(request: Request, fmt: Fmt) -> Response:
    page = uc.list_stories(request.app.state.store, limit=_ITEMS)
    base = _base(request)
    return respond(request, FeedView("newsloom: top stories", f"{base}/", str(request.url),
                                     _story_entries(request, page)), fmt)


@router.get("/feeds/lang/{lang}.{fmt}", summary="Stories in one language as a feed")
def lang_feed(request: Request, lang: Annotated[str, Path(max_length=20), AfterValidator(check_lang)],
              fmt: Fmt) -> Response:
    page = uc.list_stories(request.app.state.store, lang=lang, reader_lang=lang, limit=_ITEMS)
    base = _base(request)
    return respond(request, FeedView(f"newsloom: stories in {lang}", f"{base}/?lang={lang}",
                                     str(request.url), _story_entries(request, page)), fmt)


@router.get("/feeds/story/{story_id}.{fmt}", summary="A story's articles as a feed")
def story_feed(request: Request, story_id: int, fmt: Fmt) -> Response:
    state = request.app.state
    story = uc.resolve_story(state.store, story_id)
    # the newest 100 not removed, with only the columns an entry shows
    arts = state.store.story_feed_articles(int(story.id), 100)  # type: ignore[arg-type, attr-defined]
    title = uc.card(story, 0.0, None).headline
    base = _base(request)
    entries = [_article_entry(a, state.settings.snippet_chars) for a in arts]
    return respond(request, FeedView(f"newsloom: {title}", f"{base}/stories/{story.id}", str(request.url),
                                     entries), fmt)


@router.get("/feeds/source/{source_id}.{fmt}", summary="A source's recent articles as a feed")
def source_feed(request: Request, source_id: int, fmt: Fmt) -> Response:
    state = request.app.state
    src = state.store.get_source(source_id)
    arts = state.store.list_articles(limit=_ITEMS, source_id=source_id)
    base = _base(request)
    entries = [_article_entry(a, state.settings.snippet_chars) for a in arts if a.status != "removed"]
    return respond(request, FeedView(f"newsloom: {src.name}", f"{base}/sources/{source_id}", str(request.url),
                                     entries), fmt)


@router.get("/feeds/search.{fmt}", summary="A search's results as a feed")
def search_feed(request: Request, fmt: Fmt, q: Annotated[str, Query(max_length=500)],
                lang: Lang = None) -> Response:
    state = request.app.state
    result = search_uc.search(state.store, q, semantic=state.semantic, lang=lang,
                              snippet_chars=state.settings.snippet_chars)
    entries = [_article_entry(h.article, state.settings.snippet_chars) for g in result.groups for h in g.hits]
    base = _base(request)
    return respond(request, FeedView(f"newsloom: search {q}", f"{base}/search?q={q}", str(request.url),
                                     entries), fmt)


@router.get("/sources.opml", summary="Every followed feed as OPML 2.0")
def opml(request: Request) -> Response:
    body, _ = export_opml(request.app.state.store)
    return cached(request, body, "text/x-opml; charset=utf-8", max_age=300)
