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

The clusterer's state lives in memory. At start-up it is rebuilt from the store: the newest
stored articles are placed in the stories the store says they belong to (the store is the
truth, whatever order those stories were formed in), with their stored embeddings. Then every
article the stories step still owes (stored without a story: an interrupted run, a failure in
this stage, ``stories = false`` switched on) is clustered, in arrival order (``catch_up``; the
pipeline also calls it after each pass), so an interrupted run followed by the same command
gives the store an uninterrupted one gives. ``rebuild`` re-clusters the whole archive from
scratch in effective-date order (``newsloom stories rebuild``), which is what a date-ordered
stream gives.
"""

from __future__ import annotations

import logging
from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np

from newsloom.config import Settings
from newsloom.errors import NewsloomError, NotFoundError
from newsloom.models import Article
from newsloom.stories.naming import effective_time
from newsloom.store.base import Store

if TYPE_CHECKING:
    from newsloom.analyse.embed import Embedder
    from newsloom.stories.cluster import ClusterItem, StoryClusterer

log = logging.getLogger("newsloom.stories")

# Lineage of a story up to this size is recomputed whole when it grows (an early-dated report
# arriving late can still become the "first"); past it, a new article is marked against the
# story's earliest _LINEAGE_MAX // 2 reports by time (the likely originals: a late wire copy of
# the first report is still found) and its newest _LINEAGE_MAX // 2, and the marks of the
# others are kept: bounded cost per article however big the story grows.
_LINEAGE_MAX = 200
# A big story's record is recomputed whole each time it has grown by this share (5%: amortised,
# a few members' worth of reading per new article); in between, it is extended from each new
# article (see StoryService._refresh_big).
_RECORD_GROWTH = 0.05
ENTITY_KEYS_AS_NAMES = True
FALLBACK_MODEL = "e5-small"
FALLBACK_LEAD_CHARS = 300
# Centred e5 cosines run lower than USE-m3's for the same pair. Measured by clustering all of
# MEANTIME in the e5 space (as if no language were covered): BCubed F1 0.898 at 0.70 (recall
# 0.82), 0.990 at 0.60, 0.984 at 0.50 (precision 0.97).
FALLBACK_THRESHOLD = 0.60
# The key of the e5-small title vectors in the store: the space every article shares, through
# which an article joins a story of the other space (see newsloom.stories.cluster).
TITLE_MODEL = "e5-small:title"
# A language code reserved for local use (ISO 639-2 "qaa"), never a real one: an embedder that
# claims it covers every language, so nothing is ever routed to the fallback.
_NO_LANGUAGE = "qaa"


class StoryService:
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
        # names, numbers and shingles of recently marked articles (lineage compares a story's
        # members again at each new article): ~4 kB an article, so ~40 MB
        self._signals: _LRU = _LRU(10_000)
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
        thresholds = {FALLBACK_MODEL: FALLBACK_THRESHOLD} if self.model != FALLBACK_MODEL else {}
        # one clusterer, one candidate index per space (spaces are not comparable); articles
        # meet across spaces through their title vectors (bridges)
        return StoryClusterer(window=window, space_thresholds=thresholds)

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
            texts.append(" ".join((article.title or "").split()))
        vecs = self._fallback_embedder().embed(texts)
        return FALLBACK_MODEL, centre_e5_vector(vecs[0]), centre_e5_vector(vecs[1]) if want_title else None

    def embed_title(self, article: Article) -> np.ndarray | None:
        """The mean-centred e5-small vector of the title (the space every article shares)."""
        from newsloom.analyse.embed import centre_e5_vector

        text = " ".join((article.title or "").split())
        if not text:
            return None
        return centre_e5_vector(self._fallback_embedder().embed([text])[0])

    def add(self, article: Article, vector: np.ndarray | None = None, model: str | None = None,
            title_vector: np.ndarray | None = None) -> int:
        """Place a stored article (id set) in a story; returns the story id. ``vector`` /
        ``model`` / ``title_vector``: embeddings already computed (rebuild); what is missing is
        computed and stored under its model key (the title only if the clusterer needs it)."""
        from newsloom.analyse.entities import extract_entities
        from newsloom.analyse.quotes import extract_quotes
        from newsloom.rights.policy import mining_text

        assert article.id is not None
        title: np.ndarray | Callable[[], np.ndarray | None] | None = title_vector
        if vector is None:
            model, vector, computed = self.embed_article(article, title=title_vector is None)
            if computed is not None:
                title = computed
                self.store.save_embedding(article.id, TITLE_MODEL, np.asarray(computed, np.float32).tobytes())
        if title is None and self.bridging:
            title = self._title_on_demand(article)
        model = model or self.model
        self.store.save_embedding(article.id, model, np.asarray(vector, np.float32).tobytes())
        body = mining_text(article)  # a TDM reservation: names and quotes from the headline only
        article.entities = [e.to_dict() for e in extract_entities(body, article.lang)]
        article.quotes = [q.to_dict() for q in extract_quotes(body, article.lang)]
        sid = self._assign(article, vector, model, title)
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
        in_memory = self.clusterer.remove(article_id, vectors.get(article_id))
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
        self._merges_seen = len(merges)

    def _refresh(self, sid: int, new: Article | None = None) -> None:
        """Recompute the story record and lineage from its members and store them.

        Lineage: a new article that is the story's latest report (the usual case when news
        streams in) is marked against the members before it and the others keep their marks,
        which is what re-marking the whole story would give (a mark depends only on earlier
        reports); an earlier-dated late arrival, which can become the "first" and change
        later marks, re-marks the whole story. Past _LINEAGE_MAX members, see there."""
        from newsloom.stories.lineage import apply_lineage
        from newsloom.stories.naming import describe_story

        if new is not None and self._refresh_big(sid, new):
            return
        members = [a for a in self.store.story_articles(sid) if new is None or a.id != new.id]
        if new is not None:
            members.append(new)
        if len(members) <= _LINEAGE_MAX and (new is None or not _is_latest(new, members[:-1])):
            focus = members
            vectors, spaces = self._vectors(a.id for a in focus if a.id is not None)
            before = {a.id: (a.lineage, a.lineage_of) for a in focus}
            apply_lineage(focus, vectors, spaces, self._signals, self._lineage_titles(focus, spaces))
            changed = [a for a in focus if a is new or before.get(a.id) != (a.lineage, a.lineage_of)]
        else:
            others = members[:-1] if new is not None else members
            focus = others if len(members) <= _LINEAGE_MAX else _lineage_focus(others)
            if new is not None:
                focus.append(new)
            vectors, spaces = self._vectors(a.id for a in focus if a.id is not None)
            changed = []
            if new is not None:
                self._mark_new(new, focus[:-1], vectors, spaces)
                changed = [new]
        story = describe_story(members, _one_space(vectors, spaces), story_id=sid)
        if len(members) > _LINEAGE_MAX:
            self._described[sid] = story.article_count
        with self.store.transaction():
            self.store.save_story(story)
            for a in changed:
                self.store.update_article(a)

    def _refresh_big(self, sid: int, new: Article) -> bool:
        """A new article of a story past _LINEAGE_MAX members, at a cost that does not grow
        with the story: its lineage mark against the story's focus (read whole: at most
        _LINEAGE_MAX articles; the other members only as (id, time)), and the stored record
        extended from the new article alone (``naming.extend_story``). The record is
        recomputed whole (False: the caller does it) when the story has grown by
        _RECORD_GROWTH since it last was, or was not yet in this process (measured by
        benchmarks/story_growth.py; see the README)."""
        from newsloom.stories.naming import extend_story

        described = self._described.get(sid)
        if described is None:
            return False
        times = [(i, effective_time(p, f)) for i, p, f in self.store.story_member_times(sid) if i != new.id]
        if len(times) + 1 <= _LINEAGE_MAX or len(times) + 1 >= described * (1 + _RECORD_GROWTH):
            return False
        try:
            story = self.store.get_story(sid)
        except NotFoundError:
            return False
        focus_ids = _focus_ids(times)
        focus = [*self.store.get_articles(focus_ids), new]
        vectors, spaces = self._vectors(a.id for a in focus if a.id is not None)
        self._mark_new(new, focus[:-1], vectors, spaces)
        story = extend_story(story, new)
        with self.store.transaction():
            self.store.save_story(story)
            self.store.update_article(new)
        return True

    def _mark_new(self, new: Article, others: list[Article], vectors: dict[int, np.ndarray],
                  spaces: dict[int, str]) -> None:
        from newsloom.stories.lineage import article_items, mark_new

        items = article_items([*others, new], vectors, spaces, self._signals,
                              self._lineage_titles([*others, new], spaces))
        roots = {a.id: a.lineage_of for a in others
                 if a.id is not None and a.lineage == "copy" and isinstance(a.lineage_of, int)}
        mark = mark_new(items[-1], items[:-1], roots)
        new.lineage = mark.lineage
        new.lineage_of = mark.lineage_of if isinstance(mark.lineage_of, int) else None

    def _vectors(self, ids: Iterable[int]) -> tuple[dict[int, np.ndarray], dict[int, str]]:
        """Title + lead vectors by article id, and the model (space) of each."""
        out, spaces = {}, {}
        for i, (model, blob) in self.store.get_embeddings(ids, (self.model, FALLBACK_MODEL)).items():
            out[i], spaces[i] = np.frombuffer(blob, dtype=np.float32), model
        return out, spaces

    def _lineage_titles(self, articles: list[Article], spaces: dict[int, str]
                        ) -> dict[int, "np.ndarray | Callable[[], np.ndarray | None]"]:
        """e5-small title vectors for translations across spaces (see ``lineage``), by article
        id: only when the articles are in more than one space (else none is needed, and no
        query is made); the stored ones, and for the others (USE-routed articles whose title
        the clusterer never asked for) a function that embeds and stores the title when the
        lineage code first needs it. Lineage bounds how many it asks for per article, and a
        vector computed here is float32 as it is stored, so streaming and a rebuild (which
        finds it stored) compare the same numbers."""
        if len(set(spaces.values())) < 2:
            return {}
        ids = [a.id for a in articles if a.id is not None]
        out: dict[int, np.ndarray | Callable[[], np.ndarray | None]] = {
            i: np.frombuffer(blob, dtype=np.float32) for i, (_, blob) in self.store.get_embeddings(ids, (TITLE_MODEL,)).items()}
        for a in articles:
            if a.id is not None and a.id not in out:
                out[a.id] = self._title_on_demand(a)  # float32, as stored (centre_e5)
        return out

    def _stored_vectors(self, model: str) -> dict[int, np.ndarray]:
        return {aid: np.frombuffer(blob, dtype=np.float32) for aid, blob in self.store.iter_embeddings(model)}

    # --- start-up and rebuild -------------------------------------------------------------------
    def _replay(self) -> None:
        """Rebuild the clusterer's memory from the newest stored articles that have a story,
        each placed in its stored story (``StoryClusterer.place``), in arrival order.

        Only the newest ``story_replay_articles`` (default 20,000) are replayed: replaying a
        large archive at every start would cost minutes, and memory is bounded anyway. The
        name/number rarity counts then start from that window, so later assignments can differ
        slightly from a full ``rebuild``. Articles stored without a title vector (before
        bridges existed) replay without one.
        """
        newest = self.store.list_articles(limit=1)
        if not newest or newest[0].id is None:
            return
        after = max(0, newest[0].id - self.settings.story_replay_articles)
        n = 0
        batch: list[Article] = []

        def flush() -> int:
            # one query per 500 articles for their vectors (and one for titles), not one each:
            # on PostgreSQL the round trips were most of the start-up time
            ids = [a.id for a in batch if a.id is not None]
            vecs = self.store.get_embeddings(ids, (self.model, FALLBACK_MODEL))
            titles = self.store.get_embeddings(ids, (TITLE_MODEL,)) if self.bridging else {}
            done = 0
            for a in batch:
                if a.id not in vecs or a.story_id is None:
                    continue
                model, blob = vecs[a.id]
                title = titles.get(a.id)
                self.clusterer.place(_item(a, np.frombuffer(blob, dtype=np.float32), model,
                                           None if title is None else np.frombuffer(title[1], dtype=np.float32)),
                                     a.story_id)
                done += 1
            batch.clear()
            return done

        for a in self.store.iter_articles(after_id=after):
            if a.story_id is None or a.id is None:
                continue
            batch.append(a)
            if len(batch) >= 500:
                n += flush()
        n += flush()
        self._merges_seen = len(self.clusterer.merges)
        # the stored stories were checked for convergence when they grew; placing them again
        # is not growth (maintenance would otherwise re-decide every replayed story)
        self.clusterer._dirty.clear()
        if n:
            log.info("stories: replayed %d articles", n)

    def catch_up(self, progress: Callable[[int], None] | None = None) -> int:
        """Cluster every stored article that has no story yet, in arrival order, computing
        the embeddings it lacks; returns how many. Safe to call at any time: an article is
        owed a story until this (or ``add``) gives it one."""
        n, after = 0, 0
        while ids := self.store.articles_without_story(after_id=after, limit=500):
            after = ids[-1]
            for a in self.store.get_articles(ids):
                if a.story_id is not None or a.status == "removed":
                    continue
                try:
                    self.add(a)
                except NewsloomError as exc:
                    # owed still: tried again at the next catch-up, never blocks the others
                    log.warning("stories: article %s: %s", a.id, exc)
                    continue
                n += 1
                if progress:
                    progress(n)
        if n:
            log.info("stories: caught up with %d stored articles that had no story", n)
        return n

    def rebuild(self, progress: Callable[[int], None] | None = None) -> int:
        """Forget all stories and re-cluster the whole archive in effective-date order (what a
        date-ordered stream gives, whatever order the archive arrived in; undated articles
        first, ties by arrival). Embeddings already stored are reused; missing ones are
        computed."""
        self.store.clear_stories()
        self.clusterer, self._merges_seen = self._new_clusterer(), 0
        vectors: dict[int, tuple[str, np.ndarray]] = {}
        for model in (FALLBACK_MODEL, self.model):  # the default space wins when both exist
            vectors.update((aid, (model, v)) for aid, v in self._stored_vectors(model).items())
        titles = self._stored_vectors(TITLE_MODEL) if self.bridging else {}
        n = 0
        for ids in _date_ordered(self.store):
            by_id = {a.id: a for a in self.store.get_articles(ids)}
            for aid in ids:
                a = by_id.get(aid)
                if a is None or a.status == "removed":
                    continue
                model, vec = vectors.get(aid, (None, None))  # type: ignore[arg-type]
                a.story_id, a.lineage, a.lineage_of = None, None, None
                self.add(a, vec, model, titles.get(aid))  # type: ignore[arg-type]
                n += 1
                if progress:
                    progress(n)
        return n


def _date_ordered(store: Store, chunk: int = 500) -> Iterable[list[int]]:
    """Every stored article id in effective-date order (undated first; ties by id), in chunks.
    Holds (id, time) pairs for the whole archive: ~100 bytes an article."""
    times: list[tuple[tuple[bool, datetime], int]] = []
    after = 0
    while page := store.article_times(after_id=after):
        after = page[-1][0]
        times += [((t is not None, t or datetime.min.replace(tzinfo=UTC)), i)
                  for i, t in ((i, effective_time(p, f)) for i, p, f in page)]
    times.sort()
    for start in range(0, len(times), chunk):
        yield [i for _, i in times[start:start + chunk]]


class _LRU(OrderedDict):  # type: ignore[type-arg]
    """A dict that forgets its least recently used entries past ``size`` (functools.lru_cache
    wraps a function; the lineage code wants a mapping it can be handed)."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def get(self, key: object, default: object = None) -> object:
        if key in self:
            self.move_to_end(key)
            return self[key]
        return default

    def __setitem__(self, key: object, value: object) -> None:
        super().__setitem__(key, value)
        self.move_to_end(key)
        if len(self) > self.size:
            self.popitem(last=False)


def _is_latest(new: Article, others: list[Article]) -> bool:
    """Whether ``new`` can be marked on its own (see ``StoryService._refresh``): no member is
    later in time, the story has its "first" already, and no member is an aggregator copy
    still waiting for its primary source (which ``new`` could be)."""
    if not any(a.lineage == "first" for a in others):
        return False
    urls = {u for u in (new.url, new.canonical_url) if u}
    if any(a.is_copy and a.lineage_of is None and a.primary_url in urls for a in others):
        return False
    key = _time_key(new)
    return all(_time_key(a) <= key for a in others)


def _lineage_focus(members: list[Article]) -> list[Article]:
    """The members a new article of a big story is compared with: the earliest
    ``_LINEAGE_MAX // 2`` by time (the likely originals) and the newest by arrival, in arrival
    order."""
    keep = set(_focus_ids([(a.id or 0, effective_time(a.published, a.fetched_at)) for a in members]))
    return [a for a in members if (a.id or 0) in keep]


def _focus_ids(times: list[tuple[int, datetime | None]]) -> list[int]:
    """:func:`_lineage_focus` on ``(id, time)`` pairs in arrival order: the ids to read."""
    half = _LINEAGE_MAX // 2
    by_time = sorted(times, key=lambda it: (_when_key(it[1]), it[0]))
    keep = {i for i, _ in by_time[:half]} | {i for i, _ in times[-half:]}
    return [i for i, _ in times if i in keep]


def _time_key(a: Article) -> tuple[bool, datetime]:
    return _when_key(effective_time(a.published, a.fetched_at))


def _when_key(t: datetime | None) -> tuple[bool, datetime]:
    """Sort key of an effective time (UTC already, see ``naming.effective_time``): undated last."""
    return (t is None, t or datetime.max.replace(tzinfo=UTC))


def _one_space(vectors: dict[int, np.ndarray], spaces: dict[int, str]) -> dict[int, np.ndarray]:
    """The vectors of the story's most common space (naming averages and compares them)."""
    if not vectors:
        return vectors
    counts = Counter(spaces[i] for i in vectors)
    top = min(counts, key=lambda m: (-counts[m], m))
    return {i: v for i, v in vectors.items() if spaces[i] == top}


def _lead(article: Article, chars: int) -> str:
    """Title + the first ``chars`` characters of the body, without site boilerplate sentences
    (a consent banner or log-in prompt inside a paragraph, which the page cleanup keeps, would
    pull the vector towards every page of that site: ``newsloom.analyse.boilerplate``)."""
    from newsloom.analyse.boilerplate import strip_boilerplate
    from newsloom.analyse.embed import article_text
    from newsloom.rights.policy import mining_text

    return article_text(article.title, strip_boilerplate(mining_text(article)), chars)


def _item(article: Article, vector: np.ndarray | None, space: str | None = None,
          title_vector: np.ndarray | Callable[[], np.ndarray | None] | None = None) -> "ClusterItem":
    from newsloom.stories.cluster import DEFAULT_SPACE, make_item

    item = make_item(article, vector)
    item.space = space or DEFAULT_SPACE
    item.title_vector = title_vector
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


# Presentation moved to the application layer (newsloom.app.stories); kept importable from here
# until every caller imports it from there.
from newsloom.app.stories import story_dict, story_view  # noqa: E402,F401
