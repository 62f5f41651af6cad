"""Per-host politeness: one token bucket per host, shared by every feed and page of that host.

The bucket holds one token (no bursts: a news site should never see two requests from us at
once), refilled every ``1 / requests_per_second_per_host`` seconds, or every ``Crawl-delay``
seconds when robots.txt asks for more. A ``Retry-After`` answer pushes the host's next slot
into the future. A global semaphore bounds how many requests are in flight at all.

Hand-written rather than a library (aiolimiter, asyncio-throttle) because we need per-host
intervals that robots.txt and Retry-After can raise at run time, and to refuse a slot that is
too far away instead of sleeping for an hour; that is ~50 lines.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable

from newsloom.errors import ConfigError, RetryLater

# Beyond this a request is refused with RetryLater rather than waited for: the page stays
# unseen and is fetched on a later pass, so a crawl's length stays bounded.
DEFAULT_MAX_WAIT_S = 300.0


class HostRateLimiter:
    """Reservation-based token buckets keyed by host (``netloc``, port included)."""

    def __init__(
        self,
        requests_per_second: float = 1.0,
        concurrency: int = 8,
        *,
        max_wait_s: float = DEFAULT_MAX_WAIT_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if requests_per_second <= 0:
            raise ConfigError(f"requests_per_second_per_host={requests_per_second!r}: must be > 0")
        if concurrency < 1:
            raise ConfigError(f"concurrency={concurrency!r}: must be >= 1")
        self.base_interval = 1.0 / requests_per_second
        self.max_wait_s = max_wait_s
        self._clock = clock
        self._interval: dict[str, float] = {}  # raised by Crawl-delay / Request-rate
        self._next_free: dict[str, float] = {}
        self._deferred_until: dict[str, float] = {}  # from Retry-After
        self._concurrency = concurrency
        self._semaphore: asyncio.Semaphore | None = None
        self._semaphore_loop: asyncio.AbstractEventLoop | None = None

    # --- what robots.txt and servers tell us -------------------------------------------------
    def interval(self, host: str) -> float:
        return max(self.base_interval, self._interval.get(host, 0.0))

    def set_min_interval(self, host: str, seconds: float) -> None:
        """Crawl-delay: never ask this host more often than every ``seconds``."""
        if seconds > 0:
            self._interval[host] = float(seconds)

    def defer(self, host: str, seconds: float) -> None:
        """Retry-After: no request to this host for ``seconds`` from now."""
        if seconds <= 0:
            return
        until = self._clock() + seconds
        self._deferred_until[host] = max(self._deferred_until.get(host, 0.0), until)
        self._next_free[host] = max(self._next_free.get(host, 0.0), until)

    def deferred_for(self, host: str) -> float:
        return max(0.0, self._deferred_until.get(host, 0.0) - self._clock())

    # --- taking a slot -----------------------------------------------------------------------
    def reserve(self, host: str, url: str | None = None) -> float:
        """Book the host's next slot and return how long to sleep until it.

        Booking synchronously (no await between reading and writing ``_next_free``) is what makes
        concurrent tasks of one event loop line up one interval apart without a lock.
        """
        now = self._clock()
        slot = max(now, self._next_free.get(host, 0.0))
        wait = slot - now
        if wait > self.max_wait_s:
            raise RetryLater(
                url or host,
                f"host {host} is not to be asked again for {wait:.0f} s (rate limit / Retry-After)",
                retry_after=wait,
            )
        self._next_free[host] = slot + self.interval(host)
        return wait

    async def acquire(self, host: str, url: str | None = None) -> None:
        wait = self.reserve(host, url)
        if wait > 0:
            await asyncio.sleep(wait)

    @property
    def semaphore(self) -> asyncio.Semaphore:
        """Global in-flight limit, one per event loop: an asyncio.Semaphore is bound to the loop
        that first waits on it, and a caller may reuse this limiter across asyncio.run() calls."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self._concurrency)
            self._semaphore_loop = loop
        return self._semaphore
