"""The stories stage of the pipeline: embed a stored article, place it in a story, keep the
story's record (headlines, languages, countries, sources, timeline, facets) and its lineage
marks up to date in the store.

Articles are embedded by the default model (USE-m3) where it covers their language, else by
e5-small; an article can also get an e5-small vector of its title, the space all share, so an
article of one space can join a story of the other (see ``newsloom.stories.cluster``; the
clusterer asks for the title when the article starts a story part, tries to join another
space's story, or is among a part's first members). Each
vector is stored under its model key ("use-m3", "e5-small", "e5-small:title"), and replay and
rebuild reuse them.

The clusterer's state lives in memory; start-up, catch-up and rebuild are in
``newsloom.stories.resume``, the story record and lineage marks in ``newsloom.stories.record``,
the embedding spaces in ``newsloom.stories.spaces``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

import numpy as np

from newsloom.config import Settings
from newsloom.errors import ConfigError, NotFoundError
from newsloom.models import Article
from newsloom.stories.record import _LINEAGE_MAX, _LRU, StoryRecords  # noqa: F401 - _LINEAGE_MAX re-exported
from newsloom.stories.resume import StoryResume
from newsloom.stories.spaces import (  # noqa: F401 - re-exported for callers of the service
    ENTITY_KEYS_AS_NAMES,
    FALLBACK_LEAD_CHARS,
    FALLBACK_MODEL,
    FALLBACK_THRESHOLD,
    TITLE_MODEL,
    _NO_LANGUAGE,
)
from newsloom.stories.spaces import article_item as _item
from newsloom.stories.spaces import lead_text as _lead
from newsloom.stories.spaces import title_text as _title_text
from newsloom.store.base import Store

if TYPE_CHECKING:
    from newsloom.analyse.embed import Embedder
    from newsloom.stories.vectors import Prepared
    from newsloom.stories.cluster import StoryClusterer

log = logging.getLogger("newsloom.stories")

class StoryService(StoryRecords, StoryResume):
    """Embeds stored articles, clusters them into stories and keeps the stories' records.

    ``force_fallback``: languages routed to the fallback embedder (e5-small) even where the
    default one covers them. For measuring the bridges between spaces: it simulates languages
    the default embedder lacks with languages a benchmark has gold stories for
    (``newsloom bench stories``'s ``run(..., force_fallback=...)``, ``benchmarks/stories.py
    --pipeline --force-e5 nl``). The routing decided when an article was added is kept in the
    store (its embedding's model key), so replay and rebuild follow it whatever this is then.
    """

    def __init__(self, store: Store, settings: Settings, replay: bool = True,
                 force_fallback: Iterable[str] = ()) -> None:
        from newsloom.analyse.embed import get_embedder

        self.store = store
        self.settings = settings
        self.embedder = get_embedder(settings.embedder, threads=settings.embed_threads)
        self.model = self.embedder.name
        self.force_fallback = frozenset(x.strip().lower() for x in force_fallback if x.strip())
        self._fallback = None  # e5-small, loaded on the first article that needs it
        # Title vectors are only needed where articles can land in two spaces: a default
        # embedder that covers every language (and no forcing) puts everything in one.
        self.bridging = settings.story_bridges and self.model != FALLBACK_MODEL and (
            bool(self.force_fallback) or not self.embedder.covers(_NO_LANGUAGE))
        self.clusterer = self._new_clusterer()
        self._merges_seen = 0
        self._assigned_max = 0  # the newest article given a story here (resume.settle's mark)
        self._settled_mark: int | None = None  # that mark as last read or written here (not read per pass)
        # names, numbers and shingles of recently marked articles (lineage compares a story's
        # members again at each new article): ~1.7x the text, so 50-100 MB; never more than the
        # clusterer's own window, so a small machine's windows bound it too
        self._signals: _LRU = _LRU(min(10_000, settings.story_window_items))
        # story id -> its article count when its record was last recomputed whole (stories
        # past _LINEAGE_MAX only; see _refresh_big)
        self._described: dict[int, int] = {}
        self.caught_up = 0  # articles the start-up found without a story and clustered
        if replay:
            self._replay()
            self.caught_up = self.catch_up()

    @property
    def clusterers(self) -> dict[str, "StoryClusterer"]:
        """One clusterer holds every space (kept as a mapping for callers that count stories)."""
        return {"stories": self.clusterer}

    def _new_clusterer(self) -> "StoryClusterer":
        from newsloom.stories.cluster import StoryClusterer

        window = timedelta(days=self.settings.story_window_days)
        items = self.settings.story_window_items
        if not isinstance(items, int) or isinstance(items, bool) or items < 1:
            raise ConfigError(f"story_window_items={items!r}: expected a whole number of at least 1")
        thresholds = {FALLBACK_MODEL: FALLBACK_THRESHOLD} if self.model != FALLBACK_MODEL else {}
        # one clusterer, one candidate index per space (spaces are not comparable); articles
        # meet across spaces through their title vectors (bridges)
        return StoryClusterer(window=window, window_items=items,
                              space_thresholds=thresholds, language_centred={FALLBACK_MODEL},
                              centre_titles=True)

    def _fallback_embedder(self) -> "Embedder":
        from newsloom.analyse.embed import get_embedder

        if self._fallback is None:
            self._fallback = get_embedder(FALLBACK_MODEL, threads=self.settings.embed_threads)
        return self._fallback

    # --- per article ------------------------------------------------------------------------
    def route(self, lang: str | None) -> str:
        """The model that embeds title + lead of an article in ``lang``."""
        if lang and lang.split("-")[0].lower() in self.force_fallback:
            return FALLBACK_MODEL
        return self.model if self.embedder.covers(lang) else FALLBACK_MODEL

    def embed(self, articles: list[Article]) -> np.ndarray:
        from newsloom.stories.cluster import DEFAULT_LEAD_CHARS

        return self.embedder.embed([_lead(a, DEFAULT_LEAD_CHARS) for a in articles])

    def embed_routed(self, article: Article) -> tuple[str, np.ndarray]:
        """(model, vector): the default embedder where it covers the language, else e5-small
        on title + a shorter lead (it is ~10x slower per token), mean-centred."""
        model, vec, _ = self.embed_article(article, title=False)
        return model, vec

    def embed_article(self, article: Article, title: bool = True) -> tuple[str, np.ndarray, np.ndarray | None]:
        """(model, vector, title vector): :meth:`embed_routed`, plus for an e5-routed article
        (when ``title`` and the service bridges spaces) the mean-centred e5-small vector of its
        title, embedded in the same batch as the lead, which costs nothing extra (the batch is
        padded to the lead's length anyway). Other articles' titles are embedded only if the
        clusterer asks for them (:meth:`add`)."""
        from newsloom.analyse.embed import centre_e5_vector

        want_title = title and self.bridging and bool((article.title or "").strip())
        if self.route(article.lang) != FALLBACK_MODEL:
            return self.model, self.embed([article])[0], None
        texts = [_lead(article, FALLBACK_LEAD_CHARS)]
        if want_title:
            texts.append(_title_text(article))
        vecs = self._fallback_embedder().embed(texts)
        return FALLBACK_MODEL, centre_e5_vector(vecs[0]), centre_e5_vector(vecs[1]) if want_title else None

    def embed_title(self, article: Article) -> np.ndarray | None:
        """The mean-centred e5-small vector of the title, or of a short item whole (the space
        every article shares; see ``newsloom.stories.spaces.title_text``)."""
        from newsloom.analyse.embed import centre_e5_vector

        text = _title_text(article)
        if not text:
            return None
        return centre_e5_vector(self._fallback_embedder().embed([text])[0])

    def add(self, article: Article, vector: np.ndarray | None = None, model: str | None = None,
            title_vector: np.ndarray | None = None, ready: "Prepared | None" = None) -> int:
        """Place a stored article (id set) in a story; returns the story id. ``vector`` /
        ``model`` / ``title_vector``: embeddings already computed (rebuild); what is missing is
        computed and stored under its model key (the title only if the clusterer needs it).
        ``ready``: vectors computed ahead in a worker process (``newsloom.stories.vectors``),
        used where they are what this service would compute."""
        from newsloom.analyse.entities import extract_entities
        from newsloom.analyse.quotes import extract_quotes
        from newsloom.rights.policy import mining_text

        assert article.id is not None
        title: np.ndarray | Callable[[], np.ndarray | None] | None = title_vector
        if vector is None and ready is not None:
            got_model, vector, got_title = self._use_ready(article, ready, want_title=title_vector is None)
            if vector is not None:
                model, title = got_model, title if got_title is None else got_title
        if vector is None:
            model, vector, computed = self.embed_article(article, title=title_vector is None)
            if computed is not None:
                title = computed
                self.store.save_embedding(article.id, TITLE_MODEL, np.asarray(computed, np.float32).tobytes())
        if title is None and self.bridging:
            title = self._title_on_demand(article)
        model = model or self.model
        self.store.save_embedding(article.id, model, np.asarray(vector, np.float32).tobytes())
        if (article.rights or {}).get("tdm_reserved") or not (article.entities or article.quotes):
            # not extracted by the analyse step (an article stored before it did, a caller
            # that skips it), or a TDM reservation: names and quotes from the headline only
            body = mining_text(article)
            article.entities = [e.to_dict() for e in extract_entities(body, article.lang)]
            article.quotes = [q.to_dict() for q in extract_quotes(body, article.lang)]
        sid = self._assign(article, vector, model, title)
        self._assigned_max = max(self._assigned_max, article.id)
        article.story_id = sid
        self._refresh(sid, new=article)
        self._apply_merges()
        # the maintenance pass this article triggered may have merged its story into another
        article.story_id = self.clusterer.resolve(sid)
        return article.story_id

    def remove(self, article_id: int) -> int | None:
        """Take a stored article out of its story, in memory and in the store (a publisher's
        removal request, a page retracted at the source): the article loses its story and
        lineage mark, the story's record and every member's lineage are recomputed without it
        (a story whose first report was removed gets a new first; a copy of it is re-marked),
        and a story left empty is deleted. Returns the story id, or None if it had none.

        The caller marks the article removed (``status = "removed"``) before calling this, or
        ``catch_up`` clusters it again; what else is purged (text, vectors) is the caller's."""
        try:
            article = self.store.get_article(article_id)
        except NotFoundError:
            return None
        vectors, _ = self._vectors([article_id])
        in_memory = self.clusterer.remove(article_id, vectors.get(article_id), article.lang)
        sid = article.story_id if article.story_id is not None else in_memory
        if sid is None:
            return None
        article.story_id, article.lineage, article.lineage_of = None, None, None
        self.store.update_article(article)
        self._described.pop(sid, None)
        self._signals.pop(article_id, None)
        if self.store.story_member_times(sid):
            for other in self.store.story_articles(sid):
                if other.lineage_of == article_id:  # its mark pointed to the removed article
                    other.lineage, other.lineage_of = None, None
                    self.store.update_article(other)
            self._refresh(sid)
        else:
            self.store.delete_story(sid)
        return sid

    def _use_ready(self, article: Article, ready: "Prepared", want_title: bool
                   ) -> tuple[str | None, np.ndarray | None, np.ndarray | Callable[[], np.ndarray | None] | None]:
        """(model, vector, title) from vectors computed ahead, as :meth:`add` would compute
        them; (None, None, None) where they are not (another routing, another text)."""
        from newsloom.stories.vectors import basis, title_text

        model = self.route(article.lang)
        if ready.model != model or ready.basis != basis(article):  # same model, same lead text
            return None, None, None
        title = title_text(article) if want_title and self.bridging else ""
        have = ready.title_vector if title and ready.title == title else None
        if model == FALLBACK_MODEL:  # embed_article computes the title with the lead
            if title and have is None:
                return None, None, None
            if have is not None:
                self.store.save_embedding(article.id, TITLE_MODEL, np.asarray(have, np.float32).tobytes())
            return model, ready.vector, have
        if have is None:
            return model, ready.vector, None  # the title, if wanted, on demand as ever

        def on_demand() -> np.ndarray | None:
            self.store.save_embedding(article.id, TITLE_MODEL, np.asarray(have, np.float32).tobytes())
            return have

        return model, ready.vector, on_demand

    def _title_on_demand(self, article: Article) -> Callable[[], np.ndarray | None]:
        """The title vector as the clusterer wants it: computed (and stored) only when it is
        needed, so that replay and rebuild, which find it stored, ask for the same ones."""

        def compute() -> np.ndarray | None:
            vec = self.embed_title(article)
            if vec is not None and article.id is not None:
                self.store.save_embedding(article.id, TITLE_MODEL, np.asarray(vec, np.float32).tobytes())
            return vec

        return compute

    def _assign(self, article: Article, vector: np.ndarray, model: str | None = None,
                title_vector: np.ndarray | Callable[[], np.ndarray | None] | None = None) -> int:
        assignment = self.clusterer.add(_item(article, vector, model or self.model, title_vector))
        if assignment.reason:
            note = f"story: {assignment.reason}"
            if note not in article.notes:
                article.notes.append(note)
        return assignment.story_id

    def _apply_merges(self) -> None:
        clusterer = self.clusterer
        merges = clusterer.merges
        for young, old in merges[self._merges_seen:]:
            into = clusterer.resolve(old)
            with self.store.transaction():
                for a in self.store.story_articles(young):
                    a.story_id = into
                    self.store.update_article(a)
                self._refresh(into)
                story = self.store.get_story(young)
                story.merged_into = into
                self.store.save_story(story)
        # applied: forgotten, so a daemon's list of merges does not grow for ever (one entry a
        # merge, months of them)
        del merges[:]
        self._merges_seen = 0

    # --- start-up and rebuild -------------------------------------------------------------------
