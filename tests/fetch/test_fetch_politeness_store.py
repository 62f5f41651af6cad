"""Politeness and rejected pages kept in the store, so every process and the next run obey them:
Retry-After holds per host, rejected pages remembered by URL and validators, the real status and
request-only ms in the fetch log. Run on SQLite and PostgreSQL against the loopback server."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from localserver import LocalServer, Request

from newsloom.config import Settings
from newsloom.fetch.crawler import crawl
from newsloom.models import Feed, FetchLog, RawDocument, RejectedPage, Source, utcnow
from newsloom.pipeline import Pipeline
from newsloom.store import Store

HTML = "text/html; charset=utf-8"
ARTICLE = "".join(f"<p>{s}</p>" for s in [
    "The city council approved the new harbour bridge on Tuesday after a long debate about its cost.",
    "Supporters said the bridge would cut travel times for thousands of commuters every single day.",
    "Opponents warned that the budget could double before the work is finished in four years' time.",
    "Construction is expected to begin next spring, the mayor told reporters outside the town hall.",
])


def rss(server: LocalServer, paths: list[str]) -> str:
    items = "".join(f"<item><title>Item {p}</title><link>{server.url(p)}</link></item>" for p in paths)
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>F</title>{items}</channel></rss>"


def follow(store: Store, url: str) -> Feed:
    src = store.add_source(Source(name="Local", url=url))
    return store.add_feed(Feed(url=url, source_id=src.id))


def one_pass(store: Store, settings: Settings, feed: Feed) -> tuple[object, object]:
    """A fresh Pipeline is a fresh process: nothing but the store carries over."""
    return Pipeline(store, settings, with_stories=False).fetch_once([store.get_feed(feed.id)])  # type: ignore[arg-type]


# --- the store ----------------------------------------------------------------------------------
def test_host_holds_round_trip(store: Store) -> None:
    now = utcnow()
    store.hold_host("a.example", now + timedelta(hours=1), "HTTP 429")
    store.hold_host("a.example", now + timedelta(minutes=5), "shorter: ignored")
    store.hold_host("b.example:8080", now - timedelta(seconds=1), "over")
    holds = store.host_holds(now)
    assert set(holds) == {"a.example"}
    assert abs((holds["a.example"] - (now + timedelta(hours=1))).total_seconds()) < 1
    store.hold_host("a.example", now + timedelta(hours=2), "longer wins")
    assert store.host_holds(now)["a.example"] > now + timedelta(minutes=119)


def test_rejected_pages_round_trip(store: Store) -> None:
    assert store.rejected_page("https://x.example/a") is None
    page = RejectedPage(url="https://x.example/a", reason="no article: all boilerplate", etag='"e1"',
                        last_modified="Mon, 01 Jan 2024 00:00:00 GMT", content_hash="ab" * 32)
    store.remember_rejected(page)
    got = store.rejected_page(page.url)
    assert got is not None and dataclasses.replace(got, checked_at=page.checked_at) == page
    store.remember_rejected(dataclasses.replace(page, etag=None, reason="binary"))
    again = store.rejected_page(page.url)
    assert again is not None and again.etag is None and again.reason == "binary"


# --- Retry-After ------------------------------------------------------------------------------
def test_429_stops_queued_pages_of_the_host_in_the_same_pass(server: LocalServer, settings: Settings) -> None:
    slow = dataclasses.replace(settings, requests_per_second_per_host=5.0)  # 0.2 s apart
    server.route("/feed.xml", rss(server, ["/p1", "/p2", "/p3"]), content_type="application/rss+xml")
    server.route("/p1", "slow down", status=429, headers={"Retry-After": "3600"})
    for p in ("/p2", "/p3"):
        server.route(p, "<p>x</p>", content_type=HTML)
    logs: list[FetchLog] = []
    summary = run_crawl([Feed(url=server.url("/feed.xml"), id=1)], slow, logs)
    assert server.requests_for("/p2") == [] and server.requests_for("/p3") == []
    by_url = {log.url: log for log in logs}
    assert (by_url[server.url("/p1")].status, by_url[server.url("/p1")].http_status) == ("retry_later", 429)
    assert by_url[server.url("/p2")].status == "retry_later" and by_url[server.url("/p2")].elapsed_ms == 0
    assert summary.pages_failed == 0 and summary.pages_skipped == 3  # type: ignore[attr-defined]


def run_crawl(feeds: list[Feed], settings: Settings, logs: list[FetchLog],
              pages: list[RawDocument] | None = None) -> object:
    from asyncio import run
    return run(crawl(feeds, settings, seen=lambda u: False,
                     on_page=(pages.append if pages is not None else lambda raw: None),
                     on_feed=lambda f, entries: logs.extend(entries)))


def test_retry_after_is_obeyed_by_the_next_run(server: LocalServer, settings: Settings, store: Store) -> None:
    server.route("/feed.xml", "busy", status=429, headers={"Retry-After": "3600"})
    feed = follow(store, server.url("/feed.xml"))
    _, first = one_pass(store, settings, feed)
    assert (first.feeds_deferred, first.feeds_failed) == (1, 0)  # type: ignore[attr-defined]
    assert server.host in store.host_holds(utcnow())
    after = store.get_feed(feed.id)  # type: ignore[arg-type]
    assert after.error_count == 0 and after.last_status == "retry_later"
    # another process (or the next `newsloom fetch`) polls the feed anyway: the host is not asked
    _, second = one_pass(store, settings, feed)
    assert len(server.requests_for("/feed.xml")) == 1
    assert second.feeds_deferred == 1 and second.feeds_failed == 0  # type: ignore[attr-defined]
    assert store.fetch_log(feed.id)[0].status == "retry_later"


# --- rejected pages -----------------------------------------------------------------------------
def test_rejected_page_is_remembered_and_not_fetched_again(server: LocalServer, settings: Settings,
                                                           store: Store) -> None:
    server.route("/feed.xml", rss(server, ["/boiler", "/bin"]), content_type="application/rss+xml")
    server.route("/boiler", "<html><body><p>Read more</p><p>Back to top</p></body></html>",
                 content_type=HTML, headers={"ETag": '"b1"'})
    server.route("/bin", bytes(range(256)) * 40, content_type=HTML)
    feed = follow(store, server.url("/feed.xml"))
    summary, crawl_summary = one_pass(store, settings, feed)
    log = {entry.url: entry for entry in store.fetch_log(feed.id)}
    for path in ("/boiler", "/bin"):
        assert log[server.url(path)].status == "rejected" and log[server.url(path)].error
    assert crawl_summary.pages_rejected == 2  # type: ignore[attr-defined]
    remembered = store.rejected_page(server.url("/boiler"))
    assert remembered is not None and remembered.etag == '"b1"' and remembered.content_hash
    assert store.count_articles() == 0

    one_pass(store, settings, feed)  # within rejected_recheck_s: not asked at all
    assert len(server.requests_for("/boiler")) == 1 and len(server.requests_for("/bin")) == 1


def test_rejected_page_is_asked_conditionally_and_processed_once_changed(
        server: LocalServer, settings: Settings, store: Store) -> None:
    recheck = dataclasses.replace(settings, rejected_recheck_s=0)
    version = {"etag": '"v1"', "body": b"<html><body><p>Subscribe</p></body></html>"}

    def page(req: Request) -> tuple[int, dict[str, str], bytes]:
        if req.headers.get("If-None-Match") == version["etag"]:
            return 304, {}, b""
        return 200, {"Content-Type": HTML, "ETag": str(version["etag"])}, bytes(version["body"])  # type: ignore[arg-type]

    server.route("/feed.xml", rss(server, ["/story"]), content_type="application/rss+xml")
    server.route("/story", handler=page)
    feed = follow(store, server.url("/feed.xml"))
    one_pass(store, recheck, feed)
    assert store.fetch_log(feed.id)[0].status == "rejected"
    one_pass(store, recheck, feed)  # unchanged: a 304, not processed
    assert server.requests_for("/story")[-1].headers.get("If-None-Match") == '"v1"'
    newest = store.fetch_log(feed.id)[0]
    assert newest.status == "rejected" and "unchanged" in (newest.error or "")
    assert store.count_articles() == 0
    version.update(etag='"v2"', body=f"<html><body><article><h1>Bridge approved</h1>{ARTICLE}</article></body></html>".encode())
    summary, _ = one_pass(store, recheck, feed)
    assert summary.counts["new"] == 1 and store.count_articles() == 1  # type: ignore[attr-defined]
    assert store.fetch_log(feed.id)[0].status == "ok"


def test_failed_page_ms_is_request_time_only(server: LocalServer, settings: Settings) -> None:
    slow = dataclasses.replace(settings, requests_per_second_per_host=1.0)  # the page waits ~1 s
    server.route("/feed.xml", rss(server, ["/gone"]), content_type="application/rss+xml")
    server.route("/gone", "gone", status=404)
    logs: list[FetchLog] = []
    run_crawl([Feed(url=server.url("/feed.xml"), id=1)], slow, logs)
    gone = next(entry for entry in logs if entry.url.endswith("/gone"))
    assert gone.status == "http_error" and 0 < gone.elapsed_ms < 900


def test_holds_of_other_processes_reach_a_running_pass() -> None:
    from newsloom.errors import RetryLater
    from newsloom.fetch.ratelimit import REFRESH_S, HostRateLimiter

    clock = [1000.0]
    stored: dict[str, object] = {}
    lim = HostRateLimiter(10.0, max_wait_s=60, clock=lambda: clock[0])
    lim.share(lambda now: dict(stored), lambda host, until, reason: stored.__setitem__(host, until))  # type: ignore[arg-type,misc]
    assert lim.reserve("a.example") == 0.0
    stored["a.example"] = utcnow() + timedelta(hours=1)  # another process met a 429
    clock[0] += REFRESH_S + 1
    with pytest.raises(RetryLater, match="a.example"):
        lim.reserve("a.example", "http://a.example/x")
    lim.defer("b.example", 120, "HTTP 429")  # ours are stored for the others
    assert "b.example" in stored


# --- one rate per host for every process (scale mode) ------------------------------------------
def test_host_slots_are_booked_one_interval_apart(store: Store) -> None:
    book = store.book_host_slot  # type: ignore[attr-defined]
    waits = [book("a.example", 0.0, 1.0) for _ in range(3)]
    waits += [book("a.example", 10.0, 1.0)]  # asked for later than the next free slot: that late
    waits += [book("b.example:8080", 0.0, 2.5)]  # hosts apart
    waits += [book("a.example", 0.0, 1.0)]
    # seconds from now on the database's clock, less the moments the calls took
    assert all(abs(w - e) < 0.3 for w, e in zip(waits, [0, 1, 2, 10, 0, 11], strict=True)), waits
    # a fetcher that waits 5 s at most books nothing 12 s away, and leaves the slot for the others
    assert book("a.example", 0.0, 1.0, 5.0) == float("inf")
    assert abs(book("a.example", 0.0, 1.0) - 12) < 0.3


def test_fetchers_of_two_processes_keep_one_rate_per_host(store: Store) -> None:
    """Two rate limiters (two workers) booking through one store: their slots interleave one
    interval apart, as one fetcher's would; each alone would ask at once."""
    from newsloom.fetch.ratelimit import HostRateLimiter

    a, b = HostRateLimiter(1.0), HostRateLimiter(1.0)
    for lim in (a, b):
        lim.share(store.host_holds, store.hold_host, store.book_host_slot)  # type: ignore[attr-defined]
    waits = [lim.reserve("news.example") for lim in (a, b, a, b)]
    assert [round(w) for w in waits] == [0, 1, 2, 3], waits
    alone = HostRateLimiter(1.0)
    assert alone.reserve("news.example") == 0.0


def test_workers_on_postgresql_book_their_slots_and_sqlite_runs_in_memory(store: Store, settings: Settings) -> None:
    limiter = Pipeline(store, settings, with_stories=False).fetch_limiter()
    assert (limiter._book is not None) == (store.__class__.__name__ == "PostgresStore")


def test_two_workers_fetching_one_host_together_keep_its_rate(server: LocalServer, settings: Settings) -> None:
    """Two pipelines (two workers) on one PostgreSQL store fetch two feeds of the same site at the
    same time, at 4 requests a second per host: the site sees its requests 0.25 s apart or more,
    not two streams at 4 a second each."""
    import threading
    import uuid

    from store_backends import drop_schema, pg_schema_url, require_pg

    from newsloom.store import open_store

    require_pg()
    paths = [f"/p{i}" for i in range(6)]
    for p in paths:
        server.route(p, f"<html><head><title>Report {p}</title></head><body><article>{ARTICLE}"
                        f"<p>{p}</p></article></body></html>", content_type=HTML)
    server.route("/f1.xml", rss(server, paths[:3]), content_type="application/rss+xml")
    server.route("/f2.xml", rss(server, paths[3:]), content_type="application/rss+xml")
    polite = dataclasses.replace(settings, requests_per_second_per_host=4.0)
    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    try:
        with open_store(pg_schema_url(schema)) as setup:
            feeds = [follow(setup, server.url(f)) for f in ("/f1.xml", "/f2.xml")]

        def worker(feed: Feed) -> None:
            with open_store(pg_schema_url(schema)) as own:  # a process of its own: its own connection
                Pipeline(own, polite, with_stories=False).fetch_once([own.get_feed(feed.id)])  # type: ignore[arg-type]

        threads = [threading.Thread(target=worker, args=(f,)) for f in feeds]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
        times = sorted(r.at for r in server.requests if r.path != "/robots.txt")
        assert len(times) == 8  # two feeds, six pages
        gaps = [b - a for a, b in zip(times, times[1:])]
        # one rate: 8 requests take 7 intervals (1.75 s; two streams of their own took ~0.75 s,
        # their requests ~0.02 s apart). A request sent late (a busy machine wakes a thread
        # 50-100 ms late) only lengthens the span, but can shorten the gap after it.
        assert times[-1] - times[0] >= 1.6 and min(gaps) >= 0.1, gaps
    finally:
        drop_schema(schema)


def test_a_fetcher_that_will_not_wait_takes_no_slot_from_the_others(store: Store) -> None:
    from newsloom.errors import RetryLater
    from newsloom.fetch.ratelimit import HostRateLimiter

    patient, hasty = HostRateLimiter(0.1), HostRateLimiter(0.1, max_wait_s=5)  # a slot every 10 s
    for lim in (patient, hasty):
        lim.share(store.host_holds, store.hold_host, store.book_host_slot)  # type: ignore[attr-defined]
    assert patient.reserve("slow.example") == 0.0
    with pytest.raises(RetryLater, match="no free slot within 5 s") as refused:
        hasty.reserve("slow.example", "http://slow.example/a")
    assert refused.value.retry_after == 10.0
    assert abs(patient.reserve("slow.example") - 10) < 0.3  # the next slot is still the next one


def test_one_worker_reads_robots_txt_and_every_worker_obeys_it(server: LocalServer, settings: Settings,
                                                               store: Store) -> None:
    """Two fetchers (two workers) sharing the store's robots.txt: the site is asked for it once;
    the second obeys its Disallow and its Crawl-delay without asking; expired, it is asked again."""
    from newsloom.errors import RobotsDisallowed
    from newsloom.fetch.http import Fetcher
    from asyncio import run

    from newsloom.fetch.ratelimit import HostRateLimiter
    from newsloom.fetch.robots import SharedRobots

    server.robots("User-agent: *\nDisallow: /private/\nCrawl-delay: 7\n")
    server.route("/news", "<p>news</p>", content_type=HTML)

    def worker() -> tuple[SharedRobots, HostRateLimiter]:
        rules, limiter = SharedRobots(), HostRateLimiter(1000.0)
        rules.share(store.robots_txt, store.save_robots_txt, settings.user_agent)  # type: ignore[attr-defined]
        return rules, limiter

    async def ask(rules: SharedRobots, limiter: HostRateLimiter, path: str) -> object:
        async with Fetcher(settings, robots_rules=rules, limiter=limiter) as f:
            try:
                return (await f.fetch(server.url(path))).status_code
            except RobotsDisallowed:
                return "disallowed"

    first, second = worker(), worker()
    assert run(ask(*first, "/news")) == 200
    assert run(ask(*second, "/private/x")) == "disallowed"
    assert second[1].interval(server.host) == 7.0  # its Crawl-delay, from the shared copy
    assert len(server.requests_for("/robots.txt")) == 1
    with store.transaction():  # a day later
        store._execute("UPDATE robots_txt SET expires_at = ?", [store._dt_in(utcnow() - timedelta(seconds=1))])  # type: ignore[attr-defined]
    third = worker()
    assert run(ask(*third, "/private/y")) == "disallowed"
    assert len(server.requests_for("/robots.txt")) == 2


def test_robots_txt_is_shared_on_postgresql_only(store: Store, settings: Settings) -> None:
    pipe = Pipeline(store, settings, with_stories=False)
    pipe.fetch_limiter()
    assert (pipe._robots._load is not None) == (store.__class__.__name__ == "PostgresStore")
