"""The reader's queries (web app, API, feeds), shared by SQLite and PostgreSQL: stories ranked by
breadth and growth with facet filters and keyset pages, related stories, API tokens, counts for
/metrics.

A story's rank is stored (``stories.score``) and its languages, countries, sources and names are
stored as rows (``story_tags``) when the story is saved, so the front page is one walk down the
``(score, id)`` index whatever the page: page 500 costs what page 1 does.
"""

from __future__ import annotations

import math
from collections import namedtuple
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newsloom.models import Article, Story, utcnow
from newsloom.store import _codec as codec

# Half-life of the rank, in seconds: doubling a story's breadth is worth 12 hours of recency.
# The score grows with time itself (not decayed at read time), so it can be stored and indexed
# and the order of two stories never changes while neither grows (the "hot" rank of Reddit).
RANK_SECONDS = 12 * 3600
# names of a story kept as tags (for related stories): its most frequent ones
_NAME_TAGS = 12
_IN_CHUNK = 500
_RELATED_PER_NAME = 200


def story_score(story: Story) -> float:
    """Breadth (distinct sources, and countries and languages counted twice: a second
    language says more than a fifth outlet) on a log scale, plus recency of the last update:
    a story that keeps growing keeps its place, one outlet's volume adds nothing."""
    breadth = len(set(story.sources)) + 2 * len(set(story.countries)) + 2 * len(set(story.languages))
    when = story.last_updated or story.first_seen
    t = when.timestamp() if when is not None else 0.0
    return round(math.log2(1 + breadth) + t / RANK_SECONDS, 6)


def story_tags(story: Story) -> list[tuple[str, str]]:
    tags = {("lang", str(x).lower()) for x in story.languages if x}
    tags |= {("country", str(x).upper()) for x in story.countries if x}
    tags |= {("source", str(x)) for x in story.sources if x}
    names = [str(e.get("text") or "").casefold().strip() for e in story.entities[:_NAME_TAGS]
             if e.get("type") in ("PER", "LOC", "ORG")]
    tags |= {("name", n) for n in names if n}
    return sorted(tags)


@dataclass
class StoryQuery:
    """What a ranked list of stories is narrowed to. ``after`` is the keyset cursor: the
    ``(score, id)`` of the last story of the previous page."""

    limit: int = 30
    after: tuple[float, int] | None = None
    lang: str | None = None
    country: str | None = None
    source: str | None = None
    since: datetime | None = None
    # blindspots: stories with none of these languages / countries ...
    exclude_langs: Sequence[str] = ()
    exclude_countries: Sequence[str] = ()
    # ... and at least this many languages / sources
    min_languages: int = 0
    min_sources: int = 0


class ReaderQueries:
    """Mixed into ``SQLStore``: uses its ``_rows``, ``_write``, ``_execute``, ``_build`` hooks."""

    _rows: Any
    _one: Any
    _write: Any
    _execute: Any
    _build: Any
    _dt_in: Any

    # --- indexing (called from save_story inside its transaction) ---------------------------
    def _index_story(self, story: Story) -> None:
        if story.id is None:
            return
        self._execute("UPDATE stories SET score = ? WHERE id = ?", [story_score(story), story.id])
        self._execute("DELETE FROM story_tags WHERE story_id = ?", [story.id])
        for kind, value in story_tags(story):
            self._execute("INSERT INTO story_tags (story_id, kind, value) VALUES (?, ?, ?) "
                          "ON CONFLICT DO NOTHING", [story.id, kind, value])

    def index_stories(self, batch: int = 500) -> int:
        """Rank and tag stories saved before the reader's migration (score still NULL); returns
        how many. Cheap when there are none (one indexed query)."""
        done = 0
        while True:
            rows = self._rows(f"SELECT {_story_cols()} FROM stories WHERE score IS NULL "
                              "ORDER BY id LIMIT ?", [batch])
            if not rows:
                return done
            with self._write("index stories"):
                for r in rows:
                    self._index_story(self._build(Story, r))
            done += len(rows)

    # --- ranked lists ---------------------------------------------------------------------------
    def rank_stories(self, q: StoryQuery) -> list[tuple[Story, float]]:
        """Stories (not merged away) best first by score, with their scores, narrowed by ``q``."""
        conds, params = ["s.merged_into IS NULL", "s.score IS NOT NULL"], []
        if q.after is not None:
            # a row value, not "score < ? OR (score = ? AND id < ?)": SQLite walks the index
            # from the cursor for it, and sorted the whole table for the OR (page 500: 9 ms -> 2)
            conds.append("(s.score, s.id) < (?, ?)")
            params += [q.after[0], q.after[1]]
        for kind, value in (("lang", q.lang and q.lang.lower()), ("country", q.country and q.country.upper()),
                            ("source", q.source)):
            if value:
                conds.append("EXISTS (SELECT 1 FROM story_tags t WHERE t.story_id = s.id AND "
                             "t.kind = ? AND t.value = ?)")
                params += [kind, value]
        for kind, values in (("lang", [v.lower() for v in q.exclude_langs]),
                             ("country", [v.upper() for v in q.exclude_countries])):
            if values:
                conds.append("NOT EXISTS (SELECT 1 FROM story_tags t WHERE t.story_id = s.id AND "
                             f"t.kind = ? AND t.value IN ({', '.join('?' * len(values))}))")
                params += [kind, *values]
        for kind, least in (("lang", q.min_languages), ("source", q.min_sources)):
            if least > 1:
                conds.append("(SELECT count(*) FROM story_tags t WHERE t.story_id = s.id AND "
                             "t.kind = ?) >= ?")
                params += [kind, least]
        if q.since is not None:
            conds.append("s.last_updated >= ?")
            params.append(self._dt_in(codec.to_utc(q.since, "since")))
        sql = (f"SELECT {_story_cols('s.')}, s.score AS score FROM stories s WHERE {' AND '.join(conds)} "
               "ORDER BY s.score DESC, s.id DESC LIMIT ?")
        rows = self._rows(sql, [*params, max(0, int(q.limit))])
        return [(self._build(Story, r), float(r["score"])) for r in rows]

    def get_stories(self, story_ids: Iterable[int]) -> dict[int, Story]:
        """The stored stories among ``story_ids`` by id (unknown ids are left out)."""
        ids = sorted({int(i) for i in story_ids})
        out: dict[int, Story] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start:start + _IN_CHUNK]
            sql = f"SELECT {_story_cols()} FROM stories WHERE id IN ({', '.join('?' * len(chunk))})"
            for r in self._rows(sql, chunk):
                s = self._build(Story, r)
                out[int(s.id)] = s  # type: ignore[arg-type]
        return out

    def story_cards(self, story_ids: Iterable[int]) -> dict[int, Story]:
        """Like :meth:`get_stories` with only what a story's card shows (headlines, languages,
        countries, sources, times, count, merge): no timeline, names, quotes or centroid to
        decode (20 search groups: ~2 ms -> ~0.4 ms)."""
        ids = sorted({int(i) for i in story_ids})
        out: dict[int, Story] = {}
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start:start + _IN_CHUNK]
            sql = f"SELECT {', '.join(_CARD)} FROM stories WHERE id IN ({', '.join('?' * len(chunk))})"
            for r in self._rows(sql, chunk):
                # by position: a sqlite3.Row looked up by name compares each column name in turn
                kw: dict[str, Any] = dict(zip(_CARD, r.values() if isinstance(r, dict) else r))
                for c in ("headlines", "languages", "countries", "sources"):
                    kw[c] = codec.decode_json_field(Story, c, kw[c])
                for c in ("first_seen", "last_updated"):
                    kw[c] = codec.parse_dt(kw[c])
                out[int(kw["id"])] = Story(**kw)
        return out

    def related_stories(self, story_id: int, limit: int = 6) -> list[Story]:
        """Other stories sharing the most names with this one (people, places, organisations),
        at least two. A common name ("United States") is on thousands of stories: each name
        contributes only its newest ``_RELATED_PER_NAME`` stories (a backward walk of the
        ``(kind, value, story_id)`` key; story ids grow with time), so the cost is bounded."""
        names = [r["value"] for r in self._rows(
            "SELECT value FROM story_tags WHERE story_id = ? AND kind = 'name'", [story_id])]
        if len(names) < 2:
            return []  # nothing can share two names with it
        # one statement: each name's newest stories, counted by the database (a Python loop over
        # up to 12 x 200 rows cost more than the queries)
        walks = " UNION ALL ".join(
            f"SELECT story_id FROM (SELECT story_id FROM story_tags WHERE kind = 'name' AND value = ? "
            f"ORDER BY story_id DESC LIMIT ?) w{i}" for i in range(len(names)))
        sql = (f"SELECT story_id, count(*) AS n FROM ({walks}) u WHERE story_id <> ? "
               "GROUP BY story_id HAVING count(*) >= 2")
        params: list[Any] = [p for name in names for p in (name, _RELATED_PER_NAME)] + [story_id]
        counts = {int(r["story_id"]): int(r["n"]) for r in self._rows(sql, params)}
        best = sorted(counts, key=lambda sid: (-counts[sid], -sid))
        found = self.story_cards(best[:limit * 2])
        return [found[i] for i in best[:limit * 2] if i in found and found[i].merged_into is None][:limit]

    # --- search results as listed ---------------------------------------------------------------
    def search_rows(self, query: str, limit: int = 100) -> list[LightRow]:
        """Full-text matches best first, with only what a result list shows (``text`` cut to
        its first 600 characters; no JSON fields: reading whole rows cost ~0.5 ms an article),
        as plain rows: a search reads 100 matches and shows about half, so an ``Article`` is
        built (:meth:`LightRow.article`) only for a hit that is shown."""
        tokens = codec.search_tokens(codec.strip_nul(query))
        if not tokens or limit <= 0:
            return []
        return [_row(r) for r in self._search(tokens, limit, _LIGHT_COLS)]  # type: ignore[attr-defined]

    def search_light(self, query: str, limit: int = 100) -> list[Article]:
        """:meth:`search_rows` as (partial) articles."""
        return [r.article() for r in self.search_rows(query, limit)]

    def light_rows(self, article_ids: Iterable[int]) -> list[LightRow]:
        """:meth:`search_rows`'s columns for these ids (unknown ids are skipped), in id order."""
        ids = sorted({int(i) for i in article_ids})
        out: list[LightRow] = []
        for start in range(0, len(ids), _IN_CHUNK):
            chunk = ids[start:start + _IN_CHUNK]
            sql = f"SELECT {_LIGHT_COLS} FROM articles a WHERE a.id IN ({', '.join('?' * len(chunk))}) ORDER BY a.id"
            out += [_row(r) for r in self._rows(sql, chunk)]
        return out

    def light_articles(self, article_ids: Iterable[int]) -> list[Article]:
        """:meth:`light_rows` as (partial) articles."""
        return [r.article() for r in self.light_rows(article_ids)]

    def story_page_articles(self, story_id: int, limit: int) -> tuple[list[Article], int]:
        """The story's articles that are not removed, the first ``limit`` in arrival order, and
        how many there are: with only what its page shows (``_PAGE``; no authors, images,
        logs, names, quotes, signature or raw text to read and decode). Partial articles, for
        showing only, never to be saved back."""
        sql = (f"SELECT {_PAGE_COLS} FROM articles a WHERE a.story_id = ? AND a.status <> 'removed' "
               "ORDER BY a.id LIMIT ?")
        arts = [codec.from_row(Article, r, _PAGE) for r in self._rows(sql, [story_id, max(0, limit)])]
        total = len(arts)
        if total >= limit:  # more than the page shows, perhaps: count them
            total = int(self._one("SELECT count(*) AS n FROM articles WHERE story_id = ? AND status <> 'removed'",
                                  [story_id])["n"])
        return arts, total

    def story_feed_articles(self, story_id: int, limit: int = 100) -> list[Article]:
        """The story's articles that are not removed, newest first (published, else fetched;
        then id), the first ``limit``: with only what a feed entry shows and its snippet is cut
        from (``_FEED``). Times of all are read, the rest of the newest ``limit`` only."""
        sql = "SELECT id, published, fetched_at FROM articles WHERE story_id = ? AND status <> 'removed'"
        newest = sorted(((codec.parse_dt(r["published"] or r["fetched_at"]), int(r["id"]))
                         for r in self._rows(sql, [story_id])), reverse=True)[:max(0, limit)]
        if not newest:
            return []
        ids = [i for _, i in newest]
        sql = f"SELECT {_FEED_COLS} FROM articles a WHERE a.id IN ({', '.join('?' * len(ids))})"
        found = {int(r["id"]): codec.from_row(Article, r, _FEED) for r in self._rows(sql, ids)}
        return [found[i] for i in ids if i in found]

    def story_facets(self, kind: str, limit: int = 200) -> list[tuple[str, int]]:
        """The most common values of a story tag kind ('lang', 'country', 'source') with their
        story counts: the filter menus."""
        sql = ("SELECT value, count(*) AS n FROM story_tags WHERE kind = ? GROUP BY value "
               "ORDER BY count(*) DESC, value LIMIT ?")
        return [(str(r["value"]), int(r["n"])) for r in self._rows(sql, [kind, limit])]

    # --- counts for /metrics and /healthz -------------------------------------------------------
    def count_stories(self) -> int:
        return int(self._one("SELECT count(*) AS n FROM stories WHERE merged_into IS NULL")["n"])

    def fetch_outcomes(self) -> dict[str, int]:
        """Fetches by outcome status since the store began: the log's entries, and those
        housekeeping deleted (keep_fetch_log_days), so the count never goes down."""
        out = self.pruned_fetch_outcomes()  # type: ignore[attr-defined]
        for r in self._rows("SELECT status, count(*) AS n FROM fetch_log GROUP BY status"):
            out[str(r["status"])] = out.get(str(r["status"]), 0) + int(r["n"])
        return out

    def oldest_due(self) -> datetime | None:
        """The earliest next_due among active feeds (how far behind the fetcher is)."""
        row = self._one("SELECT min(next_due) AS d FROM feeds WHERE active = ?", [True])
        return codec.parse_dt(row["d"]) if row else None

    # --- API tokens -------------------------------------------------------------------------------
    def add_api_token(self, name: str, token_hash: str) -> int:
        with self._write(f"API token {name!r}"):
            cur = self._execute(
                "INSERT INTO api_tokens (name, token_hash, created_at) VALUES (?, ?, ?) RETURNING id",
                [codec.strip_nul(name), token_hash, self._dt_in(utcnow())])
            return int(cur.fetchone()["id"])

    def find_api_token(self, token_hash: str) -> str | None:
        """The name of the token with this hash, or None."""
        row = self._one("SELECT name FROM api_tokens WHERE token_hash = ?", [token_hash])
        return None if row is None else str(row["name"])

    def list_api_tokens(self) -> list[tuple[int, str, datetime | None]]:
        rows = self._rows("SELECT id, name, created_at FROM api_tokens ORDER BY id")
        return [(int(r["id"]), str(r["name"]), codec.parse_dt(r["created_at"])) for r in rows]

    def delete_api_token(self, token_id: int) -> bool:
        with self._write(f"API token {token_id}"):
            return bool(self._execute("DELETE FROM api_tokens WHERE id = ?", [token_id]).rowcount)


_LIGHT = ["id", "url", "title", "source", "source_id", "country", "lang", "published", "fetched_at", "story_id",
          "lineage", "lineage_of", "duplicate_of", "is_copy", "primary_url", "description", "status", "canonical_url",
          "rights"]
# the publisher's signals (``rights``: nosnippet, max_snippet, data-nosnippet passages) are read
# with the row, so a hit's snippet obeys them as a story page's does (rights/policy.py
# snippet_for). The text's opening is enough for a snippet, except under data-nosnippet: a
# passage cut in two by the opening would not be found and taken out, so those few rows (their
# rights name "nosnippet_text") read their whole text.
_LIGHT_COLS = (", ".join(f"a.{c}" for c in _LIGHT)
               + ", CASE WHEN replace(a.rights, 'nosnippet_text', '') <> a.rights THEN a.text "
                 "ELSE substr(a.text, 1, 600) END AS text")  # (no LIKE '%...%': psycopg reads % as a placeholder)


class LightRow(namedtuple("LightRow", [*_LIGHT, "text"])):
    """One search match as read (``_LIGHT`` and the text's opening), values as the database
    gives them (times and rights as stored): enough to filter and group matches without building an
    ``Article`` for each."""

    __slots__ = ()

    def when(self) -> datetime | None:
        """``published``, else ``fetched_at``, as a UTC datetime."""
        return codec.parse_dt(self.published or self.fetched_at)

    def article(self) -> Article:
        """A partial ``Article`` (only these fields; for showing, never for saving back)."""
        d = dict(zip(self._fields, self))
        d["published"] = codec.parse_dt(d["published"])
        d["is_copy"] = bool(d["is_copy"])
        d["text"] = d["text"] or ""
        rights = d["rights"]
        d["rights"] = {} if not rights or rights == "{}" else codec.decode_json_field(Article, "rights", rights)
        fetched = codec.parse_dt(d["fetched_at"])
        if fetched is None:
            del d["fetched_at"]
        else:
            d["fetched_at"] = fetched
        return Article(**d)


def _row(r: Any) -> LightRow:
    # by position: a sqlite3.Row looked up by name compares each column name in turn
    return LightRow._make(r.values() if isinstance(r, dict) else r)


# what a story's page shows of an article (app/stories.py show_story, templates/_article.html)
# and what its snippet is cut from (rights/policy.py snippet_for: description, text, rights)
_PAGE = ("url", "title", "text", "canonical_url", "source_id", "source", "lang", "published", "updated",
         "site_name", "description", "is_copy", "primary_url", "duplicate_of", "rights", "story_id", "lineage",
         "lineage_of", "country", "status", "fetched_at")
_PAGE_COLS = ", ".join(f"a.{c}" for c in ("id", *_PAGE))

# what a story's feed shows of an article (web/feeds.py _article_entry) and its snippet's sources
_FEED = ("url", "title", "text", "source_id", "source", "published", "updated", "description", "primary_url",
         "rights", "country", "status", "fetched_at")
_FEED_COLS = ", ".join(f"a.{c}" for c in ("id", *_FEED))

_CARD = ["id", "headlines", "languages", "countries", "sources", "first_seen", "last_updated", "article_count",
         "merged_into"]


def _story_cols(prefix: str = "") -> str:
    return ", ".join(f"{prefix}{c}" for c in ["id", *codec.columns(Story)])
