"""The stored side of a story: its record (headlines, languages, countries, sources, times,
timeline, facets) and its members' lineage marks, kept up to date as articles join
(``StoryRecords``, mixed into ``newsloom.stories.service.StoryService``).

A new article that is the story's latest report is marked against the members before it and
the others keep their marks, which is what re-marking the whole story gives (a mark depends
only on earlier reports); an earlier-dated late arrival re-marks the whole story. Past
``LINEAGE_MAX`` members the cost per article stays bounded (see ``_refresh_big``).
"""

from __future__ import annotations

from collections import Counter, OrderedDict
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from newsloom.errors import NotFoundError
from newsloom.models import Article
from newsloom.stories.naming import effective_time
from newsloom.stories.spaces import FALLBACK_MODEL, TITLE_MODEL

if TYPE_CHECKING:
    from newsloom.store.base import Store

# Lineage of a story up to this size is recomputed whole when it grows (an early-dated report
# arriving late can still become the "first"); past it, a new article is marked against the
# story's earliest _LINEAGE_MAX // 2 reports by time (the likely originals: a late wire copy of
# the first report is still found) and its newest _LINEAGE_MAX // 2, and the marks of the
# others are kept: bounded cost per article however big the story grows.
_LINEAGE_MAX = 200
# A big story's record is recomputed whole each time it has grown by this share (5%: amortised,
# a few members' worth of reading per new article); in between, it is extended from each new
# article (see StoryRecords._refresh_big).
_RECORD_GROWTH = 0.05


class StoryRecords:
    """Record and lineage keeping of the stories service (needs ``store``, ``model``,
    ``_signals``, ``_described`` and ``_title_on_demand`` from the class it is mixed into)."""

    store: "Store"
    model: str
    _signals: "_LRU"
    _described: dict[int, int]
    _title_on_demand: Callable[[Article], Callable[[], np.ndarray | None]]

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
