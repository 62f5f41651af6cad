"""Start-up, catch-up and rebuild of the stories service (``StoryResume``, mixed into
``newsloom.stories.service.StoryService``).

At start-up the newest stored articles are placed back in memory in the stories the store says
they belong to (``StoryClusterer.place``): the store is the truth, whatever order its stories
were formed in. Then every article still owed a story (an interrupted run, a failure in this
stage, ``stories = false`` switched on later) is clustered, in arrival order (``catch_up``; the
pipeline also calls it after each pass). ``rebuild`` re-clusters the whole archive from scratch
in effective-date order, which is what a date-ordered stream gives.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import numpy as np

from newsloom.errors import NewsloomError, StoreFull, StoreUnavailable
from newsloom.models import Article
from newsloom.stories.naming import effective_time
from newsloom.stories.spaces import FALLBACK_MODEL, TITLE_MODEL, article_item as _item

if TYPE_CHECKING:
    from newsloom.config import Settings
    from newsloom.stories.cluster import StoryClusterer
    from newsloom.store.base import Store

log = logging.getLogger("newsloom.stories")


class StoryResume:
    """What the stories service does at start-up and on ``stories rebuild`` (needs ``store``,
    ``settings``, ``model``, ``bridging``, ``clusterer``, ``_new_clusterer``, ``_merges_seen``,
    ``add`` and ``_apply_merges`` from the class it is mixed into)."""

    store: "Store"
    settings: "Settings"
    model: str
    bridging: bool
    clusterer: "StoryClusterer"
    _merges_seen: int
    _apply_merges: Callable[[], None]
    _assigned_max: int  # the newest article id the clusterer holds (placed or added)
    _settled_mark: int | None  # the store's SETTLED mark as this service last read or wrote it

    def _stored_vectors(self, model: str) -> dict[int, np.ndarray]:
        return {aid: np.frombuffer(blob, dtype=np.float32) for aid, blob in self.store.iter_embeddings(model)}

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

        settled = self._settled_mark = settled_through(self.store)
        # placed articles whose stories may owe a merge (see below); with no mark (a store from
        # before it), the newest of them, as many as two maintenance intervals
        newest_ids: deque[int] = deque(
            maxlen=None if settled is not None else 2 * max(1, self.clusterer.maintain_every))

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
                if settled is None or a.id > settled:
                    newest_ids.append(a.id)
                self._assigned_max = max(self._assigned_max, a.id)
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
        self.clusterer.merges.clear()  # placed as stored: nothing to apply
        self._merges_seen = 0
        # The stored stories were checked for convergence when they grew; placing them again
        # is not growth (maintenance would otherwise re-decide every replayed story). Except
        # the parts joined by articles after the last completed maintenance pass (the store's
        # mark, SETTLED): a process stopped after an article's story was written but before
        # the merges its maintenance pass found were (or before that pass came) would lose
        # those merges for good. Those parts stay to be looked at, as they would have been had
        # the process gone on; the start-up's catch-up ends with that pass.
        cl = self.clusterer
        recent = {cl.article_story[aid] for aid in newest_ids if aid in cl.article_story}
        cl._dirty = {pid for pid in recent if cl.stories[pid].count > 1}
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
                except (StoreFull, StoreUnavailable):
                    # the database, not this article: every next one would fail too, and going
                    # on after a reconnect would give stories out of arrival order (and, in a
                    # worker, without the serial lock, which went with the old connection)
                    raise
                except NewsloomError as exc:
                    # owed still: tried again at the next catch-up, never blocks the others
                    log.warning("stories: article %s: %s", a.id, exc)
                    continue
                n += 1
                if progress:
                    progress(n)
        if n:
            log.info("stories: caught up with %d stored articles that had no story", n)
        self.settle()
        return n

    def settle(self) -> int:
        """One maintenance pass now, its merges written to the store; returns how many. What
        every pass of the pipeline ends with (``catch_up``) and a rebuild too: two stories that
        converged are made one at the end of the pass that made them converge, not after the
        next ``maintain_every`` articles, which a quiet stream may take hours to bring (and the
        state a pass leaves no longer depends on where in that count it stopped). Cheap when
        nothing changed: a pass looks only at the parts that grew since the last one."""
        done = self.clusterer.maintain()
        self._apply_merges()
        if self._assigned_max and self._assigned_max != self._settled_mark:
            # every merge up to here is written: a restart need not look at these again
            self.store.set_state(SETTLED, str(self._assigned_max))
            self._settled_mark = self._assigned_max
        return len(done)

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
        self.settle()
        return n


# The store's mark of the newest article whose story, and every merge found after it, is
# written (StoryService.settle); articles after it may owe a merge after a crash.
SETTLED = "stories.settled_through"


def settled_through(store: Store) -> int | None:
    """The newest article id up to which stories and merges are written (None: no mark)."""
    value = store.get_state(SETTLED)
    return int(value) if value and value.isdigit() else None


def owes_settling(store: Store) -> bool:
    """Whether the newest article with a story came after the last completed maintenance pass
    (a process stopped between writing a story and the merges that followed): a start-up must
    then build the stories stage, whose catch-up ends with that pass, even with nothing owed
    a story."""
    newest = store.list_articles(limit=1)
    if not newest or newest[0].id is None or newest[0].story_id is None:
        return False
    settled = settled_through(store)
    return settled is None or newest[0].id > settled


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
