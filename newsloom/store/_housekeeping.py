"""SQL for housekeeping (migration 0010): what a months-long run deletes once it is old enough —
fetched pages (the bytes each article was extracted from), the fetch log, finished jobs. Mixed
into ``SQLStore``; both backends run the same statements (``DELETE ... RETURNING``, ``LIMIT`` in
a subquery). Each call deletes one bounded batch, oldest first, in its own transaction, so a
writer never waits long behind it."""

from __future__ import annotations

from datetime import datetime

_PRUNED = "fetch_log_pruned:"  # + status: fetch-log entries deleted so far, per outcome

# what each kind selects: the table, its age column, and the rows that may go at all
_KINDS = {
    "pages": ("raw_documents", "fetched_at", "1 = 1"),
    "fetch_log": ("fetch_log", "at", "1 = 1"),
    # a back-fill's done jobs stay (batch set): their keys tell a resumed ingest what it did
    "jobs": ("jobs", "updated_at", "state = 'done' AND batch IS NULL"),
}


class HousekeepingQueries:
    """Requires the ``SQLStore`` plumbing (_write, _execute, _one, _dt_in)."""

    def prunable(self, kind: str, before: datetime) -> tuple[int, int]:
        """``(rows, bytes)`` that :meth:`prune` would delete of ``kind`` ("pages", "fetch_log",
        "jobs") older than ``before``; bytes are the pages' stored (compressed) bodies, 0 for the
        other kinds."""
        table, column, where = _KINDS[kind]
        size = "SUM(LENGTH(body))" if kind == "pages" else "0"
        row = self._one(f"SELECT COUNT(*) AS n, {size} AS b FROM {table} WHERE {where} AND {column} < ?",  # type: ignore[attr-defined]
                        [self._dt_in(before)])  # type: ignore[attr-defined]
        return int(row["n"] or 0), int(row["b"] or 0)

    def prune(self, kind: str, before: datetime, limit: int = 2000) -> int:
        """Delete up to ``limit`` rows of ``kind`` older than ``before``, oldest first; returns how
        many went. A page's article keeps everything but its ``raw_id`` (ON DELETE SET NULL):
        text, story, lineage, search. The fetch log's deleted entries are added to per-outcome
        totals in ``state``, so ``fetch_outcomes`` (the /metrics counter) never goes down."""
        table, column, where = _KINDS[kind]
        returning = "status" if kind == "fetch_log" else "id"
        with self._write(f"pruning {kind}"):  # type: ignore[attr-defined]
            rows = self._execute(  # type: ignore[attr-defined]
                f"DELETE FROM {table} WHERE id IN (SELECT id FROM {table} WHERE {where} AND {column} < ? "
                f"ORDER BY {column} LIMIT ?) RETURNING {returning}", [self._dt_in(before), limit]).fetchall()  # type: ignore[attr-defined]
            if kind == "fetch_log":
                by_status: dict[str, int] = {}
                for r in rows:
                    by_status[str(r["status"])] = by_status.get(str(r["status"]), 0) + 1
                for status, n in by_status.items():  # one statement each: two pruners never lose a count
                    self._execute(  # type: ignore[attr-defined]
                        "INSERT INTO state (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET "
                        "value = CAST(CAST(state.value AS BIGINT) + CAST(excluded.value AS BIGINT) AS TEXT)",
                        [_PRUNED + status, str(n)])
        return len(rows)

    def _fetch_caches(self, before: datetime) -> list[tuple[str, list[object]]]:
        """(table and condition, its parameter) of each fetch cache's rows older than ``before``:
        robots.txt copies by expiry (a timestamp), host slots by their next slot (epoch seconds)."""
        return [("robots_txt WHERE expires_at < ?", [self._dt_in(before)]),  # type: ignore[attr-defined]
                ("host_slots WHERE next_at < ?", [before.timestamp()])]

    def fetch_caches_prunable(self, before: datetime) -> int:
        """Rows :meth:`prune_fetch_caches` would delete."""
        return sum(int(self._one(f"SELECT COUNT(*) AS n FROM {rows}", params)["n"] or 0)  # type: ignore[attr-defined]
                   for rows, params in self._fetch_caches(before))

    def prune_fetch_caches(self, before: datetime) -> int:
        """What fetchers share through the store (migration 0011) about sites no longer asked:
        robots.txt copies that expired before ``before`` (an expired one is fetched again
        anyway) and host slots last booked for before it (a host's next request books a new
        one). One row per site, so one statement each; returns rows deleted."""
        with self._write("pruning the fetch caches"):  # type: ignore[attr-defined]
            return sum(max(self._execute(f"DELETE FROM {rows}", params).rowcount, 0)  # type: ignore[attr-defined]
                       for rows, params in self._fetch_caches(before))

    def pruned_fetch_outcomes(self) -> dict[str, int]:
        """Fetch-log entries deleted by housekeeping so far, by outcome status."""
        return {key[len(_PRUNED):]: int(value) for key, value in self.states(_PRUNED).items()}  # type: ignore[attr-defined]
