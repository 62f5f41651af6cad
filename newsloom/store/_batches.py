"""SQL for batches of jobs (migration 0009): the records of one archive queued by ``newsloom
ingest --queue``, each under a key no re-run queues again, and the batch's progress. Mixed into
``SQLStore`` beside ``JobQueries``."""

from __future__ import annotations

from collections.abc import Sequence

from newsloom.models import utcnow


class BatchQueries:
    """Requires the ``SQLStore`` plumbing (_write, _rows, _execute, _dt_in)."""

    def enqueue_batch(self, kind: str, batch: str, jobs: Sequence[tuple[str, str]],
                      max_tries: int = 5) -> int:
        """Queue ``(dedupe_key, payload)`` jobs of ``batch`` in one transaction, skipping every key
        that has a job in any state (queued, running, done or dead: a re-run after an interruption
        queues nothing twice). Returns how many were added."""
        if not jobs:
            return 0
        now = self._dt_in(utcnow())  # type: ignore[attr-defined]
        keys = list(dict.fromkeys(k for k, _ in jobs))
        added = 0
        with self._write(f"queueing {len(jobs)} {kind} jobs"):  # type: ignore[attr-defined]
            known: set[str] = set()
            for i in range(0, len(keys), 500):
                chunk = keys[i : i + 500]
                known.update(r["dedupe_key"] for r in self._execute(  # type: ignore[attr-defined]
                    f"SELECT dedupe_key FROM jobs WHERE dedupe_key IN ({', '.join('?' * len(chunk))})",
                    chunk).fetchall())
            for key, payload in jobs:
                if key in known:
                    continue
                known.add(key)
                row = self._execute(  # type: ignore[attr-defined]
                    "INSERT INTO jobs (kind, payload, dedupe_key, batch, max_tries, run_after, created_at, updated_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (dedupe_key) WHERE state IN ('queued', 'running') "
                    "DO NOTHING RETURNING id", [kind, payload, key, batch, max_tries, now, now, now]).fetchone()
                added += row is not None
        return added

    def new_job_keys(self, keys: Sequence[str]) -> list[str]:
        """Those of ``keys`` that have no job in any state (what ``enqueue_batch`` would add)."""
        known: set[str] = set()
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            known.update(r["dedupe_key"] for r in self._rows(  # type: ignore[attr-defined]
                f"SELECT dedupe_key FROM jobs WHERE dedupe_key IN ({', '.join('?' * len(chunk))})", chunk))
        return [k for k in unique if k not in known]

    def open_batch_jobs(self, batches: Sequence[str]) -> int:
        """Jobs of these batches not finished yet (queued or running): how far the queue is ahead
        of the workers (``ingest --queue`` waits while this is at its bound)."""
        if not batches:
            return 0
        rows = self._rows(  # type: ignore[attr-defined]
            f"SELECT count(*) AS n FROM jobs WHERE batch IN ({', '.join('?' * len(batches))}) "
            "AND state IN ('queued', 'running')", list(batches))
        return int(rows[0]["n"])

    def batch_counts(self, batches: Sequence[str]) -> dict[str, int]:
        """Jobs of these batches by state."""
        if not batches:
            return {}
        rows = self._rows(  # type: ignore[attr-defined]
            f"SELECT state, count(*) AS n FROM jobs WHERE batch IN ({', '.join('?' * len(batches))}) GROUP BY state",
            list(batches))
        return {r["state"]: int(r["n"]) for r in rows}

    def compact_batches(self, batches: Sequence[str]) -> int:
        """Drop the record carried by each done job of ``batches`` (it is in the store now; a
        back-fill would otherwise keep every page twice), keeping its key and where it came
        from. Returns how many jobs were compacted."""
        if not batches:
            return 0
        marks = ", ".join("?" * len(batches))
        with self._write("compacting done jobs"):  # type: ignore[attr-defined]
            return int(self._execute(  # type: ignore[attr-defined]
                f"UPDATE jobs SET payload = ? WHERE batch IN ({marks}) AND state = 'done' AND payload != ?",
                ['{"compacted": true}', *batches, '{"compacted": true}']).rowcount)
