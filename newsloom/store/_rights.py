"""SQL for publisher rights (migration 0006): removal requests, their audit trail, the
suppression list, and purging a removed article. Mixed into ``SQLStore``; both backends run the
same statements (``LIKE ... ESCAPE``, ``CAST``, ``ON CONFLICT`` exist in SQLite and PostgreSQL).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from newsloom.errors import NotFoundError, StoreError
from newsloom.models import Article, AuditEntry, Suppression, TakedownRequest, utcnow
from newsloom.store import _codec as codec

_TD_COLS = ", ".join(["id", *codec.columns(TakedownRequest)])
_AUDIT_COLS = ", ".join(["id", *codec.columns(AuditEntry)])
_SUP_COLS = ", ".join(["id", *codec.columns(Suppression)])
_OPEN = ("received", "verified")


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class RightsQueries:
    """Requires the ``SQLStore`` plumbing (_write, _rows, _one, _insert, _update, _params, _build)."""

    # --- takedown requests ----------------------------------------------------------------
    def add_takedown(self, req: TakedownRequest) -> TakedownRequest:
        values = self._params(req)  # type: ignore[attr-defined]
        with self._write(f"takedown request for {req.target!r}"):  # type: ignore[attr-defined]
            req.id = self._insert("takedown_requests", values)  # type: ignore[attr-defined]
        return req

    def update_takedown(self, req: TakedownRequest) -> None:
        values = self._params(req)  # type: ignore[attr-defined]
        with self._write(f"takedown request {req.id}"):  # type: ignore[attr-defined]
            if self._update("takedown_requests", int(req.id or 0), values) == 0:  # type: ignore[attr-defined]
                raise NotFoundError(f"takedown request {req.id}: not found")

    def get_takedown(self, request_id: int) -> TakedownRequest:
        row = self._one(f"SELECT {_TD_COLS} FROM takedown_requests WHERE id = ?", [request_id])  # type: ignore[attr-defined]
        if row is None:
            raise NotFoundError(f"takedown request {request_id}: not found")
        return codec.from_row(TakedownRequest, row)

    def list_takedowns(self, statuses: Sequence[str] | None = None, limit: int = 10_000) -> list[TakedownRequest]:
        """Newest first; ``statuses`` filters (None = all)."""
        where, params = "", []
        if statuses:
            where = f"WHERE status IN ({', '.join('?' * len(statuses))}) "
            params = list(statuses)
        sql = f"SELECT {_TD_COLS} FROM takedown_requests {where}ORDER BY id DESC LIMIT ?"
        return [codec.from_row(TakedownRequest, r) for r in self._rows(sql, [*params, limit])]  # type: ignore[attr-defined]

    def find_open_takedown(self, kind: str, target: str) -> TakedownRequest | None:
        """A request for the same thing still received, verified or executed (a duplicate)."""
        sql = (f"SELECT {_TD_COLS} FROM takedown_requests WHERE kind = ? AND target = ? "
               "AND status IN ('received', 'verified', 'executed') ORDER BY id LIMIT 1")
        row = self._one(sql, [kind, target])  # type: ignore[attr-defined]
        return None if row is None else codec.from_row(TakedownRequest, row)

    # --- audit log ----------------------------------------------------------------------------
    def add_audit(self, entry: AuditEntry) -> None:
        values = self._params(entry)  # type: ignore[attr-defined]
        with self._write(f"audit entry {entry.step}"):  # type: ignore[attr-defined]
            entry.id = self._insert("takedown_audit", values)  # type: ignore[attr-defined]

    def audit_trail(self, request_id: int | None = None, limit: int = 1000) -> list[AuditEntry]:
        """Oldest first; ``request_id`` None = the entries of refused intakes (no request)."""
        if request_id is None:
            sql = f"SELECT {_AUDIT_COLS} FROM takedown_audit WHERE request_id IS NULL ORDER BY id LIMIT ?"
            rows = self._rows(sql, [limit])  # type: ignore[attr-defined]
        else:
            sql = f"SELECT {_AUDIT_COLS} FROM takedown_audit WHERE request_id = ? ORDER BY id LIMIT ?"
            rows = self._rows(sql, [request_id, limit])  # type: ignore[attr-defined]
        return [codec.from_row(AuditEntry, r) for r in rows]

    # --- suppression list -----------------------------------------------------------------------
    def add_suppressions(self, items: Iterable[Suppression]) -> int:
        """Insert; an entry already listed is kept as it was. Returns how many were new."""
        n = 0
        with self._write("suppression list"):  # type: ignore[attr-defined]
            for s in items:
                cur = self._execute(  # type: ignore[attr-defined]
                    "INSERT INTO suppressions (kind, value, request_id, at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (kind, value) DO NOTHING",
                    [s.kind, codec.strip_nul(s.value), s.request_id, self._dt_in(s.at)])  # type: ignore[attr-defined]
                n += max(0, cur.rowcount or 0)
        return n

    def suppression_for(self, urls: Sequence[str], hosts: Sequence[str],
                        content_hash: str | None) -> Suppression | None:
        """The first listed entry that covers any of ``urls`` (exactly or by prefix), any of
        ``hosts`` (a domain entry covers itself; callers pass each parent domain too) or the
        content hash; None when nothing does. One indexed query: this runs for every article."""
        conds, params = [], []
        urls = [u for u in dict.fromkeys(urls) if u]
        if urls:
            conds.append(f"(kind = 'url' AND value IN ({', '.join('?' * len(urls))}))")
            params += urls
            for u in urls:
                conds.append("(kind = 'prefix' AND value = substr(CAST(? AS TEXT), 1, length(value)))")
                params.append(u)
        hosts = [h for h in dict.fromkeys(hosts) if h]
        if hosts:
            conds.append(f"(kind = 'domain' AND value IN ({', '.join('?' * len(hosts))}))")
            params += hosts
        if content_hash:
            conds.append("(kind = 'hash' AND value = ?)")
            params.append(content_hash)
        if not conds:
            return None
        row = self._one(f"SELECT {_SUP_COLS} FROM suppressions WHERE {' OR '.join(conds)} "  # type: ignore[attr-defined]
                        "ORDER BY id LIMIT 1", params)
        return None if row is None else codec.from_row(Suppression, row)

    def count_suppressions(self) -> dict[str, int]:
        rows = self._rows("SELECT kind, count(*) AS n FROM suppressions GROUP BY kind")  # type: ignore[attr-defined]
        return {str(r["kind"]): int(r["n"]) for r in rows}

    # --- what a request matches, and the purge ----------------------------------------------------
    def takedown_candidates(self, kind: str, target: str) -> list[tuple[int, str, str | None]]:
        """``(id, url, content_hash)`` of articles not yet removed that a request may cover:
        url = exact url or canonical_url; prefix = url starting with it (LIKE narrows, case
        folded; the caller compares exactly); domain = the host or any subdomain, any scheme
        and port (the caller checks the host: ``%`` also matches inside a path)."""
        base = "SELECT id, url, content_hash FROM articles WHERE status <> 'removed' AND "
        if kind == "url":
            rows = self._rows(base + "(url = ? OR canonical_url = ?)", [target, target])  # type: ignore[attr-defined]
        elif kind == "prefix":
            # lower() on both sides: PostgreSQL's LIKE is case-sensitive, a stored host may not be
            rows = self._rows(base + "lower(url) LIKE ? ESCAPE '\\'",  # type: ignore[attr-defined]
                              [_like_escape(target.lower()) + "%"])
        else:
            d = _like_escape(target)
            pats = [f"{scheme}://{sub}{d}{end}" for scheme in ("http", "https")
                    for sub in ("", "%.") for end in ("/%", ":%")]
            pats += [f"http://{d}", f"https://{d}"]
            conds = " OR ".join(["lower(url) LIKE ? ESCAPE '\\'"] * len(pats))
            rows = self._rows(base + f"({conds})", pats)  # type: ignore[attr-defined]
        return [(int(r["id"]), str(r["url"]), r["content_hash"]) for r in rows]

    def articles_with_hash(self, hashes: Sequence[str]) -> list[int]:
        """Ids of articles not removed whose content hash is one of ``hashes`` (syndicated copies)."""
        out: list[int] = []
        hashes = [h for h in dict.fromkeys(hashes) if h]
        for start in range(0, len(hashes), 500):
            chunk = hashes[start:start + 500]
            sql = (f"SELECT id FROM articles WHERE status <> 'removed' AND content_hash IN "
                   f"({', '.join('?' * len(chunk))})")
            out += [int(r["id"]) for r in self._rows(sql, chunk)]  # type: ignore[attr-defined]
        return out

    def purge_article(self, article_id: int, note: str, when: datetime | None = None) -> None:
        """Leave a tombstone: status 'removed', the URL and outlet kept; title, text, description,
        raw page, revisions, embeddings, MinHash, entities and the search index entry gone (FTS5
        follows the title/text update by trigger; PostgreSQL's tsvector is emptied here)."""
        when = when or utcnow()
        row = self._one("SELECT raw_id, notes FROM articles WHERE id = ?", [article_id])  # type: ignore[attr-defined]
        if row is None:
            raise NotFoundError(f"article {article_id}: not found")
        notes = list(codec.load_json(row["notes"]) or []) + [f"{note} ({codec.dt_text(when)})"]
        extra = ", search = ''::tsvector" if self._has_search_column() else ""
        with self._write(f"purge article {article_id}"):  # type: ignore[attr-defined]
            self._execute(  # type: ignore[attr-defined]
                "UPDATE articles SET status = 'removed', title = NULL, text = '', description = NULL, "
                "raw_text = NULL, raw_id = NULL, minhash = NULL, images = '[]', embeds = '[]', "
                "entities = '[]', quotes = '[]', authors = '[]', cleanup_log = '[]', "
                f"story_id = NULL, lineage = NULL, lineage_of = NULL, notes = ?{extra} WHERE id = ?",
                [codec.dump_json(notes, "notes"), article_id])
            self._execute("DELETE FROM embeddings WHERE article_id = ?", [article_id])  # type: ignore[attr-defined]
            self._execute("DELETE FROM revisions WHERE article_id = ?", [article_id])  # type: ignore[attr-defined]
            if row["raw_id"] is not None:
                self._execute("DELETE FROM raw_documents WHERE id = ?", [row["raw_id"]])  # type: ignore[attr-defined]

    def _has_search_column(self) -> bool:
        # PostgreSQL writes its tsvector column with each article; SQLite's FTS5 uses triggers
        return bool(self._fts_columns(Article(url="")))  # type: ignore[attr-defined]

    def articles_with_expiry(self, after_id: int = 0, limit: int = 1000) -> list[tuple[int, Any]]:
        """``(id, rights)`` of articles not removed whose signals carry unavailable_after."""
        sql = ("SELECT id, rights FROM articles WHERE status <> 'removed' AND id > ? AND "
               "rights LIKE ? ESCAPE '\\' ORDER BY id LIMIT ?")
        # the pattern is a parameter: a literal % would read as a placeholder to psycopg
        rows = self._rows(sql, [after_id, "%unavailable\\_after%", limit])  # type: ignore[attr-defined]
        return [(int(r["id"]), codec.load_json(r["rights"])) for r in rows]

    # --- recrawl schedule (migration 0008) ---------------------------------------------------------
    def recrawl_due(self, now: datetime, first_before: datetime, first_after: datetime,
                    limit: int = 500, steps: int = 3) -> list[tuple[int, str, datetime, int]]:
        """``(id, url, fetched_at, recrawl_count)`` of crawled articles (a feed brought them; not
        removed) whose next recrawl is due: the first step when fetched between ``first_after``
        and ``first_before``, a later step (of ``steps``) when ``recrawl_at`` has passed. Most
        overdue first. Two indexed queries (``articles_recrawl``) rather than one OR the planner
        cannot use."""
        base = ("SELECT id, url, fetched_at, recrawl_count FROM articles WHERE status <> 'removed' "
                "AND feed_id IS NOT NULL AND ")
        first = self._rows(  # type: ignore[attr-defined]
            base + "recrawl_count = 0 AND recrawl_at IS NULL AND fetched_at <= ? AND fetched_at >= ? "
            "ORDER BY fetched_at LIMIT ?",
            [self._dt_in(first_before), self._dt_in(first_after), limit])  # type: ignore[attr-defined]
        later = self._rows(  # type: ignore[attr-defined]
            base + f"recrawl_count IN ({_counts(steps)}) AND recrawl_at <= ? ORDER BY recrawl_at LIMIT ?",
            [*range(steps), self._dt_in(now), limit])  # type: ignore[attr-defined]
        rows = [(int(r["id"]), str(r["url"]), codec.parse_dt(r["fetched_at"]), int(r["recrawl_count"]))
                for r in [*later, *first]]
        return rows[:limit]  # type: ignore[return-value]

    def recrawl_backlog(self, now: datetime, first_before: datetime, first_after: datetime,
                        first_step_s: float, steps: int = 3) -> tuple[int, datetime | None]:
        """``(articles due now, when the most overdue of them fell due)`` by the rule of
        :meth:`recrawl_due` (for `newsloom status` and /metrics: how far the recrawl is behind).
        Counted on the same index; the first step falls due ``first_step_s`` after the fetch."""
        base = "FROM articles WHERE status <> 'removed' AND feed_id IS NOT NULL AND "
        first = self._one(  # type: ignore[attr-defined]
            "SELECT COUNT(*) AS n, MIN(fetched_at) AS oldest " + base +
            "recrawl_count = 0 AND recrawl_at IS NULL AND fetched_at <= ? AND fetched_at >= ?",
            [self._dt_in(first_before), self._dt_in(first_after)])  # type: ignore[attr-defined]
        later = self._one(  # type: ignore[attr-defined]
            "SELECT COUNT(*) AS n, MIN(recrawl_at) AS oldest " + base +
            f"recrawl_count IN ({_counts(steps)}) AND recrawl_at <= ?", [*range(steps), self._dt_in(now)])  # type: ignore[attr-defined]
        since = [codec.parse_dt(later["oldest"])]
        if first["oldest"] is not None:
            since.append(codec.parse_dt(first["oldest"]) + timedelta(seconds=first_step_s))
        known = [s for s in since if s is not None]
        return int(first["n"] or 0) + int(later["n"] or 0), (min(known) if known else None)

    def recrawl_validators(self, ids: Sequence[int]) -> dict[int, tuple[int, dict[str, str], str]]:
        """``article id -> (raw document id, its response headers, sha256 of its body)`` of the
        page each article was last stored from (none for an article without one): what a
        recrawl asks conditionally with, and compares the new page's bytes to."""
        found: dict[int, tuple[int, dict[str, str], str]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ", ".join("?" for _ in chunk)
            for r in self._rows("SELECT a.id, r.id AS raw_id, r.headers, r.body FROM articles a "  # type: ignore[attr-defined]
                                f"JOIN raw_documents r ON r.id = a.raw_id WHERE a.id IN ({marks})", chunk):
                try:
                    body = codec.decompress(r["body"], f"raw document {r['raw_id']}")
                except StoreError:
                    continue  # unreadable: that page is fetched and analysed in full
                headers = codec.load_json(r["headers"]) or {}
                found[int(r["id"])] = (int(r["raw_id"]), {str(k).lower(): str(v) for k, v in headers.items()},
                                       hashlib.sha256(body).hexdigest())
        return found

    def recrawl_items(self, ids: Sequence[int]) -> list[tuple[int, str, datetime, int]]:
        """``(id, url, fetched_at, recrawl_count)`` of those of ``ids`` still crawled and not
        removed (the rows :meth:`recrawl_due` gives), in the order of ``ids``."""
        found: dict[int, tuple[int, str, datetime, int]] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            for r in self._rows("SELECT id, url, fetched_at, recrawl_count FROM articles WHERE status <> 'removed' "  # type: ignore[attr-defined]
                                f"AND feed_id IS NOT NULL AND id IN ({', '.join('?' for _ in chunk)})", chunk):
                found[int(r["id"])] = (int(r["id"]), str(r["url"]), codec.parse_dt(r["fetched_at"]),  # type: ignore[assignment]
                                       int(r["recrawl_count"]))
        return [found[i] for i in ids if i in found]

    def hold_recrawl(self, ids: Sequence[int], until: datetime) -> None:
        """Queued for a recrawl (scale mode): not due again before ``until`` (the steps done
        unchanged), so the scheduler does not queue them twice; if their job never runs they
        fall due again then."""
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            with self._write("recrawl hold"):  # type: ignore[attr-defined]
                self._execute(f"UPDATE articles SET recrawl_at = ? WHERE id IN ({', '.join('?' for _ in chunk)})",  # type: ignore[attr-defined]
                              [self._dt_in(until), *chunk])  # type: ignore[attr-defined]

    def set_recrawl(self, article_id: int, count: int, at: datetime | None) -> None:
        """Record that ``count`` recrawl steps are done and when the next is due (None: none)."""
        with self._write(f"recrawl schedule of article {article_id}"):  # type: ignore[attr-defined]
            self._execute("UPDATE articles SET recrawl_count = ?, recrawl_at = ? WHERE id = ?",  # type: ignore[attr-defined]
                          [count, self._dt_in(at), article_id])  # type: ignore[attr-defined]

    def recrawl_state(self, article_id: int) -> tuple[int, datetime | None]:
        """``(recrawl_count, recrawl_at)`` of an article."""
        row = self._one("SELECT recrawl_count, recrawl_at FROM articles WHERE id = ?", [article_id])  # type: ignore[attr-defined]
        if row is None:
            raise NotFoundError(f"article {article_id}: not found")
        return int(row["recrawl_count"]), codec.parse_dt(row["recrawl_at"])


def _counts(steps: int) -> str:
    """``?, ?, ?`` for the steps not all done (0 .. steps-1): an IN list, so each step's rows
    are one range of the index (count, recrawl_at), where ``< steps`` would scan them all. Step
    0 with a time is an article queued for its first recrawl in scale mode (:meth:`hold_recrawl`)."""
    return ", ".join("?" for _ in range(steps))
