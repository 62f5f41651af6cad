"""SQL for the job queue of scale mode (migration 0007): enqueue, claim under a lease, finish,
retry with back-off, dead-letter, counts. Mixed into ``SQLStore``. Claiming differs by backend:
PostgreSQL locks the chosen rows with ``FOR UPDATE SKIP LOCKED`` so workers never wait for or
take each other's jobs; SQLite has one writer, so a write transaction alone is enough."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from newsloom.models import utcnow
from newsloom.store import _codec as codec

_COLS = ("id, kind, payload, dedupe_key, state, tries, max_tries, run_after, lease_until, worker, "
         "last_error, created_at, updated_at")
STATES = ("queued", "running", "done", "dead")


@dataclass
class Job:
    id: int
    kind: str
    payload: str  # JSON text
    dedupe_key: str | None
    state: str
    tries: int
    max_tries: int
    run_after: datetime | None
    lease_until: datetime | None
    worker: str | None
    last_error: str | None
    created_at: datetime | None
    updated_at: datetime | None


def _job(row: Any) -> Job:
    values = dict(row)
    for k in ("run_after", "lease_until", "created_at", "updated_at"):
        values[k] = codec.parse_dt(values[k])
    return Job(**values)


class JobQueries:
    """Requires the ``SQLStore`` plumbing (_write, _rows, _one, _execute, _dt_in)."""

    _skip_locked = False  # PostgresStore: True (row locks that other claimers skip)

    def _job_now(self) -> datetime:
        """The queue's clock, read inside the writing transaction. SQLite: this machine's (the
        store is on this machine). PostgresStore: the database server's, the one clock every
        worker shares, so a worker whose own clock jumps neither takes over leases that are
        still live nor runs a back-off early."""
        return utcnow()

    def enqueue_job(self, kind: str, payload: str, dedupe_key: str | None = None, max_tries: int = 5,
                    run_after: datetime | None = None) -> int | None:
        """Add a job; with ``dedupe_key``, nothing when a job with that key is still open
        (queued or running). Returns the new id or None."""
        with self._write(f"job {kind}"):  # type: ignore[attr-defined]
            now = self._dt_in(self._job_now())  # type: ignore[attr-defined]
            at = self._dt_in(run_after) if run_after else now  # type: ignore[attr-defined]
            row = self._execute(  # type: ignore[attr-defined]
                "INSERT INTO jobs (kind, payload, dedupe_key, max_tries, run_after, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) WHERE state IN ('queued', 'running') "
                "DO NOTHING RETURNING id", [kind, payload, dedupe_key, max_tries, at, now, now]).fetchone()
        return int(row["id"]) if row else None

    def claim_jobs(self, worker: str, limit: int = 1, lease_s: float = 60.0,
                   kinds: tuple[str, ...] | None = None) -> list[Job]:
        """Take up to ``limit`` jobs that are due: queued ones whose ``run_after`` has come, and
        running ones whose lease expired (their worker died). Each claim counts as a try."""
        kind_sql = f" AND kind IN ({', '.join('?' * len(kinds))})" if kinds else ""
        lock = " FOR UPDATE SKIP LOCKED" if self._skip_locked else ""  # type: ignore[attr-defined]
        pick = ("SELECT id FROM jobs WHERE state IN ('queued', 'running') AND ((state = 'queued' AND run_after <= ?) OR "
                f"(state = 'running' AND lease_until < ?)){kind_sql} ORDER BY id LIMIT ?{lock}")
        with self._write("claiming jobs"):  # type: ignore[attr-defined]
            now = self._job_now()
            params: list[Any] = [self._dt_in(now), self._dt_in(now), *(kinds or ()), limit]  # type: ignore[attr-defined]
            ids = [r["id"] for r in self._execute(pick, params).fetchall()]  # type: ignore[attr-defined]
            if not ids:
                return []
            rows = self._execute(  # type: ignore[attr-defined]
                f"UPDATE jobs SET state = 'running', tries = tries + 1, worker = ?, lease_until = ?, "
                f"updated_at = ? WHERE id IN ({', '.join('?' * len(ids))}) RETURNING {_COLS}",
                [worker, self._dt_in(now + timedelta(seconds=lease_s)), self._dt_in(now), *ids],  # type: ignore[attr-defined]
            ).fetchall()
        return sorted((_job(r) for r in rows), key=lambda j: j.id)

    def finish_job(self, job_id: int, worker: str) -> bool:
        """Mark done; False when the lease was lost (another worker took the job over)."""
        with self._write(f"job {job_id}"):  # type: ignore[attr-defined]
            n = self._execute(  # type: ignore[attr-defined]
                "UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = ? "
                "WHERE id = ? AND state = 'running' AND worker = ?",
                [self._dt_in(self._job_now()), job_id, worker]).rowcount  # type: ignore[attr-defined]
        return bool(n)

    def fail_job(self, job_id: int, worker: str, error: str, backoff_s: float) -> str:
        """A try failed: queued again after ``backoff_s``, or dead after ``max_tries`` tries.
        Returns the new state ("queued", "dead", or "" when the lease was lost)."""
        with self._write(f"job {job_id}"):  # type: ignore[attr-defined]
            now = self._job_now()
            row = self._execute(  # type: ignore[attr-defined]
                "UPDATE jobs SET state = CASE WHEN tries >= max_tries THEN 'dead' ELSE 'queued' END, "
                "run_after = ?, lease_until = NULL, last_error = ?, updated_at = ? "
                "WHERE id = ? AND state = 'running' AND worker = ? RETURNING state",
                [self._dt_in(now + timedelta(seconds=backoff_s)), error[:2000], self._dt_in(now),  # type: ignore[attr-defined]
                 job_id, worker]).fetchone()
        return row["state"] if row else ""

    def release_job(self, job_id: int, worker: str, error: str, delay_s: float = 0.0) -> bool:
        """Give a job back without counting the try: its worker lost the database mid-job (a
        restart, a dropped connection), which is no fault of the job. False when the lease was
        lost meanwhile."""
        with self._write(f"job {job_id}"):  # type: ignore[attr-defined]
            now = self._job_now()
            n = self._execute(  # type: ignore[attr-defined]
                "UPDATE jobs SET state = 'queued', tries = CASE WHEN tries > 0 THEN tries - 1 ELSE 0 END, "
                "run_after = ?, lease_until = NULL, last_error = ?, updated_at = ? "
                "WHERE id = ? AND state = 'running' AND worker = ?",
                [self._dt_in(now + timedelta(seconds=delay_s)), error[:2000], self._dt_in(now),  # type: ignore[attr-defined]
                 job_id, worker]).rowcount  # type: ignore[attr-defined]
        return bool(n)

    def job_counts(self) -> dict[tuple[str, str], int]:
        """(kind, state) -> number of jobs."""
        rows = self._rows("SELECT kind, state, count(*) AS n FROM jobs GROUP BY kind, state")  # type: ignore[attr-defined]
        return {(r["kind"], r["state"]): int(r["n"]) for r in rows}

    def open_jobs(self, kind: str) -> int:
        """Jobs of ``kind`` queued or running (the recrawl scheduler's back-pressure)."""
        row = self._one("SELECT count(*) AS n FROM jobs WHERE state IN ('queued', 'running') AND kind = ?",  # type: ignore[attr-defined]
                        [kind])
        return int(row["n"]) if row else 0

    def list_jobs(self, state: str | None = None, limit: int = 50) -> list[Job]:
        where, params = ("WHERE state = ?", [state]) if state else ("", [])
        rows = self._rows(f"SELECT {_COLS} FROM jobs {where} ORDER BY id LIMIT ?", [*params, limit])  # type: ignore[attr-defined]
        return [_job(r) for r in rows]

    def requeue_dead_jobs(self) -> int:
        """Operator's retry: dead jobs queued again with a fresh count of tries."""
        with self._write("requeue dead jobs"):  # type: ignore[attr-defined]
            return int(self._execute(  # type: ignore[attr-defined]
                "UPDATE jobs SET state = 'queued', tries = 0, run_after = ?, updated_at = ? WHERE state = 'dead'",
                [self._dt_in(utcnow()), self._dt_in(utcnow())]).rowcount)  # type: ignore[attr-defined]

    def try_singleton_lock(self, name: str) -> bool:
        """Take a lock held for the life of this connection, or False when another process
        holds it: PostgreSQL's session advisory lock (released when the holder's connection
        ends, so a killed holder frees it). SQLite: one writer process, always True."""
        if not self._skip_locked:  # type: ignore[attr-defined]
            return True
        key = f"newsloom.{name}." + (getattr(self, "schema", None) or "")
        with self._lock:  # type: ignore[attr-defined]  # on the store's own connection, never a pooled one
            self._ready()  # type: ignore[attr-defined]
            row = self._execute("SELECT pg_try_advisory_lock(hashtext(?)) AS ok", [key]).fetchone()  # type: ignore[attr-defined]
        return bool(row["ok"])
