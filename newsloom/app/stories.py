"""Stories use cases: the ranked list (front page, per language, per source), one story with its
coverage, blindspots, and the JSON views the CLI and the API print.

Ranking is by breadth (distinct sources, countries, languages) and growth (the last update),
stored with each story by the store (``store/_reader.py``); pages are keyset cursors, so page 500
costs what page 1 does.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from newsloom.errors import NewsloomError, NotFoundError
from newsloom.models import Article, Story, utcnow
from newsloom.rights.policy import snippet_for
from newsloom.store._reader import StoryQuery
from newsloom.store.base import Store

# what the time-range filter offers (key -> how far back)
RANGES: dict[str, timedelta | None] = {
    "24h": timedelta(hours=24), "3d": timedelta(days=3), "7d": timedelta(days=7),
    "30d": timedelta(days=30), "all": None,
}
SNIPPET_CHARS = 200
_MAX_LIMIT = 100
# members of one story read for its page: a story of thousands of reports shows the earliest
# ones (originals are early) and says how many more there are
_STORY_PAGE_ARTICLES = 400


class BadQuery(NewsloomError):
    """A parameter a reader or API client gave is not valid (the web layer answers 422)."""


@dataclass
class StoryCard:
    story: Story
    score: float
    headline: str
    headline_lang: str | None  # the language of ``headline`` when it is not the reader's


@dataclass
class StoryPage:
    items: list[StoryCard]
    next_cursor: str | None


@dataclass
class ArticleView:
    article: Article
    snippet: str
    copies: list["ArticleView"] = field(default_factory=list)


@dataclass
class CoverageRow:
    source: str
    country: str | None
    langs: list[str]
    first: datetime | None
    count: int


@dataclass
class StoryDetail:
    story: Story
    card: StoryCard
    by_lang: dict[str, list[ArticleView]]
    coverage: list[CoverageRow]
    related: list[StoryCard]
    shown: int
    total: int
    outlets: dict[int, str] = field(default_factory=dict)  # article id -> outlet (lineage links)


# --- cursors and filters -------------------------------------------------------------------------
def encode_cursor(score: float, story_id: int) -> str:
    return base64.urlsafe_b64encode(f"{score!r}:{story_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> tuple[float, int] | None:
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
        score, sid = raw.split(":", 1)
        return float(score), int(sid)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadQuery(f"cursor {cursor[:40]!r}: not a cursor this server gave") from None


def since_of(range_key: str | None, now: datetime | None = None) -> datetime | None:
    if not range_key:
        return None
    if range_key not in RANGES:
        raise BadQuery(f"range {range_key[:20]!r}: expected one of {', '.join(RANGES)}")
    span = RANGES[range_key]
    return None if span is None else (now or utcnow()) - span


def _limit(limit: int) -> int:
    if not 1 <= limit <= _MAX_LIMIT:
        raise BadQuery(f"limit {limit}: expected 1 to {_MAX_LIMIT}")
    return limit


def source_name(store: Store, source_id: int | None) -> str | None:
    if source_id is None:
        return None
    try:
        return store.get_source(source_id).name
    except NotFoundError:
        raise NotFoundError(f"source {source_id}: not found") from None


# --- use cases -------------------------------------------------------------------------------
def card(story: Story, score: float, reader_lang: str | None) -> StoryCard:
    """A story as listed: the headline in the reader's language when the story has one, else
    the one of its main language, marked with that language."""
    if reader_lang and story.headlines.get(reader_lang):
        return StoryCard(story, score, story.headlines[reader_lang], None)
    for lang in [*story.languages, *story.headlines]:
        if story.headlines.get(lang):
            return StoryCard(story, score, story.headlines[lang], lang)
    return StoryCard(story, score, f"#{story.id}", None)


def list_stories(store: Store, *, reader_lang: str | None = None, lang: str | None = None,
                 country: str | None = None, source_id: int | None = None, range_key: str | None = None,
                 cursor: str | None = None, limit: int = 30) -> StoryPage:
    """Stories that matter now, best first: breadth and growth (see ``store/_reader.py``)."""
    q = StoryQuery(limit=_limit(limit) + 1, after=decode_cursor(cursor), lang=lang, country=country,
                   source=source_name(store, source_id), since=since_of(range_key))
    return _page(store.rank_stories(q), limit, reader_lang)  # type: ignore[attr-defined]


def blindspots(store: Store, *, langs: list[str], countries: list[str], reader_lang: str | None = None,
               range_key: str | None = None, cursor: str | None = None, limit: int = 30) -> StoryPage:
    """Stories covered in at least two languages or by three sources, with no report in any of
    the reader's languages nor from any of their countries."""
    if not langs and not countries:
        raise BadQuery("blindspots: choose at least one language or country you read")
    q = StoryQuery(limit=_limit(limit) + 1, after=decode_cursor(cursor), exclude_langs=langs,
                   exclude_countries=countries, min_languages=2, since=since_of(range_key))
    return _page(store.rank_stories(q), limit, reader_lang)  # type: ignore[attr-defined]


def _page(rows: list[tuple[Story, float]], limit: int, reader_lang: str | None) -> StoryPage:
    more = len(rows) > limit
    rows = rows[:limit]
    nxt = encode_cursor(rows[-1][1], int(rows[-1][0].id)) if more and rows else None  # type: ignore[arg-type]
    return StoryPage([card(s, score, reader_lang) for s, score in rows], nxt)


def resolve_story(store: Store, story_id: int) -> Story:
    """The story, following merges to the one it now lives in (ids stay resolvable)."""
    story = store.get_story(story_id)
    seen = {story_id}
    while story.merged_into is not None and story.merged_into not in seen:
        seen.add(story.merged_into)
        story = store.get_story(story.merged_into)
    return story


def snippet(article: Article, chars: int = SNIPPET_CHARS) -> str:
    """A short excerpt for public pages (never the stored text whole): the description, else the
    opening of the text, cut at a word; the publisher's signals obeyed (newsloom.rights.policy)."""
    return snippet_for(article, chars=chars)


def show_story(store: Store, story_id: int, reader_lang: str | None = None,
               snippet_chars: int = SNIPPET_CHARS) -> StoryDetail:
    """One story: articles grouped by language with copies under their original, the coverage
    matrix (who covered it, in which language and country, when), related stories."""
    story = resolve_story(store, story_id)
    # removed articles are never read: one disappears from the page as soon as it is removed
    arts, total = store.story_page_articles(int(story.id), _STORY_PAGE_ARTICLES)  # type: ignore[arg-type, attr-defined]
    views = {a.id: ArticleView(a, snippet(a, snippet_chars)) for a in arts}
    by_id = {a.id: a for a in arts}

    def root(a: Article) -> int | None:
        # a copy (or duplicate) goes under its original; a copy of a copy under the first one
        seen: set[int | None] = set()
        cur = a
        while True:
            up = cur.lineage_of if cur.lineage == "copy" else cur.duplicate_of
            if up is None or up not in by_id or up in seen:
                return cur.id if cur is not a else None
            seen.add(up)
            cur = by_id[up]

    by_lang: dict[str, list[ArticleView]] = {}
    for a in arts:
        r = root(a)
        if r is not None and r != a.id:
            views[r].copies.append(views[a.id])
        else:
            by_lang.setdefault(a.lang or "?", []).append(views[a.id])
    order = [x for x in story.languages if x in by_lang] + [x for x in by_lang if x not in story.languages]
    by_lang = {x: by_lang[x] for x in order}

    rows: dict[str, CoverageRow] = {}
    for a in sorted(arts, key=lambda a: (a.published or a.fetched_at, a.id or 0)):
        name = a.source or a.site_name or "?"
        row = rows.setdefault(name, CoverageRow(name, a.country, [], a.published or a.fetched_at, 0))
        row.count += 1
        if a.lang and a.lang not in row.langs:
            row.langs.append(a.lang)
    related = [card(s, 0.0, reader_lang) for s in store.related_stories(int(story.id))]  # type: ignore[attr-defined]
    outlets = {int(a.id): a.source or a.site_name or "?" for a in arts if a.id is not None}
    return StoryDetail(story, card(story, 0.0, reader_lang), by_lang, list(rows.values()), related,
                       len(arts), total, outlets)


# --- JSON views (CLI --json and the API) -------------------------------------------------------
def story_dict(story: Story) -> dict[str, object]:
    """A story's fields as JSON-ready values (without the centroid vector)."""
    d: dict[str, object] = {k: v for k, v in story.__dict__.items() if k != "centroid"}
    for k in ("first_seen", "last_updated"):
        when = d.get(k)
        if when is not None:
            d[k] = when.isoformat()  # type: ignore[attr-defined]
    return d


def story_view(store: Store, story: Story) -> dict[str, object]:
    """A story with its articles grouped by language, for ``stories show`` and the API."""
    arts = store.story_articles(story.id) if story.id is not None else []
    by_lang: dict[str, list[dict[str, object]]] = {}
    for a in arts:
        by_lang.setdefault(a.lang or "?", []).append({
            "id": a.id, "title": a.title, "url": a.url, "source": a.source, "country": a.country,
            "published": a.published.isoformat() if a.published else None,
            "lineage": a.lineage, "lineage_of": a.lineage_of, "duplicate_of": a.duplicate_of,
            "is_copy": a.is_copy, "primary_url": a.primary_url,
        })
    d = story_dict(story)
    d["articles_by_language"] = by_lang
    return d


def public_article(a: Article, chars: int = SNIPPET_CHARS) -> dict[str, Any]:
    """What the public API shows of an article: headline, outlet, times, lineage, a snippet and
    the link to the primary source; never the stored text. A removed article is a tombstone."""
    if a.status == "removed":
        from newsloom.rights.policy import tombstone

        return tombstone(a)  # "removed at the publisher's request"
    return {
        "id": a.id, "title": a.title, "url": a.url, "canonical_url": a.canonical_url,
        "source": a.source, "source_id": a.source_id, "country": a.country, "lang": a.lang,
        "published": a.published.isoformat() if a.published else None,
        "fetched_at": a.fetched_at.isoformat() if a.fetched_at else None,
        "story_id": a.story_id, "lineage": a.lineage, "lineage_of": a.lineage_of,
        "duplicate_of": a.duplicate_of, "is_copy": a.is_copy, "primary_url": a.primary_url,
        "snippet": snippet(a, chars), "status": a.status,
    }
