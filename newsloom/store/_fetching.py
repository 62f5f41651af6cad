"""SQL for what fetchers share through the store: a host's Retry-After hold, its request slots
and its robots.txt (migration 0011: one rate per host however many workers fetch), and the pages
processing rejected (so an unchanged one is not fetched and analysed again). Mixed into
``SQLStore``."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from newsloom.models import RejectedPage, utcnow
from newsloom.store import _codec as codec


class FetchingQueries:
    """Requires the ``SQLStore`` plumbing (_write, _execute, _one, _rows, _dt_in)."""

    _write: Callable[..., Any]  # annotations only: SQLStore provides them
    _execute: Callable[..., Any]
    _one: Callable[..., Any]
    _rows: Callable[..., list[Any]]
    _dt_in: Callable[[datetime | None], Any]

    def hold_host(self, host: str, until: datetime, reason: str | None = None) -> None:
        now = utcnow()
        with self._write(f"host hold {host!r}"):
            self._execute("DELETE FROM host_holds WHERE hold_until < ?", [self._dt_in(now)])
            self._execute(
                "INSERT INTO host_holds (host, hold_until, reason, at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT (host) DO UPDATE SET hold_until = excluded.hold_until, "
                "reason = excluded.reason, at = excluded.at "
                "WHERE host_holds.hold_until < excluded.hold_until",
                [codec.strip_nul(host), self._dt_in(until), codec.strip_nul(reason), self._dt_in(now)],
            )

    #: whether fetchers should share their politeness here (book_host_slot, robots_txt): a store
    #: several processes fetch through (PostgreSQL); SQLite's one `run` keeps both in memory
    shares_host_slots = False
    #: the database's clock, epoch seconds (a backend's SQL): slots are booked on it, so workers
    #: whose clocks disagree still line up
    _epoch_now = "((julianday('now') - 2440587.5) * 86400.0)"

    def book_host_slot(self, host: str, delay: float, interval: float, within: float = float("inf")) -> float:
        """Book the first free slot of ``host`` at least ``delay`` seconds from now and return
        how many seconds from now it is; the host's next free slot moves ``interval`` after it.
        A slot more than ``within`` seconds away is not booked (returns ``inf``): a fetcher that
        will not wait that long must not push the host's slots on for the others. One statement
        on the database's clock, so fetchers in any number of processes, on any machine, line up
        one interval apart (the row lock orders them)."""
        now = self._epoch_now
        start = f"CASE WHEN host_slots.next_at > {now} + ? THEN host_slots.next_at ELSE {now} + ? END"
        with self._write(f"host slot {host!r}"):
            row = self._execute(
                f"INSERT INTO host_slots (host, next_at) VALUES (?, {now} + ?) ON CONFLICT (host) DO UPDATE SET "
                f"next_at = {start} + ? WHERE {start} <= {now} + ? RETURNING next_at - {now} AS ahead",
                [codec.strip_nul(host), delay + interval, delay, delay, interval, delay, delay,
                 min(within, 1e12)]).fetchone()
        return float("inf") if row is None else max(0.0, float(row["ahead"]) - interval)

    def robots_txt(self, origin: str, now: datetime) -> tuple[int, str | None, datetime] | None:
        """``(status, text, expires_at)`` of ``origin``'s robots.txt as a worker read it, unless
        expired (fetch/robots.py: SharedRobots)."""
        row = self._one("SELECT status, body, expires_at FROM robots_txt WHERE origin = ? AND expires_at > ?",
                        [origin, self._dt_in(now)])
        if row is None:
            return None
        return int(row["status"]), row["body"], codec.parse_dt(row["expires_at"])  # type: ignore[return-value]

    def save_robots_txt(self, origin: str, status: int, text: str | None, expires_at: datetime) -> None:
        with self._write(f"robots.txt of {origin!r}"):
            self._execute(
                "INSERT INTO robots_txt (origin, status, body, expires_at) VALUES (?, ?, ?, ?) ON CONFLICT (origin) "
                "DO UPDATE SET status = excluded.status, body = excluded.body, expires_at = excluded.expires_at",
                [codec.strip_nul(origin), status, None if text is None else codec.strip_nul(text),
                 self._dt_in(expires_at)])

    def host_holds(self, now: datetime) -> dict[str, datetime]:
        rows = self._rows("SELECT host, hold_until FROM host_holds WHERE hold_until > ?",
                          [self._dt_in(now)])
        return {str(r["host"]): codec.parse_dt(r["hold_until"]) for r in rows}  # type: ignore[misc]

    def remember_rejected(self, page: RejectedPage) -> None:
        with self._write(f"rejected page {page.url}"):
            self._execute(
                "INSERT INTO rejected_pages (url, reason, etag, last_modified, content_hash, checked_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (url) DO UPDATE SET reason = excluded.reason, "
                "etag = excluded.etag, last_modified = excluded.last_modified, "
                "content_hash = excluded.content_hash, checked_at = excluded.checked_at",
                [codec.strip_nul(v) for v in (page.url, page.reason, page.etag, page.last_modified,
                                              page.content_hash)] + [self._dt_in(page.checked_at)],
            )

    def rejected_page(self, url: str) -> RejectedPage | None:
        row = self._one("SELECT url, reason, etag, last_modified, content_hash, checked_at "
                        "FROM rejected_pages WHERE url = ?", [url])
        if row is None:
            return None
        return RejectedPage(url=row["url"], reason=row["reason"], etag=row["etag"],
                            last_modified=row["last_modified"], content_hash=row["content_hash"],
                            checked_at=codec.parse_dt(row["checked_at"]))  # type: ignore[arg-type]
