"""Scale mode: the shared near-duplicate table (``neardup_keys``) at the size the default window
gives it, and what its upkeep costs there.

    python benchmarks/neardup_scale.py [--articles 200000] [--probe 2000] [--backlog 20000]
                                       [--backends sqlite,postgres] [--json benchmarks/results/neardup_scale.json]

With ``near_duplicate_window`` at its default (200,000 articles) and 16 LSH band keys an article,
the table holds about 3.2 million rows. Per backend, in one run:

1. The dedupe stage (check, locks, look again, store, write keys) for ``probe`` synthetic articles
   (a third of them near copies) on an empty store, then the same on a store already holding
   ``articles`` articles and their keys: ms an article at both sizes.
2. Pruning (``Store.prune_neardup_keys``, what `newsloom run` after each pass and the serial
   worker every 30 s call): the window is lowered so that ``backlog`` articles' keys are due, and
   calls are timed until none is left (each call: at most 20 transactions of 500 articles' keys);
   then 20 calls with nothing due, the steady cost of asking.
3. The table's size on disk.

The filler articles are bulk-inserted by SQL (their keys random 64-bit numbers, so they are never
candidates of the probe's texts; the lookups still walk the full-size index). Needs the PostgreSQL
at $NEWSLOOM_TEST_PG for the postgres backend.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psycopg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from neardup_shared import PG, _drop, _schema_url, near, words  # noqa: E402 - the benchmarks folder is no package

REPO = Path(__file__).resolve().parents[1]
KEYS_PER_ARTICLE = 16  # NearDupIndex.bands at the default threshold (0.8) and 128 permutations


def _fill_postgres(schema: str, n: int) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("SET search_path TO {}").format(psycopg.sql.Identifier(schema)))
        conn.execute("INSERT INTO articles (url, title, text, lang, content_hash, fetched_at) "
                     "SELECT 'https://bulk.example/' || g, 'Filler ' || g, 'filler', 'en', md5(g::text), now() "
                     "FROM generate_series(1, %s) AS g", [n])
        conn.execute("INSERT INTO neardup_keys (key, article_id) "
                     "SELECT (random() * 9.2e18 - 4.6e18)::bigint, a.id FROM articles a, generate_series(1, %s) "
                     "ON CONFLICT DO NOTHING", [KEYS_PER_ARTICLE])
        conn.execute("ANALYZE")


def _fill_sqlite(path: str, n: int) -> None:
    conn = sqlite3.connect(path)
    try:
        with conn:
            conn.execute("WITH RECURSIVE g(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM g WHERE i < ?) "
                         "INSERT INTO articles (url, title, text, lang, content_hash, fetched_at) "
                         "SELECT 'https://bulk.example/' || i, 'Filler ' || i, 'filler', 'en', 'h' || i, "
                         "'2026-01-01T00:00:00+00:00' FROM g", [n])
            conn.execute("WITH RECURSIVE k(j) AS (SELECT 1 UNION ALL SELECT j + 1 FROM k WHERE j < ?) "
                         "INSERT OR IGNORE INTO neardup_keys (key, article_id) "
                         "SELECT random(), a.id FROM articles a, k", [KEYS_PER_ARTICLE])
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _dedupe_ms(url: str, n: int, offset: int) -> float:
    """ms an article of the dedupe stage in shared mode for ``n`` synthetic articles."""
    from newsloom.config import Settings
    from newsloom.dedupe import Deduper
    from newsloom.models import Article
    from newsloom.store import open_store

    with open_store(url) as store:
        dd = Deduper(store, Settings(db=url, near_duplicate_index="store"))
        arts = []
        for i in range(n):
            ws = near(words(offset + i // 3)) if i % 3 == 2 else words(offset + i)
            a = Article(url=f"https://probe.example/{offset + i}", title=f"T {i}", text=" ".join(ws), lang="en")
            dd.prepare(a)
            arts.append(a)
        t0 = time.perf_counter()
        for a in arts:
            verdict = dd.check(a, copies=False)
            with store.transaction():
                verdict = dd.confirm(a, verdict)
                a.duplicate_of = verdict.of if verdict.kind in ("exact", "near") else None
                dd.add(store.add_article(a))
        return 1000 * (time.perf_counter() - t0) / n


def _prune(url: str, backlog: int) -> dict[str, Any]:
    from newsloom.store import open_store

    with open_store(url) as store:
        newest = store._rows("SELECT max(id) AS n FROM articles")[0]["n"]
        rows_before = store.count_neardup_keys()
        window = int(newest) - backlog  # the oldest ``backlog`` articles' keys are due
        calls: list[tuple[float, int]] = []
        while True:
            t0 = time.perf_counter()
            deleted = store.prune_neardup_keys(window)
            calls.append((1000 * (time.perf_counter() - t0), deleted))
            if not deleted:
                break
        idle = []
        for _ in range(20):
            t0 = time.perf_counter()
            store.prune_neardup_keys(window)
            idle.append(1000 * (time.perf_counter() - t0))
        working = [(ms, d) for ms, d in calls if d]
        deleted_total = sum(d for _, d in working)
        seconds = sum(ms for ms, _ in working) / 1000
        return {"rows_before": rows_before, "rows_after": store.count_neardup_keys(),
                "backlog_articles": backlog, "rows_deleted": deleted_total, "calls": len(working),
                "ms_per_call_median": round(statistics.median(ms for ms, _ in working), 1) if working else 0.0,
                "ms_per_call_max": round(max(ms for ms, _ in working), 1) if working else 0.0,
                "rows_per_s": round(deleted_total / seconds) if seconds else 0,
                "idle_ms_median": round(statistics.median(idle), 2), "idle_ms_max": round(max(idle), 2)}


def _size_mb(backend: str, url: str, schema: str | None) -> float:
    if backend == "postgres":
        with psycopg.connect(PG) as conn:
            row = conn.execute("SELECT pg_total_relation_size(%s)", [f"{schema}.neardup_keys"]).fetchone()
        return round(row[0] / 1e6, 1)
    path = url.removeprefix("sqlite:///")
    conn = sqlite3.connect(path)
    try:  # dbstat is compiled into most builds; the whole file otherwise
        size = conn.execute("SELECT sum(pgsize) FROM dbstat WHERE name LIKE '%neardup%'").fetchone()[0]
    except sqlite3.Error:
        size = os.path.getsize(path)
    finally:
        conn.close()
    return round((size or 0) / 1e6, 1)


def run(backend: str, articles: int, probe: int, backlog: int) -> dict[str, Any]:
    from newsloom.store import open_store

    out: dict[str, Any] = {"backend": backend, "articles": articles}
    for size in ("empty", "full"):
        schema = folder = None
        if backend == "postgres":
            schema, url = _schema_url()
        else:
            folder = tempfile.mkdtemp()
            url = f"sqlite:///{folder}/scale.db"
        try:
            open_store(url).close()  # create and migrate
            if size == "full":
                t0 = time.perf_counter()
                (_fill_postgres(schema, articles) if schema else _fill_sqlite(url.removeprefix("sqlite:///"), articles))
                out["fill_s"] = round(time.perf_counter() - t0, 1)
            out[f"dedupe_ms_{size}"] = round(_dedupe_ms(url, probe, offset=10_000_000), 3)
            if size == "full":
                out["table_mb"] = _size_mb(backend, url, schema)
                out["prune"] = _prune(url, backlog)
        finally:
            if schema:
                _drop(schema)
            if folder:
                shutil.rmtree(folder, ignore_errors=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=200_000)
    ap.add_argument("--probe", type=int, default=2000)
    ap.add_argument("--backlog", type=int, default=20_000)
    ap.add_argument("--backends", default="sqlite,postgres")
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "neardup_scale.json"))
    args = ap.parse_args()
    results = [run(b, args.articles, args.probe, args.backlog) for b in args.backends.split(",")]
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps({"cores": os.cpu_count(), "load": os.getloadavg(),
                                           "results": results}, indent=2) + "\n")
    print(f"{'backend':<9} {'articles':>8} {'rows':>9} {'MB':>6} {'dedupe ms empty/full':>21} "
          f"{'prune calls':>11} {'ms/call p50/max':>16} {'rows/s':>8} {'idle ms':>8}")
    for r in results:
        p = r["prune"]
        print(f"{r['backend']:<9} {r['articles']:>8} {p['rows_before']:>9} {r['table_mb']:>6} "
              f"{r['dedupe_ms_empty']:>10} / {r['dedupe_ms_full']:<8} {p['calls']:>11} "
              f"{p['ms_per_call_median']:>7} / {p['ms_per_call_max']:<6} {p['rows_per_s']:>8} {p['idle_ms_median']:>8}")


if __name__ == "__main__":
    main()
