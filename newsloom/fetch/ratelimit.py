"""Per-host politeness: one token bucket per host, shared by every feed and page of that host.

The bucket holds one token (no bursts: a news site should never see two requests from us at
once), refilled every ``1 / requests_per_second_per_host`` seconds, or every ``Crawl-delay``
seconds when robots.txt asks for more. A ``Retry-After`` answer pushes the host's next slot
into the future. A global semaphore bounds how many requests are in flight at all. With a
store several processes fetch through (PostgreSQL: ``share(book=...)``), each slot is booked in
the store, so the workers together keep to one host's rate rather than each to its own.

Hand-written rather than a library (aiolimiter, asyncio-throttle) because we need per-host
intervals that robots.txt and Retry-After can raise at run time, and to refuse a slot that is
too far away instead of sleeping for an hour; that is ~50 lines.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import datetime, timedelta

from newsloom.errors import ConfigError, NewsloomError, RetryLater
from newsloom.models import utcnow

log = logging.getLogger("newsloom.fetch")

# Beyond this a request is refused with RetryLater rather than waited for: the page stays
# unseen and is fetched on a later pass, so a crawl's length stays bounded.
DEFAULT_MAX_WAIT_S = 300.0
REFRESH_S = 30.0  # how often holds stored by other processes are read again during a pass


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
        # where holds are kept for other processes and later runs (see ``share``)
        self._save: Callable[[str, datetime, str], None] | None = None
        self._load: Callable[[datetime], dict[str, datetime]] | None = None
        self._loaded_at = float("-inf")
        self._book: Callable[[str, float, float], float] | None = None

    def share(self, load: Callable[[datetime], dict[str, datetime]],
              save: Callable[[str, datetime, str], None],
              book: Callable[[str, float, float], float] | None = None) -> None:
        """Obey the holds other processes (and earlier runs) stored, and store ours: ``load(now)``
        gives host -> end of hold (wall clock); ``save(host, until, reason)`` keeps a new one.
        Holds are read now and again every ``REFRESH_S`` while requests are being booked, so a
        429 another process meets during a long pass reaches this one too. ``book(host, delay,
        interval)`` (store.book_host_slot), when given, books every slot in the store: the first
        free one at least ``delay`` seconds from now, returned as seconds from now."""
        self._load, self._save, self._book = load, save, book
        self._loaded_at = float("-inf")
        self._refresh()

    def _refresh(self) -> None:
        mono = self._clock()
        if self._load is None or mono - self._loaded_at < REFRESH_S:
            return
        self._loaded_at = mono
        now = utcnow()
        try:
            holds = self._load(now)
        except NewsloomError as exc:  # a store hiccup: keep what we know
            log.warning("could not read host holds: %s", exc)
            return
        for host, until in holds.items():
            self._hold(host, mono + (until - now).total_seconds())

    # --- what robots.txt and servers tell us -------------------------------------------------
    def interval(self, host: str) -> float:
        return max(self.base_interval, self._interval.get(host, 0.0))

    def set_min_interval(self, host: str, seconds: float) -> None:
        """Crawl-delay: never ask this host more often than every ``seconds``."""
        if seconds > 0:
            self._interval[host] = float(seconds)

    def defer(self, host: str, seconds: float, reason: str = "Retry-After") -> None:
        """Retry-After: no request to this host for ``seconds`` from now (stored for other
        processes and the next run when ``share`` was called)."""
        if seconds <= 0:
            return
        self._hold(host, self._clock() + seconds)
        if self._save is not None:
            try:
                self._save(host, utcnow() + timedelta(seconds=seconds), reason)
            except NewsloomError as exc:  # the hold still applies in this process
                log.warning("could not store the hold on %s: %s", host, exc)

    def _hold(self, host: str, until: float) -> None:
        self._deferred_until[host] = max(self._deferred_until.get(host, 0.0), until)
        self._next_free[host] = max(self._next_free.get(host, 0.0), until)

    def check(self, host: str, url: str | None = None) -> None:
        """Raise RetryLater when a hold arrived for ``host`` while this request waited its turn
        (its slot was booked before the 429 came back)."""
        wait = self.deferred_for(host)
        if wait > 0:
            raise RetryLater(url or host, f"host {host} asked us to wait {wait:.0f} s more "
                                          "(Retry-After); not asked in this pass", retry_after=wait)

    def deferred_for(self, host: str) -> float:
        return max(0.0, self._deferred_until.get(host, 0.0) - self._clock())

    # --- taking a slot -----------------------------------------------------------------------
    def reserve(self, host: str, url: str | None = None) -> float:
        """Book the host's next slot and return how long to sleep until it.

        Booking synchronously (no await between reading and writing ``_next_free``) is what makes
        concurrent tasks of one event loop line up one interval apart without a lock.
        """
        self._refresh()
        now = self._clock()
        slot = max(now, self._next_free.get(host, 0.0))
        if self._book is not None and slot - now <= self.max_wait_s:
            try:  # the slot other processes have not taken, at or after ours (inf: too far)
                slot = now + self._book(host, slot - now, self.interval(host), self.max_wait_s)
            except NewsloomError as exc:  # a store hiccup: this process's own rate still holds
                log.warning("could not book a slot for %s in the store: %s", host, exc)
        wait = slot - now
        if wait > self.max_wait_s:
            raise RetryLater(
                url or host,
                f"host {host} is not to be asked again for {wait:.0f} s (rate limit / Retry-After)"
                if wait != float("inf") else f"host {host} has no free slot within {self.max_wait_s:.0f} s "
                                             "(rate limit shared with other workers)",
                retry_after=wait if wait != float("inf") else self.max_wait_s * 2,  # inf: no slot near
            )
        self._next_free[host] = slot + self.interval(host)
        return wait

    async def acquire(self, host: str, url: str | None = None) -> None:
        wait = self.reserve(host, url)
        while wait > 0:
            await asyncio.sleep(wait)
            # a Retry-After may have come in while we slept: book again behind it (which
            # refuses when the hold is longer than max_wait_s)
            wait = self.reserve(host, url) if self.deferred_for(host) > 0 else 0.0

    @property
    def semaphore(self) -> asyncio.Semaphore:
        """Global in-flight limit, one per event loop: an asyncio.Semaphore is bound to the loop
        that first waits on it, and a caller may reuse this limiter across asyncio.run() calls."""
        loop = asyncio.get_running_loop()
        if self._semaphore is None or self._semaphore_loop is not loop:
            self._semaphore = asyncio.Semaphore(self._concurrency)
            self._semaphore_loop = loop
        return self._semaphore
