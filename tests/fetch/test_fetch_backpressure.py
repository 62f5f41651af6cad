"""A pass holds a bounded number of pages: a backlog waits as feed items, not as page bodies,
and the pages of one slow host do not hold up the other hosts' pages (fetch/crawler.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from asyncio import run
from concurrent.futures import ThreadPoolExecutor

from localserver import LocalServer

from newsloom.config import Settings
from newsloom.fetch.crawler import crawl, pages_in_hand
from newsloom.models import Feed, FetchLog, RawDocument

HTML = "text/html; charset=utf-8"


def _rss(base: str, paths: list[str]) -> str:
    items = "".join(f"<item><title>T{p}</title><link>{base}{p}</link></item>" for p in paths)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{items}</channel></rss>"


_PROCESSING = ThreadPoolExecutor(1, thread_name_prefix="test-processing")


async def _in_a_thread(fn, *args):  # type: ignore[no-untyped-def]
    # as the pipeline does: processing in one thread of its own, fetches carry on meanwhile
    return await asyncio.get_running_loop().run_in_executor(_PROCESSING, fn, *args)


def _on_feed(feed: Feed, logs: list[FetchLog]) -> None:
    pass


def test_a_backlog_waits_as_feed_items_not_as_fetched_pages(server: LocalServer, settings: Settings) -> None:
    paths = [f"/p{i}" for i in range(60)]
    for p in paths:
        server.route(p, f"<html><body><p>page {p}</p></body></html>", content_type=HTML)
    server.route("/feed", _rss(server.base, paths), content_type="application/rss+xml")
    s = Settings(**{**vars(settings), "concurrency": 2, "max_articles_per_feed": 100})
    bound = pages_in_hand(s)
    assert bound < len(paths)
    processed = 0
    in_hand: list[int] = []
    lock = threading.Lock()

    def on_page(raw: RawDocument) -> None:
        nonlocal processed
        with lock:
            served = sum(len(server.requests_for(p)) for p in paths)
            in_hand.append(served - processed)  # fetched, not yet processed (this one included)
        time.sleep(0.02)  # processing is slower than fetching on loopback
        with lock:
            processed += 1

    summary = run(crawl([Feed(url=server.url("/feed"), id=1)], s, seen=lambda u: False, on_page=on_page,
                        on_feed=_on_feed, run=_in_a_thread))
    assert summary.pages_fetched == len(paths) and processed == len(paths)
    assert max(in_hand) <= bound, (max(in_hand), bound)


def test_one_slow_host_does_not_hold_up_the_others(server: LocalServer, settings: Settings) -> None:
    # two hosts on one server: 127.0.0.1 and localhost
    other = server.base.replace("127.0.0.1", "localhost")
    slow = [f"/a{i}" for i in range(30)]
    quick = [f"/b{i}" for i in range(3)]
    for p in slow + quick:
        server.route(p, f"<html><body><p>page {p}</p></body></html>", content_type=HTML)
    server.route("/fa", _rss(server.base, slow), content_type="application/rss+xml")
    server.route("/fb", _rss(other, quick), content_type="application/rss+xml")
    # 5 requests a second a host; one page in flight at a time overall, so the bound is small
    s = Settings(**{**vars(settings), "concurrency": 1, "requests_per_second_per_host": 5.0,
                    "max_articles_per_feed": 100})
    assert pages_in_hand(s) < len(slow)
    summary = run(crawl([Feed(url=server.url("/fa"), id=1), Feed(url=other + "/fb", id=2)], s,
                        seen=lambda u: False, on_page=lambda raw: None, on_feed=_on_feed))
    assert summary.pages_fetched == len(slow) + len(quick)
    done_quick = max(r.at for p in quick for r in server.requests_for(p))
    slow_times = sorted(r.at for p in slow for r in server.requests_for(p))
    # (a bound taken by every page in turn would have let the slow host's pages, each sleeping
    # for its slot, fill it; the quick host's pages would have waited behind them)
    # the quick host's pages went while the slow host's were still spaced 0.2 s apart
    assert done_quick < slow_times[10], (done_quick - slow_times[0], slow_times[10] - slow_times[0])
