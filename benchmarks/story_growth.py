"""Story-growth benchmark: what one more article costs the stories stage as a story grows.

A big running story (a war, an election night) takes in thousands of reports, and the stage
keeps that story's record and lineage marks up to date at each one. This streams ``--articles``
reports of one event (the same vector direction plus noise, texts that copy, rewrite or retell a
base report, five languages, thirty outlets) through ``StoryService.add`` with their vectors
given, so the embedder's cost is left out, into a fresh store, and reports milliseconds per
article by story size, and peak RSS.

    python benchmarks/story_growth.py                       # 2,000 articles, SQLite in a temp dir
    python benchmarks/story_growth.py --articles 5000 --store postgresql://postgres@127.0.0.1/test
    python benchmarks/story_growth.py --json out.json

With ``--store`` pointing at PostgreSQL the benchmark writes into that database: use a scratch one.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsloom.config import Settings  # noqa: E402
from newsloom.errors import NewsloomError  # noqa: E402
from newsloom.models import Article  # noqa: E402
from newsloom.store import open_store  # noqa: E402
from newsloom.stories.service import StoryService  # noqa: E402

BASE = ("The river burst its banks at Kellerton on Monday night after 140 millimetres of rain fell in 24 "
        "hours, flooding 300 homes, the regional fire service said. Mayor Ilse Brandt asked residents of "
        "the lower town to leave their homes before midnight. Rail traffic between Kellerton and Ostheim "
        "was stopped and the A7 motorway was closed in both directions. Forecasters expect more rain on "
        "Wednesday, and the water level at the Kellerton gauge was still rising early on Tuesday.")
LANGS = ("en", "de", "fr", "es", "it")
T0 = datetime(2026, 11, 17, 8, tzinfo=UTC)


def _text(rng: np.random.Generator, i: int) -> str:
    """A copy, a rewrite or a retelling of the base report, by turns (what a story holds)."""
    keep = (0.97, 0.6, 0.2)[i % 3]
    return " ".join(w if rng.random() < keep else f"w{rng.integers(5000)}" for w in BASE.split())


def run(articles: int, store_url: str | None) -> dict[str, object]:
    tmp = None
    if store_url is None:
        tmp = tempfile.TemporaryDirectory(prefix="newsloom-growth-")
        store_url = f"sqlite:///{tmp.name}/growth.db"
    rng = np.random.default_rng(0)
    base = rng.normal(size=512)
    base /= np.linalg.norm(base)
    bands: list[dict[str, object]] = []
    edges = [e for e in (100, 200, 400, 800, 1600, 3200, 6400, 12800) if e < articles] + [articles]
    with open_store(store_url) as store:
        service = StoryService(store, Settings.load(stories=True, story_bridges=False), replay=False)
        start, lo, spent, sid = 0, 0, 0.0, None
        for i in range(articles):
            lang = LANGS[i % len(LANGS)]
            a = store.add_article(Article(
                url=f"https://outlet{i % 30}.example/{lang}/{i}", title=f"Kellerton flood report {i}",
                text=_text(rng, i), lang=lang, source=f"outlet{i % 30}.example",
                published=T0 + timedelta(minutes=i)))
            v = base + 0.2 * rng.normal(size=512) / np.sqrt(512)
            t = time.perf_counter()
            sid = service.add(a, (v / np.linalg.norm(v)).astype(np.float32), service.model)
            spent += time.perf_counter() - t
            if i + 1 == edges[len(bands)]:
                n = i + 1 - start
                bands.append({"members": f"{lo + 1}-{i + 1}", "articles": n,
                              "ms_per_article": round(spent * 1000 / n, 2)})
                start, lo, spent = i + 1, i + 1, 0.0
        story = store.get_story(service.clusterer.resolve(sid)) if sid is not None else None
        stories = len(service.clusterer.live_story_ids())
    if tmp is not None:
        tmp.cleanup()
    return {
        "benchmark": "story_growth",
        "articles": articles,
        "stories": stories,
        "biggest_story_articles": story.article_count if story else 0,
        "bands": bands,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def format_table(result: dict[str, object]) -> str:
    rows = ["| story size (members) | articles | ms per article | articles/s |", "|---|---|---|---|"]
    for b in result["bands"]:  # type: ignore[attr-defined]
        ms = b["ms_per_article"]
        rows.append(f"| {b['members']} | {b['articles']} | {ms:.1f} | {1000 / ms:.0f} |")
    rows.append(f"\n{result['articles']} articles in {result['stories']} story(ies), the biggest "
                f"{result['biggest_story_articles']} articles; peak RSS {result['peak_rss_mb']:.0f} MB")
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--articles", type=int, default=2000, help="reports streamed into the story")
    ap.add_argument("--store", default=None, help="store URL (default: SQLite in a temporary directory)")
    ap.add_argument("--json", type=Path, default=REPO / "benchmarks" / "results" / "story_growth.json",
                    help="where to write the result")
    args = ap.parse_args(argv)
    if args.articles < 1:
        ap.error("--articles must be at least 1")
    try:
        result = run(args.articles, args.store)
    except NewsloomError as exc:
        print(f"story_growth: {exc}", file=sys.stderr)
        return 2
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(format_table(result))
    print(f"\nwritten: {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
