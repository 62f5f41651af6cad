"""A tiny in-memory stand-in for :class:`newsloom.store.base.Store`: only the lookups the
Deduper uses (plus add/update for tests), with the same semantics as the real stores."""

from __future__ import annotations

import copy
import random
from collections.abc import Iterator

from newsloom.errors import NotFoundError
from newsloom.models import Article


class FakeStore:
    url = "fake://memory"

    def __init__(self) -> None:
        self.articles: dict[int, Article] = {}
        self.lookups = 0

    def add_article(self, article: Article) -> Article:
        stored = copy.deepcopy(article)
        stored.id = len(self.articles) + 1
        self.articles[stored.id] = stored
        article.id = stored.id
        return copy.deepcopy(stored)

    def update_article(self, article: Article) -> None:
        assert article.id in self.articles
        self.articles[article.id] = copy.deepcopy(article)

    def get_article(self, article_id: int) -> Article:
        self.lookups += 1
        try:
            return copy.deepcopy(self.articles[article_id])
        except KeyError:
            raise NotFoundError(f"article {article_id} not found") from None

    def find_article_by_url(self, url: str) -> Article | None:
        self.lookups += 1
        # like the SQL stores: an exact url match wins over an article claiming it as canonical
        for field in ("url", "canonical_url"):
            for art in self.articles.values():
                if getattr(art, field) == url:
                    return copy.deepcopy(art)
        return None

    def find_article_by_hash(self, content_hash: str) -> Article | None:
        self.lookups += 1
        for art in self.articles.values():  # insertion order = id order: the earliest first
            if art.content_hash == content_hash:
                return copy.deepcopy(art)
        return None

    def reroot_duplicates(self, old_root: int, new_root: int) -> int:
        moved = 0
        for art in self.articles.values():
            if art.id != new_root and (art.id == old_root or art.duplicate_of == old_root):
                art.duplicate_of = new_root
                moved += 1
        return moved

    def iter_articles(self, batch: int = 500, after_id: int = 0) -> Iterator[Article]:
        for art_id in sorted(self.articles):
            if art_id > after_id:
                yield copy.deepcopy(self.articles[art_id])

    def list_articles(self, limit: int = 50) -> list[Article]:
        """Newest first, as the real stores list them."""
        return [copy.deepcopy(self.articles[i]) for i in sorted(self.articles, reverse=True)[:limit]]


VOCAB = [f"w{i}" for i in range(5000)]


def words(seed: int, n: int = 300) -> list[str]:
    """A reproducible pseudo-article of ``n`` words (nearly all distinct 3-grams)."""
    return random.Random(seed).choices(VOCAB, k=n)


def edit(tokens: list[str], n_changes: int, seed: int = 0) -> list[str]:
    """Replace ``n_changes`` evenly spread words with fresh ones (each touches 3 shingles)."""
    out = list(tokens)
    step = max(1, len(out) // max(1, n_changes))
    for k, i in enumerate(range(0, len(out), step)):
        if k >= n_changes:
            break
        out[i] = f"new{seed}x{k}"
    return out


def text_of(tokens: list[str], words_per_paragraph: int = 60) -> str:
    paras = [
        " ".join(tokens[i : i + words_per_paragraph]).capitalize() + "."
        for i in range(0, len(tokens), words_per_paragraph)
    ]
    return "\n\n".join(paras)
