"""Story-clustering benchmark: BCubed and pairwise P/R/F1 (overall, per language, cross-language)
plus per-stage timings, streamed through embedding + clustering.

    python benchmarks/stories.py                                   # MEANTIME, then MEANTIME + Primer
    python benchmarks/stories.py --corpus a.jsonl b.jsonl --json out.json
    python benchmarks/stories.py --no-cache --threads 2 --synthetic 100000   # speed run
    python benchmarks/stories.py --pipeline --force-e5 nl     # real pipeline, nl routed to e5-small

``--pipeline`` streams through the real pipeline (``newsloom bench stories``: dedupe, store,
embedding routed by language, bridges between vector spaces, lineage) instead of embedding +
clustering alone; ``--force-e5 LANGS`` (with ``--pipeline``) routes those languages to e5-small
as if USE-m3 lacked them, to measure how articles meet across the two spaces.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsloom.bench.stories import format_table, run, synthetic_timing
from newsloom.errors import NewsloomError


def main(argv: list[str] | None = None) -> int:
    shared = Path(os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")
    meantime = shared / "corpora" / "wikinews-meantime" / "docs.jsonl"
    primer = shared / "corpora" / "wikinews-primer" / "docs.jsonl"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, nargs="+", default=None,
                    help="JSONL file(s) streamed as one (default: MEANTIME, then MEANTIME + Primer)")
    ap.add_argument("--json", type=Path, default=None, help="write the result(s) here")
    ap.add_argument("--threads", type=int, default=1, help="BLAS threads for the embedder")
    ap.add_argument("--limit", type=int, default=None, help="only the first N documents of the stream")
    ap.add_argument("--no-cache", action="store_true",
                    help="embed everything (default: reuse vectors in benchmarks/results/cache/)")
    ap.add_argument("--synthetic", type=int, default=0, metavar="N",
                    help="also time the clustering step at N live stories (e.g. 100000)")
    ap.add_argument("--pipeline", action="store_true",
                    help="stream through the real pipeline (newsloom bench stories) instead")
    ap.add_argument("--force-e5", default="", metavar="LANGS",
                    help="with --pipeline: comma-separated languages routed to e5-small as if USE-m3 "
                         "lacked them (e.g. nl or nl,it), to measure joins across vector spaces")
    args = ap.parse_args(argv)
    if args.force_e5 and not args.pipeline:
        ap.error("--force-e5 needs --pipeline")
    cache = None if args.no_cache else REPO / "benchmarks" / "results" / "cache"
    runs = [args.corpus] if args.corpus else [[meantime], [meantime, primer]]
    results = []
    try:
        for corpus in runs:
            if args.pipeline:
                from newsloom.bench import stories_pipeline

                force = [x for x in args.force_e5.split(",") if x.strip()]
                r = stories_pipeline.run(list(corpus), limit=args.limit, force_fallback=force)
                print(stories_pipeline.format_table(r), end="\n\n", flush=True)
            else:
                r = run(corpus, threads=args.threads, cache_dir=cache, limit=args.limit)
                print(format_table(r), end="\n\n", flush=True)
            results.append(r)
        if args.synthetic:
            s = synthetic_timing(args.synthetic)
            results.append({"synthetic": s})
            print(f"clustering at {s['live_stories']} live stories: {s['ms_per_article_mean']:.3f} ms/article "
                  f"(CPU {s['cpu_ms_per_article_mean']:.3f}) "
                  f"(p50 {s['ms_per_article_p50']:.3f}, p95 {s['ms_per_article_p95']:.3f}); "
                  f"preload {s['preload_ms_per_article']:.3f} ms/article; peak RSS {s['peak_rss_mb']:.0f} MB")
    except NewsloomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
