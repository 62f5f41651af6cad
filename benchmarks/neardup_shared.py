"""Scale mode: the near-duplicate index shared through the store (``near_duplicate_index = "store"``,
the PostgreSQL default) against one in-memory index per process ("memory").

    python benchmarks/neardup_shared.py [--pairs 300] [--articles 2000] [--json benchmarks/results/neardup_shared.json]

1. Two ``newsloom worker`` processes on PostgreSQL take ``process-page`` jobs of ``pairs``
   originals, each followed in the queue by a near copy (one word of ~200 changed, Jaccard ~0.97),
   so the two pages of a pair often go to different workers at the same moment. Counted: pairs
   stored as two originals (a near duplicate missed) and pages/s (first to last finished job).
2. The dedupe stage alone, in one process: check + (shared: lock, look again, write keys) + add
   for ``articles`` synthetic articles (a third of them near copies), per backend and mode, in
   ms per article.

Synthetic English text (seeded); needs the PostgreSQL at $NEWSLOOM_TEST_PG.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
PG = os.environ.get("NEWSLOOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
WORDS = ("river council harbour minister railway budget storm village school hospital bridge court farmers "
         "election museum factory police festival airport forest mayor union teachers drought satellite "
         "market energy workers coast library tunnel vaccine parliament strike flood border").split()


def words(i: int, n: int = 200) -> list[str]:
    rnd = random.Random(i)
    return [rnd.choice(WORDS) + str(rnd.randrange(60)) for _ in range(n)]


def near(ws: list[str]) -> list[str]:
    return [*ws[:-1], "changed"]


def page(ws: list[str], title: str) -> str:
    paras = [" ".join(ws[i : i + 50]) + "." for i in range(0, len(ws), 50)]
    return (f"<html><head><title>{title}</title></head><body><article><h1>{title}</h1>"
            + "".join(f"<p>{p}</p>" for p in paras) + "</article></body></html>")


def _schema_url() -> tuple[str, str]:
    schema = f"newsloom_bench_{uuid.uuid4().hex[:10]}"
    return schema, f"{PG}{'&' if '?' in PG else '?'}schema={schema}"


def _drop(schema: str) -> None:
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(schema)))


def workers_run(mode: str, pairs: int) -> dict[str, object]:
    from newsloom.jobs.queue import PROCESS_PAGE, enqueue
    from newsloom.store import open_store

    schema, url = _schema_url()
    try:
        with open_store(url) as store:
            for i in range(pairs):
                ws = words(i)
                enqueue(store, PROCESS_PAGE, {"url": f"https://a.example/{i}", "html": page(ws, f"Report {i}")})
                enqueue(store, PROCESS_PAGE, {"url": f"https://b.example/{i}", "html": page(near(ws), f"Report {i}")})
        env = {**os.environ, "NEWSLOOM_STORIES": "false", "NEWSLOOM_WORKERS": "1",
               "NEWSLOOM_NEAR_DUPLICATE_INDEX": mode}
        procs = [subprocess.Popen([sys.executable, "-m", "newsloom", "worker", "--db", url, "--no-schedule",
                                   "--exit-when-idle", "--batch", "1"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE) for _ in range(2)]
        first = last = None
        first_done = 0
        with open_store(url) as store:
            while True:
                done = store.job_counts().get((PROCESS_PAGE, "done"), 0)
                now = time.perf_counter()
                if done and first is None:
                    first, first_done = now, done
                if done >= 2 * pairs:
                    last = now
                    break
                if all(p.poll() is not None for p in procs):
                    raise SystemExit(f"workers exited with {done}/{2 * pairs} done: "
                                     + procs[0].stderr.read().decode()[-500:])  # type: ignore[union-attr]
                time.sleep(0.2)
            for p in procs:
                p.wait(60)
            arts = {a.url: a for a in store.iter_articles()}
        missed = sum(1 for i in range(pairs) if arts[f"https://a.example/{i}"].duplicate_of is None
                     and arts[f"https://b.example/{i}"].duplicate_of is None)
        seconds = (last or 0) - (first or 0)
        return {"mode": mode, "pairs": pairs, "missed_pairs": missed,
                "pages_per_s": round((2 * pairs - first_done) / seconds, 1) if seconds else 0.0}
    finally:
        _drop(schema)


def stage_run(backend: str, mode: str, n: int) -> dict[str, object]:
    from newsloom.config import Settings
    from newsloom.dedupe import Deduper
    from newsloom.models import Article
    from newsloom.store import open_store

    schema = None
    if backend == "postgres":
        schema, url = _schema_url()
    else:
        url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    try:
        with open_store(url) as store:
            dd = Deduper(store, Settings(db=url, near_duplicate_index=mode))
            arts = []
            for i in range(n):
                ws = near(words(i // 3)) if i % 3 == 2 else words(i)
                a = Article(url=f"https://x.example/{i}", title=f"T {i}", text=" ".join(ws), lang="en")
                dd.prepare(a)
                arts.append(a)
            found = 0
            t0 = time.perf_counter()
            for a in arts:
                verdict = dd.check(a, copies=not dd.shared)
                with store.transaction():
                    verdict = dd.confirm(a, verdict)
                    a.duplicate_of = verdict.of if verdict.kind in ("exact", "near") else None
                    stored = store.add_article(a)
                    if dd.shared:
                        dd.add(stored)
                if not dd.shared:
                    dd.add(stored)
                found += verdict.kind == "near"
            seconds = time.perf_counter() - t0
        return {"backend": backend, "mode": mode, "articles": n, "near_found": found,
                "ms_per_article": round(1000 * seconds / n, 3)}
    finally:
        if schema:
            _drop(schema)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=300)
    ap.add_argument("--articles", type=int, default=2000)
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "neardup_shared.json"))
    args = ap.parse_args()
    workers = [workers_run("memory", args.pairs), workers_run("store", args.pairs)]
    stage = [stage_run(b, m, args.articles) for b in ("sqlite", "postgres") for m in ("memory", "store")]
    result = {"cores": os.cpu_count(), "load": os.getloadavg(), "two_workers": workers, "dedupe_stage": stage}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'two workers':<12} {'pairs':>6} {'missed':>7} {'pages/s':>8}")
    for r in workers:
        print(f"{r['mode']:<12} {r['pairs']:>6} {r['missed_pairs']:>7} {r['pages_per_s']:>8}")
    print(f"\n{'backend':<9} {'mode':<7} {'articles':>8} {'near':>5} {'ms/article':>10}")
    for r in stage:
        print(f"{r['backend']:<9} {r['mode']:<7} {r['articles']:>8} {r['near_found']:>5} {r['ms_per_article']:>10}")


if __name__ == "__main__":
    main()
