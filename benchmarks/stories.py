"""Story-clustering benchmark: BCubed and pairwise P/R/F1 (overall, per language, cross-language)
plus per-stage timings, streamed through embedding + clustering.

    python benchmarks/stories.py                                   # MEANTIME, then MEANTIME + Primer
    python benchmarks/stories.py --corpus a.jsonl b.jsonl --json out.json
    python benchmarks/stories.py --no-cache --threads 2 --synthetic 100000   # speed run
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
    args = ap.parse_args(argv)
    cache = None if args.no_cache else REPO / "benchmarks" / "results" / "cache"
    runs = [args.corpus] if args.corpus else [[meantime], [meantime, primer]]
    results = []
    try:
        for corpus in runs:
            r = run(corpus, threads=args.threads, cache_dir=cache, limit=args.limit)
            results.append(r)
            print(format_table(r), end="\n\n", flush=True)
        if args.synthetic:
            s = synthetic_timing(args.synthetic)
            results.append({"synthetic": s})
            print(f"clustering at {s['live_stories']} live stories: {s['ms_per_article_mean']:.3f} ms/article "
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
