"""One recrawl pass (``newsloom run`` after each fetch pass, or ``newsloom takedown recrawl``):
fetch every crawled article that is due again (rule: ``newsloom.rights.recrawl``) through the
fetch layer (robots.txt, per-host rate limit, private-network guard), then

- a 404/410 or a redirect to the site's home page retracts the article: hidden everywhere and
  out of its story, exactly as a takedown hides one, but NOT put on the suppression list (the
  publisher may publish it again) and noted "retracted at the source (HTTP 410)";
- a page goes through the pipeline, which stores a changed headline or body as a revision; the
  article then carries an ``updated`` time, so the reader shows it as updated;
- an error (timeout, 5xx, 403, robots) keeps the article; the next step tries again.

An unchanged page is cheap: each request is conditional on the stored page's ETag and
Last-Modified, and a 304 Not Modified, or a 200 whose bytes hash the same as the stored page's,
is "unchanged" without extracting or analysing it again (the analysis is what the recrawl's
CPU went to: three recrawls an article in its first week). Only when the response headers'
publisher signals (X-Robots-Tag, TDM reservation) differ from the stored page's does such a
page go through the pipeline, which withholds it if it now says noindex.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections import deque
from collections.abc import Callable, Collection, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from newsloom.config import Settings
from newsloom.errors import FetchError, HTTPStatusError, NewsloomError, NotFoundError
from newsloom.models import Article, FeedItem, utcnow
from newsloom.rights import audit, signals
from newsloom.rights import recrawl as rule
from newsloom.store.base import Store

log = logging.getLogger("newsloom.rights")

# {url: (ETag, Last-Modified) of the stored page, either may be None} -> {url: the
# FetchResult, or the FetchError it raised}
Getter = Callable[[dict[str, tuple[str | None, str | None]]], dict[str, Any]]


@dataclass
class RecrawlReport:
    checked: int = 0
    retracted: int = 0
    revised: int = 0
    unchanged: int = 0
    not_modified: int = 0  # of the unchanged: known without analysing (304, or the same bytes)
    errors: int = 0
    out_of_time: bool = False  # recrawl_for stopped with batches still full: some are left
    lines: list[str] = field(default_factory=list)  # one per retraction or error, for the CLI


def fetch_all(settings: Settings, pipeline: Any = None, within_s: float | None = None) -> Getter:
    """All due pages in one event loop through one Fetcher (its limiter spaces the requests to
    each host; a running pipeline's robots.txt cache and limiter are reused). With
    ``within_s``, the fetches still waiting (a slow host, a long Crawl-delay) are cancelled when
    the time is up and left out of the answer, for a later recrawl."""
    from newsloom.fetch.http import Fetcher

    def get(asks: dict[str, tuple[str | None, str | None]]) -> dict[str, Any]:
        async def one(fetcher: Fetcher, u: str) -> tuple[str, Any]:
            etag, modified = asks[u]
            try:
                return u, await fetcher.fetch(u, kind="page", etag=etag, last_modified=modified)
            except FetchError as exc:
                return u, exc

        async def go() -> dict[str, Any]:
            # the running pipeline's robots.txt cache and per-host limiter (Retry-After deferrals
            # included, shared through the store), so a recrawl never hits a host harder than the
            # crawl itself may
            rules = getattr(pipeline, "_robots", None)
            limiter = pipeline.fetch_limiter() if hasattr(pipeline, "fetch_limiter") else None
            async with Fetcher(settings, robots_rules=rules, limiter=limiter) as fetcher:
                tasks = [asyncio.ensure_future(one(fetcher, u)) for u in asks]
                done, late = await asyncio.wait(tasks, timeout=within_s) if tasks else (set(), set())
                for task in late:
                    task.cancel()
                if late:
                    await asyncio.gather(*late, return_exceptions=True)
                return dict(t.result() for t in done)

        return asyncio.run(go())

    return get


def recrawl_for(store: Store, settings: Settings, pipeline: Any, seconds: float,
                batch: int = 500) -> RecrawlReport:
    """What `newsloom run` does after each pass: recrawl passes of up to ``batch`` articles until
    none is due or ``seconds`` have gone by; what is left waits for the next pass (and shows in
    `newsloom status` as late). One batch a pass (the old way) let the recrawl fall an hour
    behind a daemon ingesting at the machine's limit, because a pass there lasts over a minute,
    although an unchanged page costs only ~1.5 ms of CPU (benchmarks/recrawl.py)."""
    import time

    total = RecrawlReport()
    start = time.monotonic()
    while True:
        rep = run_recrawl(store, settings, pipeline, limit=batch)
        for name in ("checked", "retracted", "revised", "unchanged", "not_modified", "errors"):
            setattr(total, name, getattr(total, name) + getattr(rep, name))
        total.lines += rep.lines
        if rep.checked < batch:
            return total
        if time.monotonic() - start >= seconds:
            total.out_of_time = True
            return total


def run_recrawl(store: Store, settings: Settings, pipeline: Any = None, services: Any = None,
                get: Getter | None = None, now: datetime | None = None, limit: int = 500) -> RecrawlReport:
    """Recrawl up to ``limit`` due articles; ``pipeline`` (a running one, else built here)
    stores revisions, ``services`` (``app.rights.Services``) reaches the stories and the
    near-duplicate index when an article is retracted."""
    from newsloom.app.rights import Services
    from newsloom.pipeline import Pipeline

    now = now or utcnow()
    steps = rule.parse_steps(settings.recrawl_steps)
    if not steps:  # recrawling switched off
        return RecrawlReport()
    due = store.recrawl_due(now, *rule.window(now, steps), limit, len(steps))  # type: ignore[attr-defined]
    if not due:
        return RecrawlReport()
    pipeline = pipeline or Pipeline(store, settings)
    # the pipeline's own near-duplicate index (built here if the pass had not): a retracted
    # article must leave the index that later pages are compared with
    services = services or Services(store, settings, pipeline._stories, pipeline.deduper)
    return recrawl_items(store, settings, pipeline, due,
                         lambda aid, url, reason: retract(store, services, aid, url, reason), get, now)


# what a recrawl does with an article found gone: (article id, url, reason)
Retractor = Callable[[int, str, str], None]


def recrawl_items(store: Store, settings: Settings, pipeline: Any, due: list[tuple[int, str, datetime, int]],
                  retracting: Retractor, get: Getter | None = None, now: datetime | None = None) -> RecrawlReport:
    """Recrawl the articles ``due`` (``(id, url, fetched_at, steps done)``, as
    ``store.recrawl_due`` gives them) and move each one's schedule on. ``retracting`` hides an
    article found gone (``retract`` here; a scale-mode worker without the stories hands it to the
    one that has them). An article the getter gave no answer for (out of time) is left as it is."""
    now = now or utcnow()
    rep = RecrawlReport()
    steps = rule.parse_steps(settings.recrawl_steps)
    known = store.recrawl_validators([aid for aid, _, _, _ in due])  # type: ignore[attr-defined]
    asks = {url: _conditions(known.get(aid)) for aid, url, _, _ in due}
    answers = (get or fetch_all(settings, pipeline))(asks)
    due = [item for item in due if item[1] in answers]
    same = _unchanged(store, due, answers, known)
    pages = sum(1 for u, a in answers.items()
                if u not in same and a is not None and not isinstance(a, BaseException))
    elsewhere = getattr(pipeline, "analysing_elsewhere", None)
    # the pages' extraction and language model in worker processes, not in this long-running one
    with elsewhere(pages) if elsewhere is not None else contextlib.nullcontext():
        for (aid, url, fetched_at, done), ahead in _analysed_ahead(store, pipeline, due, answers, same):
            rep.checked += 1
            try:
                if url in same:
                    rep.unchanged += 1
                    rep.not_modified += 1
                else:
                    _one(store, pipeline, retracting, aid, url, answers.get(url), rep, ahead)
            except NotFoundError:
                continue  # removed meanwhile (a takedown ran)
            except NewsloomError as exc:
                rep.errors += 1
                rep.lines.append(f"article {aid} {url}: {exc}")
            count, at = rule.next_due(fetched_at, done, now, steps)
            store.set_recrawl(aid, count, at)  # type: ignore[attr-defined]
    return rep


def backlog(store: Store, settings: Settings, now: datetime | None = None) -> tuple[int, float | None]:
    """``(articles due for a recrawl now, seconds the most overdue of them is late)``; (0, None)
    when none is due or recrawling is off. A recrawl that keeps up shows a few minutes at most
    (one pass's worth); hours mean the machine cannot afford the schedule (``recrawl_steps``)."""
    steps = rule.parse_steps(settings.recrawl_steps)
    if not steps or not hasattr(store, "recrawl_backlog"):
        return 0, None
    now = now or utcnow()
    n, since = store.recrawl_backlog(now, *rule.window(now, steps), steps[0].total_seconds(), len(steps))
    return n, (max(0.0, (now - since).total_seconds()) if n and since is not None else None)


def _conditions(stored: tuple[int, dict[str, str], str] | None) -> tuple[str | None, str | None]:
    """(If-None-Match, If-Modified-Since) for a recrawl: the stored page's own validators."""
    if stored is None:
        return None, None
    return stored[1].get("etag") or None, stored[1].get("last-modified") or None


def _unchanged(store: Store, due: list[tuple[int, str, datetime, int]], answers: dict[str, Any],
               known: dict[int, tuple[int, dict[str, str], str]]) -> set[str]:
    """URLs whose page is known unchanged without analysing it: a 304, or a 200 (not moved)
    whose body hashes as the stored page's, and whose headers carry the same publisher signals.
    A 304 whose signals changed gets the stored body, to go through the pipeline with them."""
    same: set[str] = set()
    for aid, url, _, _ in due:
        answer, stored = answers.get(url), known.get(aid)
        if answer is None or isinstance(answer, BaseException) or stored is None:
            continue
        raw_id, headers, digest = stored
        if not (answer.not_modified or (not answer.redirects and hashlib.sha256(answer.body).hexdigest() == digest)):
            continue
        if signals.read(None, answer.headers) == signals.read(None, headers):
            same.add(url)
        elif answer.not_modified:  # new signals on a 304: the stored page with the new headers
            try:
                page = store.get_raw(raw_id)
            except NotFoundError:
                continue
            answer.body, answer.content_type, answer.encoding = page.body, page.content_type, page.encoding
            answer.not_modified, answer.status_code = False, 200
    return same


# Pages whose analysis is submitted to the worker processes ahead of the one being committed:
# enough to keep every worker busy, few enough that the bodies held stay a handful of pages
AHEAD = 16


def _analysed_ahead(store: Store, pipeline: Any, due: list[tuple[int, str, datetime, int]],
                    answers: dict[str, Any], same: Collection[str] = ()
                    ) -> Iterator[tuple[tuple[int, str, datetime, int], Any]]:
    """``(due item, its page's analysis in flight or None)`` in the order of ``due``. With worker
    processes (``Pipeline.analysing_elsewhere``), up to :data:`AHEAD` pages are analysed in
    parallel while this process commits the earlier ones in order; without, None each."""
    pool = getattr(pipeline, "_elsewhere", None)
    if pool is None:
        for item in due:
            yield item, None
        return
    from newsloom.pipeline import analyse

    window: deque[tuple[tuple[int, str, datetime, int], Any]] = deque()
    for item in due:
        answer = answers.get(item[1])
        ahead = None
        if answer is not None and not isinstance(answer, BaseException) and item[1] not in same:
            try:
                old, raw = _page_again(store, item[0], answer)
                ahead = (old, raw, pool.submit(analyse, raw, pipeline.settings))
            except (NotFoundError, BrokenProcessPool):
                ahead = None  # removed meanwhile, or no workers left: done in order, as without
        window.append((item, ahead))
        if len(window) > AHEAD:
            yield window.popleft()
    yield from window


def _page_again(store: Store, aid: int, result: Any) -> tuple[Article, Any]:
    """The stored article and its re-fetched page as the pipeline takes it."""
    from newsloom.fetch.crawler import to_raw

    old = store.get_article(aid)
    raw = to_raw(result)
    raw.url, raw.source_id, raw.feed_id = old.url, old.source_id, old.feed_id
    # what the feed said first (headline, date) fills what the page itself does not carry, as
    # at the first fetch, so a page without a <title> is not taken for a changed headline
    raw.feed_item = FeedItem(url=old.url, title=old.title, published=old.published)
    return old, raw


def _one(store: Store, pipeline: Any, retracting: Retractor, aid: int, url: str, answer: Any,
         rep: RecrawlReport, ahead: Any = None) -> None:
    if answer is None or isinstance(answer, BaseException):
        code = answer.code if isinstance(answer, HTTPStatusError) else None
        verdict = rule.judge_status(code, str(answer) if answer is not None else "no answer")
    else:
        verdict = rule.judge_redirect(url, answer.final_url, answer.redirects)
    if verdict.kind == "gone":
        retracting(aid, url, verdict.reason)
        rep.retracted += 1
        rep.lines.append(f"article {aid} {url}: {verdict.reason}")
        return
    if verdict.kind == "error":
        rep.errors += 1
        rep.lines.append(f"article {aid} {url}: kept, recrawl failed ({verdict.reason})")
        return
    _compare(store, pipeline, retracting, aid, url, answer, rep, ahead)


def _compare(store: Store, pipeline: Any, retracting: Retractor, aid: int, url: str, result: Any,
             rep: RecrawlReport, ahead: Any = None) -> None:
    """The page again, through the pipeline: a changed headline or body is a revision.
    ``ahead``: (stored article, page, its analysis in flight) from :func:`_analysed_ahead`."""
    analysed = None
    if ahead is not None:
        old, raw, future = ahead
        try:
            analysed = future.result()
        except BrokenProcessPool:
            analysed = None  # a worker died: analysed below
    else:
        old, raw = _page_again(store, aid, result)
    outcome = pipeline.commit(analysed, raw) if analysed is not None else pipeline.process_raw(raw)
    if outcome.status == "revision":
        a = store.get_article(aid)
        seen = utcnow()
        # the page's own dateModified when it moved on, else the time the change was seen
        if a.updated is None or (old.updated is not None and a.updated <= old.updated):
            a.updated = seen
        a.published = a.published or old.published
        a.fetched_at = old.fetched_at  # "first fetched" stays the first fetch
        store.update_article(a)
        rep.revised += 1
    elif outcome.status == "withheld":  # the page now says noindex (or it expired): hide it
        retracting(aid, url, f"withdrawn at the source ({outcome.message.split(': ', 1)[-1]})")
        rep.retracted += 1
        rep.lines.append(f"article {aid} {url}: {outcome.message}")
    elif outcome.status in ("rejected", "error"):
        rep.errors += 1
        rep.lines.append(f"article {aid} {url}: kept, {outcome.message or outcome.status}")
    else:
        rep.unchanged += 1


def retract(store: Store, services: Any, aid: int, url: str, reason: str) -> None:
    """Hide the article the way a takedown does (tombstone, out of its story and the
    near-duplicate index) without listing it for suppression: a publisher's retraction is not
    a removal request, and the page may come back. Audited with the reason."""
    from newsloom.app.rights import _tombstone

    _tombstone(store, services, aid, reason)
    audit.record(store, "retract", "ok", f"article {aid} {url}: {reason}")
    log.info("recrawl: article %s %s: %s", aid, url, reason)


def is_retracted(article: Article) -> bool:
    """Whether a removed article was retracted at the source (not taken down on request)."""
    return article.status == "removed" and any(n.startswith(("retracted at the source", "withdrawn at the source"))
                                               for n in article.notes)
