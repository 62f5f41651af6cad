"""robots.txt: fetched once per host through the shared client, cached, obeyed (protego).

Outcomes follow Google's documented handling:
- 2xx: the rules apply; ``Crawl-delay`` (or ``Request-rate``) raises the host's interval;
- 4xx other than 429: no robots.txt, everything allowed;
- 429, 5xx: the site is in trouble, nothing is allowed until we try again (short TTL);
- host unreachable / timeout: the page fetch would fail as well, so that error is raised.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx
from protego import Protego

from newsloom.errors import (
    FetchError,
    FetchTimeout,
    HostUnreachable,
    NewsloomError,
    PrivateAddress,
    RobotsDisallowed,
)
from newsloom.fetch.guard import for_url
from newsloom.fetch.ratelimit import HostRateLimiter
from newsloom.models import utcnow

log = logging.getLogger("newsloom.fetch")

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
    status: int | None = None  # the HTTP answer, kept with ``text`` for other processes (SharedRobots)
    text: str | None = None  # the robots.txt read (2xx)


# origin -> rules. Plain data, not bound to an event loop or client, so a caller that runs one
# asyncio.run() per pass can keep it between passes and not re-fetch robots.txt every time.
RobotsRules = dict[str, _Rules]


def origin_of(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def rules_for(status: int, text: str | None, robots_url: str, user_agent: str, expires: float) -> _Rules:
    """What an answer to ``robots_url`` means (the module's docstring), valid until ``expires``
    (monotonic): from a fetch, or from another process's fetch (SharedRobots)."""
    if status == 429 or status >= 500:
        return _Rules(expires, refusal=f"{robots_url} answered HTTP {status}; treated as disallow-all for now",
                      status=status)
    if status >= 300:  # 4xx: no robots.txt; 3xx: a redirect chain longer than httpx's limit ended here
        return _Rules(expires, status=status)
    parser = Protego.parse(text or "")
    delay = parser.crawl_delay(user_agent)
    rate = parser.request_rate(user_agent)
    if rate is not None and rate.requests:
        delay = max(delay or 0.0, rate.seconds / rate.requests)
    return _Rules(expires, parser=parser, delay=float(delay) if delay else None, status=status, text=text or "")


class SharedRobots(dict):  # type: ignore[type-arg]
    """A process's robots.txt rules by origin (``RobotsRules``) that other processes share
    through the store (``share``; PostgreSQL): a site's robots.txt is read by one worker and
    obeyed by all until it expires, not fetched by each. What cannot be shared (the host
    unreachable from this machine) stays in this process. Store trouble falls back to fetching."""

    _load: Callable[[str, datetime], tuple[int, str | None, datetime] | None] | None = None
    _save: Callable[[str, int, str | None, datetime], None] | None = None
    user_agent = ""

    def share(self, load: Callable[[str, datetime], tuple[int, str | None, datetime] | None],
              save: Callable[[str, int, str | None, datetime], None], user_agent: str) -> None:
        """``load(origin, now)``: (status, text, expires_at) of an unexpired stored robots.txt;
        ``save(origin, status, text, expires_at)`` keeps one for the others."""
        self._load, self._save, self.user_agent = load, save, user_agent

    def get(self, origin: str, default: Any = None) -> Any:
        found = super().get(origin)
        if (found is None or found.expires <= time.monotonic()) and self._load is not None:
            now = utcnow()
            try:
                stored = self._load(origin, now)
            except NewsloomError as exc:
                log.warning("could not read the shared robots.txt of %s: %s", origin, exc)
                stored = None
            if stored is not None:
                status, text, until = stored
                found = rules_for(status, text, f"{origin}/robots.txt", self.user_agent,
                                  time.monotonic() + (until - now).total_seconds())
                super().__setitem__(origin, found)
        return default if found is None else found

    def __setitem__(self, origin: str, rules: _Rules) -> None:
        super().__setitem__(origin, rules)
        if self._save is None or rules.status is None:
            return  # nothing to share: unreachable from here, or not shared at all
        try:
            self._save(origin, rules.status, rules.text,
                       utcnow() + timedelta(seconds=rules.expires - time.monotonic()))
        except NewsloomError as exc:
            log.warning("could not share the robots.txt of %s: %s", origin, exc)


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

        text = bytes(body[:ROBOTS_MAX_BYTES]).decode("utf-8", errors="replace") if status < 300 else None
        ttl = self._error_ttl_s if status == 429 or status >= 500 else self._ttl_s
        return rules_for(status, text, robots_url, self.user_agent, now + ttl)
