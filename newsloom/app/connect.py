"""Opening the store at the start of a long-running process (``newsloom worker``, ``run``, ``serve``).

A database that cannot be reached yet (PostgreSQL still starting with the machine, a network not
up, a SQLite file locked by another process) is tried again with growing pauses for
``connect_timeout_s`` seconds, one log line a try; then one error line naming the URL, how many
tries and for how long. What no waiting cures (a wrong user, password or database name, a schema
newer than this code) fails at once."""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable

from newsloom.errors import StoreUnavailable
from newsloom.store import Store, open_store

__all__ = ["open_store_waiting"]

log = logging.getLogger("newsloom.connect")

#: libpq's words for a refusal that another try would meet again
_PERMANENT = re.compile(r"authentication failed|does not exist|no pg_hba\.conf entry|no password supplied|"
                        r"permission denied", re.IGNORECASE)


def open_store_waiting(url: str, create: bool = True, timeout_s: float = 60.0,
                       backoff_s: tuple[float, float] = (1.0, 10.0),
                       sleep: Callable[[float], None] = time.sleep,
                       clock: Callable[[], float] = time.monotonic) -> Store:
    """``open_store(url)``, tried again while the database is unavailable (StoreUnavailable),
    pausing ``backoff_s[0]`` seconds, then twice as long each time up to ``backoff_s[1]``, until
    ``timeout_s`` seconds have passed (0: one try). Each failed try is one warning on the
    ``newsloom.connect`` logger; giving up raises StoreUnavailable with one line saying so."""
    start = clock()
    pause, tries = backoff_s[0], 0
    while True:
        tries += 1
        try:
            store = open_store(url, create=create)
        except StoreUnavailable as exc:
            reason = str(exc)
            left = timeout_s - (clock() - start)
            if _PERMANENT.search(reason):
                raise
            if left <= 0:
                took = clock() - start
                raise StoreUnavailable(
                    f"{reason}; gave up after {tries} {'try' if tries == 1 else 'tries'} in {took:.0f}s "
                    f"(--connect-timeout {timeout_s:g})") from None
            wait = min(pause, left)
            log.warning("database not reachable (try %d): %s; trying again in %.0fs, for %.0fs more",
                        tries, reason, wait, left,
                        extra={"event": "store_connect_retry", "try": tries, "retry_s": round(wait, 1)})
            sleep(wait)
            pause = min(backoff_s[1], pause * 2)
            continue
        if tries > 1:
            log.info("database reachable after %d tries", tries,
                     extra={"event": "store_connected", "tries": tries})
        return store
