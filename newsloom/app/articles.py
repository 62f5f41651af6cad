"""Articles use cases: list with filters and a total that honours them, show one, search."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from newsloom.models import Article, Revision
from newsloom.store.base import Store


@dataclass
class ArticlePage:
    items: list[Article]
    total: int  # articles matching the same filters, all pages together


def list_articles(store: Store, *, lang: str | None = None, source_id: int | None = None, limit: int = 50,
                  offset: int = 0, include_duplicates: bool = True) -> ArticlePage:
    """Newest first, with the number of articles that match the same filters. An unknown
    ``source_id`` is NotFoundError (not an empty page that looks like a silent source)."""
    if source_id is not None:
        store.get_source(source_id)
    items = store.list_articles(limit=limit, offset=offset, lang=lang, source_id=source_id,
                                include_duplicates=include_duplicates)
    return ArticlePage(items, store.count_articles(lang=lang, source_id=source_id,
                                                   include_duplicates=include_duplicates))


def show_article(store: Store, article_id: int) -> tuple[Article, list[Revision]]:
    """One article and its earlier versions."""
    return store.get_article(article_id), store.list_revisions(article_id)


def search(store: Store, query: str, limit: int = 20) -> list[Article]:
    """Full-text search over stored articles."""
    return store.search_articles(query, limit=limit)


def article_dict(a: Article, full: bool = True, text: bool | None = None) -> dict[str, Any]:
    """JSON-ready article. Without ``full`` the extractor's raw text and the cleanup log are left
    out; ``text`` (default: same as ``full``) keeps or drops the cleaned text."""
    d = a.to_dict()
    if not full:
        d.pop("raw_text", None)
        d.pop("cleanup_log", None)
    if not (full if text is None else text):
        d.pop("text", None)
    return d
