"""SQL for the near-duplicate index shared by every worker (migration 0009): each article's LSH
band keys (``NearDupIndex.band_keys``) in ``neardup_keys``, candidates looked up by key, and
transaction-scoped locks on keys. Mixed into ``SQLStore``.

The race it closes: two workers store near-duplicate pages at the same moment, each looks for a
copy before the other's is committed, and both store an original. A writer therefore takes a
lock on each of its text's keys inside the transaction that stores the article, looks again
under the locks, and writes the keys in that same transaction; the locks end with it. Two
near-duplicates share at least one key (that is what makes them LSH candidates at all), so the
second writer waits on that key until the first has committed, and then finds its article.
PostgreSQL: ``pg_advisory_xact_lock`` per key, taken in ascending order (no deadlock between
writers). SQLite: the write transaction (``BEGIN IMMEDIATE``) already admits one writer at a
time, so nothing more is needed."""

from __future__ import annotations

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

#: The first int4 of PostgreSQL's two-key advisory locks ("NLMH"): keeps these locks apart from
#: the one-bigint locks newsloom takes elsewhere (``try_singleton_lock``, migrations).
_LOCK_SPACE = 0x4E4C4D48
#: the first int4 of the lock that lets one process prune at a time ("NLPR")
_PRUNE_SPACE = 0x4E4C5052
#: candidates read per lookup, those sharing the most keys first: the bound matters only for a
#: text with thousands of stored near-copies, where the best of them are among the first
_CANDIDATES = 200


def _int4(key: int) -> int:
    folded = (key ^ (key >> 32)) & 0xFFFFFFFF
    return folded - (1 << 32) if folded >= 1 << 31 else folded


class NearDupQueries:
    """Requires the ``SQLStore`` plumbing (_write, _rows, _execute)."""

    _skip_locked = False  # PostgresStore: True (many writers at once)

    def neardup_shared(self) -> bool:
        """True where several processes write at once (PostgreSQL): the deduper then looks
        near-duplicates up in this table instead of keeping its own index in memory."""
        return bool(self._skip_locked)

    @contextmanager
    def _in_write(self, what: str) -> Iterator[None]:
        """Inside the caller's own transaction on this thread (the pipeline's), statements run in
        it directly: no savepoint, whose two extra round trips per call cost more than the
        statement here. Otherwise a write transaction of their own."""
        if getattr(self, "_depth", 0) and getattr(self, "_tx_thread", None) == threading.get_ident():
            with self._lock:  # type: ignore[attr-defined]
                yield
            return
        with self._write(what):  # type: ignore[attr-defined]
            yield

    def lock_neardup_keys(self, keys: Sequence[int]) -> None:
        """Inside ``Store.transaction()``: hold a lock on each key until the transaction ends
        (PostgreSQL; SQLite's write transaction already excludes other writers)."""
        if not self._skip_locked or not keys:
            return
        folded = sorted({_int4(k) for k in keys})
        with self._in_write("near-duplicate locks"):
            # one statement, the keys in ascending order (unnest keeps the array's order)
            self._execute("SELECT count(pg_advisory_xact_lock(?, k)) AS n FROM unnest(?::int[]) AS k",  # type: ignore[attr-defined]
                          [_LOCK_SPACE, folded]).fetchone()

    def set_neardup_keys(self, article_id: int, keys: Sequence[int]) -> None:
        """Replace the keys of ``article_id`` (none: it is no longer indexed)."""
        with self._in_write(f"near-duplicate keys of article {article_id}"):
            self._insert_keys(article_id, keys, replace=True)

    def add_neardup_keys(self, article_id: int, keys: Sequence[int]) -> None:
        """Add keys of ``article_id`` (those already there are kept): back-filling."""
        with self._in_write(f"near-duplicate keys of article {article_id}"):
            self._insert_keys(article_id, keys)

    def _insert_keys(self, article_id: int, keys: Sequence[int], replace: bool = False) -> None:
        unique = sorted(set(keys))
        if self._skip_locked:  # one round trip; the keys kept are never deleted (one snapshot)
            delete = ("WITH gone AS (DELETE FROM neardup_keys WHERE article_id = ? AND key <> ALL(?::bigint[])) "
                      if replace else "")
            self._execute(f"{delete}INSERT INTO neardup_keys (key, article_id) SELECT k, ? "  # type: ignore[attr-defined]
                          "FROM unnest(?::bigint[]) AS k ON CONFLICT DO NOTHING",
                          [*([article_id, unique] if replace else []), article_id, unique])
            return
        if replace:
            self._execute("DELETE FROM neardup_keys WHERE article_id = ?", [article_id])  # type: ignore[attr-defined]
        if unique:
            self._conn.executemany(  # type: ignore[attr-defined]
                "INSERT OR IGNORE INTO neardup_keys (key, article_id) VALUES (?, ?)",
                [(k, article_id) for k in unique])

    def neardup_candidates(self, keys: Sequence[int], limit: int = _CANDIDATES) -> list[tuple[int, Any, int | None]]:
        """``(article_id, minhash, duplicate_of)`` of stored articles (not removed) sharing at
        least one of ``keys``, those sharing the most first (then the oldest)."""
        unique = sorted(set(keys))
        if not unique:
            return []
        marks = ", ".join("?" * len(unique))
        rows = self._rows(  # type: ignore[attr-defined]
            "SELECT a.id, a.minhash, a.duplicate_of FROM (SELECT article_id, count(*) AS n FROM neardup_keys "
            f"WHERE key IN ({marks}) GROUP BY article_id ORDER BY n DESC, article_id LIMIT ?) c "
            "JOIN articles a ON a.id = c.article_id WHERE a.status != 'removed' ORDER BY c.n DESC, a.id",
            [*unique, limit])
        return [(int(r["id"]), r["minhash"], r["duplicate_of"]) for r in rows]

    def prune_neardup_keys(self, window: int, articles_per_batch: int = 500, max_batches: int = 20) -> int:
        """Delete the keys of articles outside the near-duplicate window: ids at or below the
        newest article's id minus ``window``, the articles ``Deduper.rebuild`` leaves out of an
        in-memory index (whose copies are therefore no longer looked for). Each batch is one
        short transaction over at most ``articles_per_batch`` articles' keys (a range of the
        ``article_id`` index), at most ``max_batches`` a call: a backlog is worked off over
        several calls and no call holds locks for long. Writers seldom touch these rows (their advisory
        locks are on keys, and they write new articles' rows; only a revision of an article that
        old rewrites its rows, which the next prune removes again), so pruning waits on nothing. PostgreSQL: one process prunes at a time, under a transaction-
        scoped try-lock; another that finds it taken returns at once. Returns rows deleted."""
        if window < 1:
            return 0
        newest = self._rows("SELECT max(id) AS n FROM articles")[0]["n"]  # type: ignore[attr-defined]
        if newest is None or int(newest) - window < 1:
            return 0
        cutoff = int(newest) - window  # keys of ids <= cutoff go
        deleted, low = 0, 0
        for _ in range(max_batches):
            with self._write("pruning near-duplicate keys"):  # type: ignore[attr-defined]
                if self._skip_locked and not self._execute(  # type: ignore[attr-defined]
                        "SELECT pg_try_advisory_xact_lock(?, 0) AS ok", [_PRUNE_SPACE]).fetchone()["ok"]:
                    return deleted  # another process is pruning
                # from the lowest id left (an index seek past the ranges already emptied)
                row = self._execute("SELECT min(article_id) AS n FROM neardup_keys WHERE article_id >= ?",  # type: ignore[attr-defined]
                                    [low]).fetchone()
                if row["n"] is None or int(row["n"]) > cutoff:
                    return deleted
                low = int(row["n"])
                high = min(low + articles_per_batch, cutoff + 1)
                deleted += self._execute("DELETE FROM neardup_keys WHERE article_id >= ? AND article_id < ?",  # type: ignore[attr-defined]
                                         [low, high]).rowcount
                low = high
        return deleted

    def count_neardup_keys(self) -> int:
        row = self._rows("SELECT count(*) AS n FROM neardup_keys")  # type: ignore[attr-defined]
        return int(row[0]["n"])
