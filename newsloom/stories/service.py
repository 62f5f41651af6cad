"""The stories stage of the pipeline: embed a stored article, place it in a story, keep the
story's record (headlines, languages, countries, sources, timeline, facets) and its lineage
marks up to date in the store.

The clusterer's state lives in memory. At start-up it is rebuilt by replaying stored articles
in arrival order with their stored embeddings, which gives the same stories as the original
stream (the clusterer is deterministic); ``rebuild`` does the same from scratch for the whole
archive (``newsloom stories rebuild``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from newsloom.config import Settings
from newsloom.models import Article, Story
from newsloom.store.base import Store

if TYPE_CHECKING:
    from newsloom.analyse.embed import Embedder
    from newsloom.stories.cluster import ClusterItem, StoryClusterer

log = logging.getLogger("newsloom.stories")

# Lineage is recomputed over a story's members when it grows; past this size only the newest
# members are re-marked against the earlier ones (lineage of old members no longer changes).
_LINEAGE_MAX = 200
ENTITY_KEYS_AS_NAMES = True
FALLBACK_MODEL = "e5-small"
FALLBACK_LEAD_CHARS = 300
# Centred e5 cosines run lower than USE-m3's for the same pair. Measured by clustering all of
# MEANTIME in the e5 space (as if no language were covered): BCubed F1 0.898 at 0.70 (recall
# 0.82), 0.990 at 0.60, 0.984 at 0.50 (precision 0.97).
FALLBACK_THRESHOLD = 0.60


class StoryService:
    def __init__(self, store: Store, settings: Settings, replay: bool = True) -> None:
        from newsloom.analyse.embed import get_embedder

        self.store = store
        self.settings = settings
        self.embedder = get_embedder(settings.embedder, threads=settings.embed_threads)
        self.model = self.embedder.name
        self._fallback = None  # e5-small, loaded on the first article the default does not cover
        # one clusterer per vector space: spaces are not comparable, so an article in a language
        # the default embedder does not cover is clustered among the other such articles (e5)
        self.clusterers: dict[str, StoryClusterer] = {}
        self._merges_seen: dict[str, int] = {}
        if replay:
            self._replay()

    @property
    def clusterer(self) -> "StoryClusterer":
        """The default space's clusterer."""
        return self._clusterer(self.model)

    def _clusterer(self, model: str) -> "StoryClusterer":
        from newsloom.stories.cluster import StoryClusterer

        if model not in self.clusterers:
            window = timedelta(days=self.settings.story_window_days)
            if model == FALLBACK_MODEL and model != self.model:
                self.clusterers[model] = StoryClusterer(threshold=FALLBACK_THRESHOLD, window=window)
            else:
                self.clusterers[model] = StoryClusterer(window=window)
            self._merges_seen[model] = 0
        return self.clusterers[model]

    def _fallback_embedder(self) -> "Embedder":
        from newsloom.analyse.embed import get_embedder

        if self._fallback is None:
            self._fallback = get_embedder(FALLBACK_MODEL, threads=self.settings.embed_threads)
        return self._fallback

    # --- per article ------------------------------------------------------------------------
    def embed(self, articles: list[Article]) -> np.ndarray:
        from newsloom.analyse.embed import article_text
        from newsloom.stories.cluster import DEFAULT_LEAD_CHARS

        texts = [article_text(a.title, a.text, DEFAULT_LEAD_CHARS) for a in articles]
        return self.embedder.embed(texts)

    def embed_routed(self, article: Article) -> tuple[str, np.ndarray]:
        """(model, vector): the default embedder where it covers the language, else e5-small
        on title + a shorter lead (it is ~10x slower per token), mean-centred."""
        if self.embedder.covers(article.lang):
            return self.model, self.embed([article])[0]
        from newsloom.analyse.embed import article_text
        from newsloom.stories.similarity import E5, centre_e5

        vec = self._fallback_embedder().embed([article_text(article.title, article.text, FALLBACK_LEAD_CHARS)])[0]
        return FALLBACK_MODEL, centre_e5({E5: vec})[E5]

    def add(self, article: Article, vector: np.ndarray | None = None, model: str | None = None) -> int:
        """Place a stored article (id set) in a story; returns the story id."""
        from newsloom.analyse.entities import extract_entities
        from newsloom.analyse.quotes import extract_quotes

        assert article.id is not None
        if vector is None:
            model, vector = self.embed_routed(article)
        model = model or self.model
        self.store.save_embedding(article.id, model, np.asarray(vector, np.float32).tobytes())
        article.entities = [e.to_dict() for e in extract_entities(article.text or "", article.lang)]
        article.quotes = [q.to_dict() for q in extract_quotes(article.text or "", article.lang)]
        sid = self._assign(article, vector, model)
        article.story_id = sid
        self._refresh(sid, new=article)
        self._apply_merges(model)
        return sid

    def _assign(self, article: Article, vector: np.ndarray, model: str | None = None) -> int:
        assignment = self._clusterer(model or self.model).add(_item(article, vector))
        if assignment.reason:
            note = f"story: {assignment.reason}"
            if note not in article.notes:
                article.notes.append(note)
        return assignment.story_id

    def _apply_merges(self, model: str) -> None:
        clusterer = self._clusterer(model)
        merges = getattr(clusterer, "merges", [])
        for young, old in merges[self._merges_seen[model]:]:
            into = clusterer.resolve(old)
            with self.store.transaction():
                for a in self.store.story_articles(young):
                    a.story_id = into
                    self.store.update_article(a)
                self._refresh(into)
                story = self.store.get_story(young)
                story.merged_into = into
                self.store.save_story(story)
        self._merges_seen[model] = len(merges)

    def _refresh(self, sid: int, new: Article | None = None) -> None:
        """Recompute the story record and lineage from its members and store them."""
        from newsloom.stories.lineage import apply_lineage
        from newsloom.stories.naming import describe_story

        members = [a for a in self.store.story_articles(sid) if new is None or a.id != new.id]
        if new is not None:
            members.append(new)
        focus = members[-_LINEAGE_MAX:]
        vectors = self._vectors(a.id for a in focus if a.id is not None)
        before = {a.id: (a.lineage, a.lineage_of) for a in focus}
        apply_lineage(focus, vectors)
        story = describe_story(members, vectors, story_id=sid)
        with self.store.transaction():
            self.store.save_story(story)
            for a in focus:
                if a is new or before.get(a.id) != (a.lineage, a.lineage_of):
                    self.store.update_article(a)

    def _vectors(self, ids: Iterable[int]) -> dict[int, np.ndarray]:
        out = {}
        for i in ids:
            blob = self.store.get_embedding(i, self.model) or self.store.get_embedding(i, FALLBACK_MODEL)
            if blob is not None:
                out[i] = np.frombuffer(blob, dtype=np.float32)
        return out

    def _stored_vectors(self) -> dict[int, tuple[str, np.ndarray]]:
        out: dict[int, tuple[str, np.ndarray]] = {}
        for model in (FALLBACK_MODEL, self.model):  # the default space wins when both exist
            for aid, blob in self.store.iter_embeddings(model):
                out[aid] = (model, np.frombuffer(blob, dtype=np.float32))
        return out

    # --- start-up and rebuild -------------------------------------------------------------------
    def _replay(self) -> None:
        """Rebuild the clusterers' memory from the newest stored articles that have a story.

        Only the newest ``story_replay_articles`` (default 20,000) are replayed: older stories
        are closed by the time window anyway, and replaying a large archive at every start
        would cost minutes. The name/number rarity counts then start from that window, so
        later assignments can differ slightly from a full ``rebuild``; ``rebuild`` is exact.
        """
        newest = self.store.list_articles(limit=1)
        if not newest or newest[0].id is None:
            return
        after = max(0, newest[0].id - self.settings.story_replay_articles)
        n = 0
        for a in self.store.iter_articles(after_id=after):
            if a.story_id is None or a.id is None:
                continue
            for model in (self.model, FALLBACK_MODEL):
                blob = self.store.get_embedding(a.id, model)
                if blob is not None:
                    self._clusterer(model).add(_item(a, np.frombuffer(blob, dtype=np.float32)))
                    n += 1
                    break
        self._merges_seen = {m: len(getattr(c, "merges", [])) for m, c in self.clusterers.items()}
        if n:
            log.info("stories: replayed %d articles", n)

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget all stories and re-cluster the whole archive in arrival order (same result as
        streaming it). Embeddings already stored are reused."""
        self.store.clear_stories()
        self.clusterers, self._merges_seen = {}, {}
        vectors = self._stored_vectors()
        n = 0
        for a in self.store.iter_articles():
            if a.status == "removed":
                continue
            model, vec = vectors.get(a.id, (None, None))
            a.story_id, a.lineage, a.lineage_of = None, None, None
            self.add(a, vec, model)
            n += 1
            if progress:
                progress(n)
        return n


def _item(article: Article, vector: np.ndarray | None) -> "ClusterItem":
    from newsloom.stories.cluster import make_item

    item = make_item(article, vector)
    if ENTITY_KEYS_AS_NAMES:
        # entity keys are transliterated and canonical across languages ("Путин" = "Putin"),
        # so they let names count across scripts where the surface names cannot match
        item.names = item.names | {f"@{e['key']}" for e in article.entities
                                   if e.get("key") and e.get("type") in ("PER", "LOC", "ORG")}
    if article.raw_id is None and article.doc_id is not None:
        # a document imported from a JSONL corpus: its fetched_at is the import time, not a
        # news time; using it would make the stream clock jump to today and close every
        # dated story of an archive at once
        item.arrival = None
    return item


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


def story_dict(story: Story) -> dict[str, object]:
    """A story's fields as JSON-ready values (without the centroid vector)."""
    d: dict[str, object] = {k: v for k, v in story.__dict__.items() if k != "centroid"}
    for k in ("first_seen", "last_updated"):
        when = d.get(k)
        if when is not None:
            d[k] = when.isoformat()  # type: ignore[attr-defined]
    return d
