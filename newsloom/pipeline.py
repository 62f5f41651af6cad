"""Wires the stages. The only module that knows their order:

    fetch/ingest -> extract -> analyse (language) -> dedupe -> store -> stories

Each stage takes plain data and gives plain data; only ``store`` touches the database and only
``fetch`` the network. Every article is committed on its own, so an interrupted run keeps all
finished work and a re-run skips it (pages already stored are recognised by URL and content hash).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newsloom.config import Settings
from newsloom.dedupe.stored import Stored, skip_stored
from newsloom.errors import ExtractionError, IngestError, NewsloomError, StoreFull, StoreUnavailable
from newsloom.fetch.robots import SharedRobots
from newsloom.ingest.base import IngestItem
from newsloom.models import Article, Feed, FetchLog, RawDocument, Revision, utcnow
from newsloom.priority import lower_this_thread
from newsloom.store.base import Store

if TYPE_CHECKING:
    from newsloom.dedupe import DedupeResult

log = logging.getLogger("newsloom.pipeline")


def _original_of(verdict: "DedupeResult") -> int | None:
    """The ``duplicate_of`` an article is stored with after dedupe's ``verdict``."""
    return verdict.of if verdict.is_duplicate and not verdict.earlier else None


@dataclass
class Outcome:
    """What happened to one input. ``status`` is one of:
    new, duplicate, near_duplicate, revision, unchanged, rejected, error."""

    where: str
    status: str
    article_id: int | None = None
    of: int | None = None
    message: str | None = None


@dataclass
class RunSummary:
    counts: Counter[str] = field(default_factory=Counter)
    errors: list[Outcome] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, outcome: Outcome) -> None:
        self.counts[outcome.status] += 1
        if outcome.status in ("error", "rejected"):
            self.errors.append(outcome)


_fingerprinter = None
_STAGE_S = "_stage_seconds"  # transient attribute of an analysed article (see stage_seconds)


def _asked_feeds(crawl_summary: object) -> bool:
    """Whether a pass asked at least one feed (answered, unchanged or failed)."""
    return sum(int(getattr(crawl_summary, name, 0) or 0)
               for name in ("feeds_ok", "feeds_not_modified", "feeds_failed")) > 0


def stage_seconds(article: Article) -> dict[str, tuple[float, float]]:
    """(wall, CPU) seconds ``analyse`` spent on ``article`` ("analyse": extract to names;
    "embed"), taken off it."""
    return article.__dict__.pop(_STAGE_S, None) or {}


def analyse(doc: RawDocument | Article, settings: Settings, embed: bool = False) -> Article | Outcome:
    """The stateless, CPU-only half of the pipeline: extract + clean (pages), language, and the
    dedupe fingerprints (canonical URL, content hash, MinHash). No store, no network, so it runs
    in worker processes (see ``parallel``); ``Pipeline.commit`` does the rest in order.
    ``embed`` (with stories on): also the story vectors (``newsloom.stories.vectors``), for a
    caller whose stories stage runs in another process than this. The seconds it took, per
    half, ride along on the article (``stage_seconds``) for the benchmarks."""
    global _fingerprinter
    from newsloom.analyse.language import detect_article
    from newsloom.dedupe import Deduper

    t0, c0 = time.perf_counter(), time.thread_time()
    try:
        if isinstance(doc, RawDocument):
            from newsloom.extract.html import extract

            article = extract(doc, settings)
            article.source_id = article.source_id or doc.source_id
            article.feed_id = article.feed_id or doc.feed_id
            item = doc.feed_item
            if item is not None:
                if not article.title and item.title:
                    article.title = item.title
                if article.published is None and item.published is not None:
                    if item.published <= utcnow() + timedelta(days=1):
                        article.published = item.published
        else:
            article = doc
        where = article.url
        if not (article.text or "").strip() and not (article.title or "").strip():
            return Outcome(where, "rejected", message=f"{where}: no title and no text")
        hint = article.lang
        res = detect_article(article.title or "", article.text or "", hint=hint)
        article.lang = res.lang or hint
        article.lang_confidence = res.confidence
        article.paragraph_langs = [p or article.lang or "" for p in res.paragraph_langs]
        if _fingerprinter is None:
            _fingerprinter = Deduper.fingerprinter(settings)
        _fingerprinter(article)
        if settings.stories:
            _names_and_quotes(article)
        t1, c1 = time.perf_counter(), time.thread_time()
        if embed and settings.stories:
            from newsloom.stories.vectors import prepare

            prepare(article, settings)
        article.__dict__[_STAGE_S] = {"analyse": (t1 - t0, c1 - c0),
                                      "embed": (time.perf_counter() - t1, time.thread_time() - c1)}
        return article
    except ExtractionError as exc:
        return Outcome(getattr(doc, "url", "?"), "rejected", message=str(exc))
    except NewsloomError as exc:
        return Outcome(getattr(doc, "url", "?"), "error", message=str(exc))


def _names_and_quotes(article: Article) -> None:
    """People, places, organisations and quotes with speakers, for the stories stage: here, in
    the stateless half, so a big ingest extracts them in its worker processes. (The stories
    stage extracts them again from the headline alone when the publisher reserves text and
    data mining: that is known only once the store has been asked.)"""
    from newsloom.analyse.entities import extract_entities
    from newsloom.analyse.quotes import extract_quotes

    article.entities = [e.to_dict() for e in extract_entities(article.text or "", article.lang)]
    article.quotes = [q.to_dict() for q in extract_quotes(article.text or "", article.lang)]


def _analyse_item(item: IngestItem | IngestError, settings: Settings, embed: bool = False
                  ) -> Article | Outcome | None:
    if isinstance(item, (IngestError, Stored)):
        return None
    return analyse(item.document, settings, embed)


def _preload(embed: bool) -> list[str]:
    """What the fork server of the worker processes loads once for them all."""
    return ["newsloom.worker", "newsloom.worker_stories"] if embed else ["newsloom.worker"]


def _input_bytes(paths: list[Path]) -> int:
    total = 0
    for p in paths:
        try:
            total += sum(f.stat().st_size for f in p.rglob("*") if f.is_file()) if p.is_dir() else p.stat().st_size
        except OSError:
            pass
    return total


def _share_politeness(limiter: Any, robots: Any, store: Store, user_agent: str) -> None:
    """The rate limiter obeys and records host holds in ``store``. When several processes fetch
    through it (PostgreSQL: ten workers as polite as one) it also books every request's slot
    there, and the robots.txt rules are read from and kept there (fetch/robots.py: SharedRobots)."""
    shared = getattr(store, "shares_host_slots", False)
    limiter.share(store.host_holds, store.hold_host, store.book_host_slot if shared else None)  # type: ignore[attr-defined]
    if shared:
        robots.share(store.robots_txt, store.save_robots_txt, user_agent)  # type: ignore[attr-defined]


class Pipeline:
    def __init__(self, store: Store, settings: Settings, with_stories: bool | None = None) -> None:
        self.store = store
        self.settings = settings
        self.with_stories = settings.stories if with_stories is None else with_stories
        self._deduper = None
        self._stories = None
        self._sources: dict[int, tuple[str, str | None]] = {}
        self._limiter = None  # fetch state kept across passes (see fetch_once)
        # optional stage timer (benchmarks): add(stage, wall s, CPU s), stored(id), assigned(id)
        self.clock = None
        self._robots: dict = SharedRobots()  # in the store too when other processes fetch (PostgreSQL)
        self._elsewhere: ProcessPoolExecutor | None = None  # see analysing_elsewhere
        self._sharing = False  # see sharing_workers

    # --- lazily built stage objects (start-up cost only when needed) --------------------------
    @property
    def deduper(self):  # type: ignore[no-untyped-def]
        if self._deduper is None:
            from newsloom.dedupe import Deduper

            self._deduper = Deduper(self.store, self.settings)
        return self._deduper

    @property
    def stories(self):  # type: ignore[no-untyped-def]
        if self._stories is None:
            from newsloom.stories.service import StoryService

            self._stories = StoryService(self.store, self.settings)
        return self._stories

    def _source_info(self, source_id: int | None) -> tuple[str | None, str | None]:
        if source_id is None:
            return None, None
        if source_id not in self._sources:
            src = self.store.get_source(source_id)
            self._sources[source_id] = (src.name, src.country)
        return self._sources[source_id]

    # --- one document -------------------------------------------------------------------------
    def process_raw(self, raw: RawDocument) -> Outcome:
        """Extract, analyse, dedupe and store one fetched or ingested page."""
        if self._elsewhere is not None:
            try:
                # no vectors there (as here): an unchanged recrawled page needs none, and a
                # worker would load the embedders for it
                done = self._elsewhere.submit(analyse, raw, self.settings).result()
            except BrokenProcessPool:
                done = analyse(raw, self.settings)  # a worker died: this page is analysed here
            return self.commit(done, raw)
        return self.commit(analyse(raw, self.settings), raw)

    @contextlib.contextmanager
    def analysing_elsewhere(self, pages: int) -> Iterator[None]:
        """Pages processed inside the block (``process_raw``) have their stateless half analysed
        in worker processes, as a fetch pass's pages are, when there are workers and pages.

        For the work a long-running process does besides its passes (the recrawl of stored
        articles): analysed here, the first such page loaded the language model into this
        process for good (+77 MB resident, the one-time step the 75-minute soak showed at its
        first recrawl); the workers have it already. Inside :meth:`sharing_workers` the pass's
        own workers are used (started now if the pass had none), else new ones (~2 s to start)."""
        if not pages or self._elsewhere is not None:
            yield
            return
        pool = self._workers_for(pages)
        if pool is None or self._sharing:
            yield  # none to be had, or the shared pool, which sharing_workers shuts down
            return
        self._elsewhere = pool
        try:
            yield
        finally:
            self._elsewhere = None
            pool.shutdown(wait=True, cancel_futures=True)

    @contextlib.contextmanager
    def sharing_workers(self) -> Iterator[None]:
        """One set of worker processes for a pass and the work after it (``run_forever``'s
        ``on_pass``: the recrawl), started when first needed and stopped at the end of the block,
        instead of one set each (starting them, and their models, costs seconds)."""
        self._sharing = True
        try:
            yield
        finally:
            self._sharing = False
            pool, self._elsewhere = self._elsewhere, None
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _workers_for(self, pages: int) -> ProcessPoolExecutor | None:
        """The worker processes for ``pages`` pages: the shared ones when sharing (started on
        first need and kept in ``_elsewhere``), else new ones the caller shuts down."""
        if self._elsewhere is not None:
            return self._elsewhere
        pool = self._analysers(pages)
        if self._sharing and pool is not None:
            self._elsewhere = pool
        return pool

    def process_article(self, article: Article, raw: RawDocument | None = None) -> Outcome:
        """Analyse, dedupe and store an extracted article (JSONL corpora enter here directly)."""
        return self.commit(analyse(article, self.settings), raw)

    def commit(self, analysed: "Article | Outcome", raw: RawDocument | None = None) -> Outcome:
        """The stateful half: dedupe against the store, store, then place in a story."""
        if isinstance(analysed, Outcome):
            return analysed
        article = analysed
        where = article.url
        from newsloom.rights.suppression import gate
        from newsloom.stories.vectors import take

        clock, t0, c0 = self.clock, time.perf_counter(), time.thread_time()
        ready = take(article)  # story vectors computed ahead by a worker process, if any
        if clock is not None:
            for stage, (wall, cpu) in stage_seconds(article).items():
                clock.add(stage, wall, cpu)

        held = gate(self.store, article, raw)  # publisher signals and the takedown suppression list
        if held is not None:
            return Outcome(where, held[0], message=held[1])
        name, country = self._source_info(article.source_id)
        article.source = article.source or name
        article.country = article.country or country
        dd = self.deduper
        verdict = dd.check(article, copies=not dd.shared)  # shared: copies are looked for under locks
        if verdict.kind == "same_url":
            return Outcome(where, "unchanged", article_id=verdict.of)
        if verdict.kind == "revision":
            return self._store_revision(article, verdict.of, raw)
        article.duplicate_of = _original_of(verdict)
        stories = self.stories if self.with_stories else None
        # (built before storing: its start-up clusters whatever is stored without a story)
        with self.store.transaction():  # raw page and article land together or not at all
            if dd.shared:  # another worker may have stored its original since check(): look again
                verdict = dd.confirm(article, verdict)
                article.duplicate_of = _original_of(verdict)
            if verdict.earlier:
                note = (f"dedupe: reported before article {verdict.of}, which was stored first: now the "
                        "original of that group of copies")
                article.notes = [*(n for n in article.notes or [] if n != note), note]
            if raw is not None:
                article.raw_id = self.store.save_raw(raw)
            stored = self.store.add_article(article)
            if verdict.earlier:  # reported before the group's original: the group moves under it
                assert verdict.of is not None and stored.id is not None
                self.store.reroot_duplicates(verdict.of, stored.id)
            if dd.shared:
                dd.add(stored)  # its keys land with it, under the locks confirm() took
        if not dd.shared:
            dd.add(stored)
        if verdict.earlier:
            assert verdict.of is not None and stored.id is not None
            dd.rerooted(verdict.of, stored.id)
        if clock is not None:
            clock.add("dedupe+store", time.perf_counter() - t0, time.thread_time() - c0)
            clock.stored(stored.id)
        if stories is not None:
            t1, c1 = time.perf_counter(), time.thread_time()
            stories.add(stored, ready=ready)
            if clock is not None:
                clock.add("stories", time.perf_counter() - t1, time.thread_time() - c1)
                clock.assigned(stored.id)
        status = {"exact": "duplicate", "near": "near_duplicate"}.get(verdict.kind, "new")
        if verdict.earlier:  # still a copy found (the counts stay those of the store's groups)
            return Outcome(where, status, article_id=stored.id, of=verdict.of,
                           message=f"reported before article {verdict.of}: now the original of its copies")
        return Outcome(where, status, article_id=stored.id, of=verdict.of)

    def _store_revision(self, article: Article, old_id: int | None, raw: RawDocument | None) -> Outcome:
        assert old_id is not None
        old = self.store.get_article(old_id)
        article.id = old.id
        article.duplicate_of = old.duplicate_of
        article.story_id = old.story_id
        article.lineage, article.lineage_of = old.lineage, old.lineage_of
        with self.store.transaction():
            self.store.add_revision(
                Revision(article_id=old_id, title=old.title, text=old.text, content_hash=old.content_hash or "")
            )
            if raw is not None:
                article.raw_id = self.store.save_raw(raw)
            self.store.update_article(article)
        self.deduper.add(article)
        return Outcome(article.url, "revision", article_id=old_id)

    # --- files --------------------------------------------------------------------------------
    def ingest(
        self,
        paths: Iterable[Path],
        progress: Callable[[Outcome], None] | None = None,
        workers: int | None = None,
    ) -> RunSummary:
        """Files and folders (.html/.htm/.txt/.warc/.warc.gz/.jsonl); bad records are reported
        and skipped, never fatal. Extraction and language id run on ``workers`` processes
        (default: settings.workers, 0 = one per core) when the input is large enough to pay
        for starting them; storing stays in this process, in input order."""
        from newsloom.ingest import iter_paths
        from newsloom.parallel import ordered_map, worker_count

        paths = [Path(p) for p in paths]
        n = worker_count(self.settings.workers if workers is None else workers)
        if workers is None and self.settings.workers == 0 and _input_bytes(paths) < 2 * 1024 * 1024:
            n = 1  # small inputs: starting worker processes costs more than it saves
        summary = RunSummary()
        start = time.perf_counter()
        self.catch_up_stories()  # what an interrupted run left owed comes first, as it arrived
        # with worker processes, they embed for the stories stage too (it runs here, in order)
        work = functools.partial(_analyse_item, settings=self.settings, embed=self.with_stories and n > 1)
        # a re-run skips what is stored unchanged before extracting it (dedupe/stored.py)
        for item, analysed in ordered_map(work, skip_stored(self.store, iter_paths(paths)), n,
                                          preload=_preload(self.with_stories and n > 1),
                                          nice=self.settings.pipeline_nice):
            if isinstance(item, Stored):
                outcome = Outcome(item.where, "unchanged", article_id=item.article_id)
            elif isinstance(item, IngestError):
                outcome = Outcome(getattr(item, "where", "?"), "error", message=str(item))
            else:
                try:
                    outcome = self.commit(analysed, item.raw)
                except (StoreFull, StoreUnavailable):
                    raise  # the disk or the database, not this record: every next one would fail too
                except NewsloomError as exc:
                    outcome = Outcome(item.where, "error", message=str(exc))
            summary.add(outcome)
            if progress:
                progress(outcome)
        self.catch_up_stories()
        summary.seconds = time.perf_counter() - start
        return summary

    def catch_up_stories(self) -> int:
        """Give a story to every stored article still without one (an interrupted run, a
        failure in the stories stage, ``stories`` switched on later); see
        ``StoryService.catch_up``. Returns how many."""
        if not self.with_stories:
            return 0
        if self._stories is None:
            from newsloom.stories.resume import owes_settling

            if not self.store.articles_without_story(limit=1) and not owes_settling(self.store):
                return 0  # nothing owed: the models load when the first article needs them
            return self.stories.caught_up  # built now: its start-up caught up already
        return self.stories.catch_up()

    # --- network ------------------------------------------------------------------------------
    def fetch_once(
        self,
        feeds: list[Feed] | None = None,
        progress: Callable[[str], None] | None = None,
        on_outcome: Callable[[Outcome], None] | None = None,
    ) -> tuple[RunSummary, object]:
        """One polite pass over all due feeds. Returns (article summary, crawl summary)."""
        from newsloom.fetch.crawler import crawl
        from newsloom.fetch.http import Fetcher

        self.fetch_limiter()
        due = feeds if feeds is not None else self.store.due_feeds(utcnow())
        summary = RunSummary()
        start = time.perf_counter()
        self.catch_up_stories()

        def on_page(doc: RawDocument | Article, analysed: Article | Outcome | None = None) -> Outcome:
            # an Article is a short item: a feed item's title + summary whose page was not had;
            # ``analysed``: the stateless half, done already in a worker process
            try:
                if analysed is not None:
                    outcome = self.commit(analysed, doc if isinstance(doc, RawDocument) else None)
                else:
                    outcome = self.process_raw(doc) if isinstance(doc, RawDocument) else self.process_article(doc)
            except (StoreFull, StoreUnavailable):
                raise  # ends the pass (the feed stays due): every next page would fail the same way
            except NewsloomError as exc:
                outcome = Outcome(doc.url, "error", message=str(exc))
            summary.add(outcome)
            if on_outcome:
                on_outcome(outcome)
            return outcome  # the crawler logs and remembers a rejected page

        def on_feed(feed: Feed, logs: list[FetchLog]) -> None:
            self.store.update_feed(feed)
            for entry in logs:
                entry.feed_id = entry.feed_id or feed.id
                self.store.record_fetch(entry)

        # Processing (extract, store, embed, cluster: tens of ms a page) runs in one thread of
        # its own, not in the event loop, so the other fetches in flight carry on meanwhile;
        # every store access of the crawl goes through that thread. Retry-After holds live in
        # the store too (every process and the next run obey them), read and written from the
        # event loop, so on a connection of their own.
        holds = self._second_connection()
        # It runs below the web server's priority (settings.pipeline_nice; newsloom.priority).
        worker = ThreadPoolExecutor(1, thread_name_prefix="newsloom-process", initializer=lower_this_thread,
                                    initargs=(self.settings.pipeline_nice,)) if holds is not None else None
        if worker is not None:
            self.store.use_reader_connections()  # the loop's lookups never wait for the writer
        _share_politeness(self._limiter, self._robots, holds or self.store, self.settings.user_agent)

        # The stateless half of a page (extract, clean, language, fingerprints, names: ~30 ms;
        # with stories, its vectors too: ~30 ms more) runs in worker processes while this
        # process stores and clusters the pages before it; the stateful half stays in the one
        # processing thread.
        analysers = self._workers_for(len(due)) if worker is not None else None
        own_analysers = analysers is not None and analysers is not self._elsewhere

        async def run(fn: Callable[..., object], *args: object) -> object:
            loop = asyncio.get_running_loop()
            if fn is on_page and analysers is not None:
                try:
                    done = await loop.run_in_executor(analysers, analyse, args[0], self.settings,
                                                      self.with_stories)
                except BrokenProcessPool:
                    done = None  # a worker died: this page is analysed here instead
                return await loop.run_in_executor(worker, on_page, args[0], done)
            return await loop.run_in_executor(worker, functools.partial(fn, *args))

        async def go() -> object:
            # limiter and robots rules outlive one pass, so Retry-After deferrals, Crawl-delay and
            # robots.txt are remembered by the long-running `newsloom run`
            async with Fetcher(self.settings, limiter=self._limiter, robots_rules=self._robots) as fetcher:
                return await crawl(due, self.settings, seen=self.store.has_url, on_page=on_page,
                                   on_feed=on_feed, progress=progress, fetcher=fetcher,
                                   rejected=self.store.rejected_page,
                                   on_rejected=self.store.remember_rejected, on_short=on_page,
                                   run=run if worker is not None else None)

        try:
            crawl_summary = asyncio.run(go())
        finally:
            if worker is not None:
                worker.shutdown(wait=True)  # the page being stored finishes (one transaction)
            if own_analysers:
                analysers.shutdown(wait=True, cancel_futures=True)  # type: ignore[union-attr]
            if holds is not None:
                _share_politeness(self._limiter, self._robots, self.store, self.settings.user_agent)
                holds.close()
        self.catch_up_stories()
        summary.seconds = time.perf_counter() - start
        return summary, crawl_summary

    def fetch_limiter(self) -> Any:
        """The per-host rate limiter every fetch of this pipeline goes through (feeds, pages,
        recrawls), made on first need and kept: Retry-After holds and Crawl-delays outlive one
        pass. It obeys and records the holds in the store, which every process shares."""
        if self._limiter is None:
            from newsloom.fetch.ratelimit import HostRateLimiter

            self._limiter = HostRateLimiter(
                self.settings.requests_per_second_per_host, self.settings.concurrency, max_wait_s=300.0)
            _share_politeness(self._limiter, self._robots, self.store, self.settings.user_agent)
        return self._limiter

    def _analysers(self, feeds: int) -> ProcessPoolExecutor | None:
        """Worker processes for the stateless half of a fetch pass's pages (``settings.workers``,
        0 = one per core), or None for one worker or nothing due (starting them costs ~2 s)."""
        from newsloom.parallel import process_pool, worker_count

        n = worker_count(self.settings.workers)
        if n <= 1 or feeds == 0:
            return None
        pool = process_pool(n, preload=_preload(self.with_stories), nice=self.settings.pipeline_nice)
        # Started here, before the crawl's event loop runs: the pool starts its fork server (which
        # imports the preloaded modules: seconds on a busy machine) on the first submit, and
        # from inside the loop that stalled every fetch in flight past its timeout.
        for done in [pool.submit(os.getpid) for _ in range(n)]:
            done.result()
        return pool

    def _second_connection(self) -> Store | None:
        """Another connection to the same store (for the fetch loop's host holds), or None for
        a store that has no second connection (SQLite in memory): then the crawl runs its
        callbacks in the event loop, on the one connection."""
        from newsloom.store import open_store

        url = getattr(self.store, "url", None)
        if not url or ":memory:" in url or getattr(self.store, "path", None) == ":memory:":
            return None
        try:
            return open_store(url)
        except NewsloomError as exc:
            log.warning("%s: no second connection for the fetch loop (%s); processing in the loop", url, exc)
            return None

    def run_forever(
        self,
        stop: Callable[[], bool] = lambda: False,
        on_pass: Callable[[RunSummary, object], None] | None = None,
        idle_sleep_s: float = 30.0,
        max_passes: int | None = None,
        on_sleep: Callable[[float], None] | None = None,
    ) -> None:
        """The main job: fetch whatever is due, process it, sleep until the next feed is due.
        ``on_sleep`` hears how many seconds the pause before the next pass lasts."""
        passes = 0
        while not stop():
            started = utcnow()
            with self.sharing_workers():  # the recrawl after a pass uses the pass's workers
                summary, crawl_summary = self.fetch_once()
                passes += 1
                if on_pass:
                    on_pass(summary, crawl_summary)
            if max_passes is not None and passes >= max_passes:
                return
            feeds = [f for f in self.store.list_feeds() if f.active and f.next_due is not None]
            wait = idle_sleep_s
            if feeds:
                now = utcnow()
                # Feeds that came due during a pass that asked feeds: the next pass at once (a
                # busy installation's passes were a second apart, its workers idle ~1 s in 8).
                # Feeds due since before the pass (a deferred host, a feed whose schedule could
                # not be saved) and a pass that asked none wait a second: never a busy loop.
                if _asked_feeds(crawl_summary) and any(started < f.next_due <= now for f in feeds):  # type: ignore[operator]
                    continue
                soonest = min(f.next_due for f in feeds if f.next_due is not None)
                wait = max(1.0, min(idle_sleep_s * 10, (soonest - now).total_seconds()))
            if on_sleep:
                on_sleep(wait)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline and not stop():
                time.sleep(min(1.0, deadline - time.monotonic()))
