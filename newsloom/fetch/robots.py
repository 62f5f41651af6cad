"""robots.txt: fetched once per host through the shared client, cached, obeyed (protego).

Outcomes follow Google's documented handling:
- 2xx: the rules apply; ``Crawl-delay`` (or ``Request-rate``) raises the host's interval;
- 4xx other than 429: no robots.txt, everything allowed;
- 429, 5xx: the site is in trouble, nothing is allowed until we try again (short TTL);
- host unreachable / timeout: the page fetch would fail as well, so that error is raised.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import httpx
from protego import Protego

from newsloom.errors import (
    FetchError,
    FetchTimeout,
    HostUnreachable,
    PrivateAddress,
    RobotsDisallowed,
)
from newsloom.fetch.guard import for_url
from newsloom.fetch.ratelimit import HostRateLimiter

ROBOTS_TTL_S = 24 * 3600.0
ROBOTS_ERROR_TTL_S = 600.0  # retry a failing robots.txt soon, not tomorrow
ROBOTS_MAX_BYTES = 500 * 1024  # Google reads the first 500 KiB and ignores the rest


@dataclass
class _Rules:
    expires: float
    parser: Protego | None = None  # None: allow all (no robots.txt)
    refusal: str | None = None  # set: disallow all, with this reason
    error: tuple[type[FetchError], str] | None = None  # host unreachable: raised for every URL
    delay: float | None = None  # Crawl-delay / Request-rate, re-applied to whichever limiter asks


# origin -> rules. Plain data, not bound to an event loop or client, so a caller that runs one
# asyncio.run() per pass can keep it between passes and not re-fetch robots.txt every time.
RobotsRules = dict[str, _Rules]


def origin_of(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


class RobotsCache:
    def __init__(
        self,
        client: httpx.AsyncClient,
        limiter: HostRateLimiter,
        user_agent: str,
        *,
        timeout_s: float = 20.0,
        ttl_s: float = ROBOTS_TTL_S,
        error_ttl_s: float = ROBOTS_ERROR_TTL_S,
        rules: RobotsRules | None = None,
    ) -> None:
        self._client = client
        self._limiter = limiter
        self.user_agent = user_agent
        self._timeout_s = timeout_s
        self._ttl_s = ttl_s
        self._error_ttl_s = error_ttl_s
        self._cache: RobotsRules = rules if rules is not None else {}
        self._locks: dict[str, asyncio.Lock] = {}

    async def check(self, url: str | httpx.URL) -> None:
        """Raise RobotsDisallowed if robots.txt forbids ``url`` (HostUnreachable if it can't tell)."""
        u = httpx.URL(url) if isinstance(url, str) else url
        rules = await self._rules(u)
        if rules.error is not None:
            cls, message = rules.error
            raise cls(str(u), message)
        if rules.refusal is not None:
            raise RobotsDisallowed(str(u), rules.refusal)
        if rules.parser is not None and not rules.parser.can_fetch(str(u), self.user_agent):
            raise RobotsDisallowed(str(u), f"disallowed by {origin_of(u)}/robots.txt")

    async def _rules(self, url: httpx.URL) -> _Rules:
        origin = origin_of(url)
        host = url.netloc.decode("ascii")
        cached = self._cache.get(origin)
        if cached is not None and cached.expires > time.monotonic():
            if cached.delay:
                self._limiter.set_min_interval(host, cached.delay)
            return cached
        # one fetch per host even when many tasks ask at once
        lock = self._locks.setdefault(origin, asyncio.Lock())
        async with lock:
            cached = self._cache.get(origin)
            if cached is not None and cached.expires > time.monotonic():
                return cached
            rules = await self._fetch(origin, host)
            self._cache[origin] = rules
            if rules.delay:
                self._limiter.set_min_interval(host, rules.delay)
            return rules

    async def _fetch(self, origin: str, host: str) -> _Rules:
        robots_url = f"{origin}/robots.txt"
        now = time.monotonic()
        await self._limiter.acquire(host, robots_url)
        try:
            async with (
                self._limiter.semaphore,
                asyncio.timeout(self._timeout_s),
                self._client.stream("GET", robots_url, follow_redirects=True) as resp,
            ):
                status = resp.status_code
                body = bytearray()
                if status < 300:
                    async for chunk in resp.aiter_bytes():
                        body += chunk
                        if len(body) >= ROBOTS_MAX_BYTES:
                            break
        except (TimeoutError, httpx.TimeoutException):
            return _Rules(now + self._error_ttl_s, error=(
                FetchTimeout, f"timed out after {self._timeout_s:g} s asking for {robots_url}"))
        except (httpx.TransportError, httpx.TooManyRedirects) as exc:
            return _Rules(now + self._error_ttl_s, error=(
                HostUnreachable, f"cannot reach {origin} ({exc.__class__.__name__}: {exc})"))
        except PrivateAddress as exc:  # the private-network guard refused the host
            refused = for_url(exc, robots_url)
            return _Rules(now + self._error_ttl_s, error=(PrivateAddress, str(refused)))

        if status == 429 or status >= 500:
            return _Rules(now + self._error_ttl_s,
                          refusal=f"{robots_url} answered HTTP {status}; treated as disallow-all for now")
        if status >= 400:
            return _Rules(now + self._ttl_s)
        if status >= 300:  # a redirect chain longer than httpx's limit ended up here
            return _Rules(now + self._ttl_s)
        text = bytes(body[:ROBOTS_MAX_BYTES]).decode("utf-8", errors="replace")
        parser = Protego.parse(text)
        delay = parser.crawl_delay(self.user_agent)
        rate = parser.request_rate(self.user_agent)
        if rate is not None and rate.requests:
            delay = max(delay or 0.0, rate.seconds / rate.requests)
        return _Rules(now + self._ttl_s, parser=parser, delay=float(delay) if delay else None)
