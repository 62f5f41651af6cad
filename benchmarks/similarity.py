"""Story-similarity benchmark (SemEval-2022 Task 8 layout): Pearson r and ROC-AUC per language pair.

    python benchmarks/similarity.py                       # ../shared/corpora/semeval2022-t8/dev.csv
    python benchmarks/similarity.py --pairs my.csv --mode quality --json out.json
    python benchmarks/similarity.py --refit     # refit the weights: held-out and in-sample r / AUC
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from newsloom.bench.similarity import MODES, format_table, refit, run
from newsloom.errors import NewsloomError


def main(argv: list[str] | None = None) -> int:
    shared = Path(os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=Path, default=shared / "corpora" / "semeval2022-t8" / "dev.csv")
    ap.add_argument("--limit", type=int, default=None, help="score only the first N pairs")
    ap.add_argument("--mode", choices=MODES, default="fast",
                    help="fast = the default clustering path; quality adds an e5 whole-text vector (~10x slower)")
    ap.add_argument("--json", type=Path, default=None, help="write the full result (with per-pair scores) here")
    ap.add_argument("--refit", action="store_true",
                    help="refit the main model's weights on the pairs; report held-out (random halves) and in-sample scores")
    args = ap.parse_args(argv)
    if args.refit:
        try:
            fit = refit(args.pairs, mode=args.mode, limit=args.limit)
        except NewsloomError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        print(json.dumps(fit, indent=2))
        return 0
    try:
        result = run(args.pairs, limit=args.limit, mode=args.mode)
    except NewsloomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(format_table(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
