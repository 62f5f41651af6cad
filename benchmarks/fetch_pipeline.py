"""End to end through the real fetcher: pages served on loopback, one `newsloom fetch` pass, every
page extracted, analysed, deduplicated, stored, embedded and clustered into stories. The engine is
newsloom/bench/fetch_pipeline.py (also `newsloom bench pipeline --fetch`); this writes its JSON
and prints its table.

    python benchmarks/fetch_pipeline.py [--shared ../shared] [--articles 600] [--feeds 12] [--workers 0]
                                         [--synthetic [--seed 0]] [--db URL] [--no-stories]
                                         [--json benchmarks/results/fetch_pipeline.json]

The Wikinews corpora under --shared are served when present, else seeded synthetic pages.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--shared")
    ap.add_argument("--articles", type=int, default=600)
    ap.add_argument("--feeds", type=int, default=12)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--synthetic", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--db")
    ap.add_argument("--no-stories", action="store_true")
    ap.add_argument("--json", default=str(REPO / "benchmarks/results/fetch_pipeline.json"))
    args = ap.parse_args()
    from newsloom.bench import fetch_pipeline
    from newsloom.errors import NewsloomError

    shared = Path(args.shared or os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")
    try:
        result = fetch_pipeline.run(shared, articles=args.articles, feeds=args.feeds, db=args.db,
                                    stories=not args.no_stories, workers=args.workers,
                                    synthetic=args.synthetic, seed=args.seed)
    except NewsloomError as exc:
        sys.exit(f"benchmarks/fetch_pipeline.py: {exc}")
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(fetch_pipeline.format_table(result))


if __name__ == "__main__":
    main()
