"""robots.txt handling and per-host politeness, observed from the server's request log."""

from __future__ import annotations

import asyncio
import itertools

import pytest
from asyncio import run  # each test drives its own event loop (no pytest-asyncio)
from localserver import LocalServer

from newsloom.config import Settings
from newsloom.errors import HostUnreachable, RetryLater, RobotsDisallowed
from newsloom.fetch.http import Fetcher
from newsloom.fetch.ratelimit import HostRateLimiter

HTML = "text/html"


def _pages(server: LocalServer, n: int) -> list[str]:
    for i in range(n):
        server.route(f"/p{i}", f"<p>{i}</p>", content_type=HTML)
    return [server.url(f"/p{i}") for i in range(n)]


async def _fetch_all(fetcher: Fetcher, urls: list[str]) -> list[object]:
    return await asyncio.gather(*(fetcher.fetch(u) for u in urls), return_exceptions=True)


def _gaps(server: LocalServer, paths: list[str]) -> list[float]:
    times = sorted(r.at for r in server.requests if r.path in paths)
    return [b - a for a, b in itertools.pairwise(times)]


def test_robots_disallow_for_our_agent(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: newsloom\nDisallow: /private/\n\nUser-agent: *\nDisallow: /\n")
    urls = [server.url("/private/x"), server.url("/public")]
    server.route("/private/x", "<p>no</p>", content_type=HTML)
    server.route("/public", "<p>yes</p>", content_type=HTML)

    async def go() -> list[object]:
        async with Fetcher(settings) as f:
            return await _fetch_all(f, urls)

    private, public = run(go())
    assert isinstance(private, RobotsDisallowed) and "robots.txt" in str(private)
    assert not isinstance(public, Exception)
    assert server.requests_for("/private/x") == []
    assert len(server.requests_for("/robots.txt")) == 1  # cached, fetched once for both


def test_robots_404_allows_everything(server: LocalServer, settings: Settings) -> None:
    urls = _pages(server, 2)  # no /robots.txt route: 404

    async def go() -> list[object]:
        async with Fetcher(settings) as f:
            return await _fetch_all(f, urls)

    assert not any(isinstance(r, Exception) for r in run(go()))


def test_robots_5xx_disallows_for_now(server: LocalServer, settings: Settings) -> None:
    server.robots("oops", status=503)
    urls = _pages(server, 1)

    async def go() -> list[object]:
        async with Fetcher(settings) as f:
            return await _fetch_all(f, urls)

    (result,) = run(go())
    assert isinstance(result, RobotsDisallowed) and "HTTP 503" in str(result)
    assert server.requests_for("/p0") == []


def test_robots_unreachable_host_raises_unreachable(settings: Settings) -> None:
    from localserver import closed_port_url

    async def go() -> None:
        async with Fetcher(settings) as f:
            await f.fetch(closed_port_url("/x"))

    with pytest.raises(HostUnreachable):
        run(go())


def test_robots_can_be_turned_off(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nDisallow: /\n")
    urls = _pages(server, 1)

    async def go() -> object:
        async with Fetcher(settings, obey_robots=False) as f:
            return await f.fetch(urls[0])

    run(go())
    assert server.requests_for("/robots.txt") == []


def test_crawl_delay_spaces_requests(server: LocalServer, settings: Settings) -> None:
    server.robots("User-agent: *\nCrawl-delay: 0.4\n")
    urls = _pages(server, 3)

    async def go() -> None:
        async with Fetcher(settings) as f:  # settings allow 1000 req/s; robots asks for less
            await f.fetch(urls[0])  # learns the crawl delay
            await _fetch_all(f, urls[1:])

    run(go())
    gaps = _gaps(server, ["/p0", "/p1", "/p2"])
    assert len(gaps) == 2 and min(gaps) >= 0.3, gaps


def test_rate_limit_per_host(server: LocalServer, settings: Settings) -> None:
    slow = Settings(**{**vars(settings), "requests_per_second_per_host": 5.0})  # 0.2 s apart
    urls = _pages(server, 4)

    async def go() -> None:
        async with Fetcher(slow) as f:
            await _fetch_all(f, urls)

    run(go())
    gaps = _gaps(server, [f"/p{i}" for i in range(4)])
    assert len(gaps) == 3 and min(gaps) >= 0.15, gaps


def test_different_hosts_do_not_wait_for_each_other() -> None:
    lim = HostRateLimiter(requests_per_second=0.5, concurrency=2, clock=lambda: 50.0)
    assert lim.reserve("a.example") == 0.0
    assert lim.reserve("b.example") == 0.0  # another host: its own bucket
    assert lim.reserve("a.example") == 2.0
    assert lim.reserve("a.example") == 4.0  # queued behind the previous reservation


def test_limiter_crawl_delay_and_retry_after() -> None:
    now = [100.0]
    lim = HostRateLimiter(requests_per_second=10.0, max_wait_s=30, clock=lambda: now[0])
    lim.set_min_interval("h", 3.0)
    assert lim.reserve("h") == 0.0 and lim.reserve("h") == pytest.approx(3.0)
    lim.defer("h", 60.0)  # Retry-After beyond max_wait: refused, not slept through
    with pytest.raises(RetryLater) as info:
        lim.reserve("h", "http://h/page")
    assert info.value.retry_after == pytest.approx(60.0) and "http://h/page" in str(info.value)
    now[0] += 45.0
    assert lim.reserve("h") == pytest.approx(15.0)  # within max_wait again: wait it out


def test_limiter_rejects_nonsense_settings() -> None:
    from newsloom.errors import ConfigError

    with pytest.raises(ConfigError, match="requests_per_second_per_host=0"):
        HostRateLimiter(requests_per_second=0)
    with pytest.raises(ConfigError, match="concurrency=0"):
        HostRateLimiter(concurrency=0)


def test_state_survives_across_passes(server: LocalServer, settings: Settings) -> None:
    """A caller running one asyncio.run() per pass can keep robots rules and the limiter."""
    server.robots("User-agent: *\nDisallow: /private\nCrawl-delay: 0.01\n")
    urls = _pages(server, 1)
    rules: dict = {}
    limiter = HostRateLimiter(1000.0, 2)

    async def one_pass() -> object:
        async with Fetcher(settings, limiter=limiter, robots_rules=rules) as f:
            return await f.fetch(urls[0])

    run(one_pass())
    run(one_pass())  # a new event loop: the limiter's semaphore must not be bound to the old one
    assert len(server.requests_for("/robots.txt")) == 1 and len(server.requests_for("/p0")) == 2
    assert limiter.interval(server.host) == pytest.approx(0.01)
