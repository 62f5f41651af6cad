"""Extraction benchmark: newsloom's extract()+cleanup against plain trafilatura, same pages, one run.

python benchmarks/extraction.py [--corpus DIR ...] [--json out.json] [--per-page] [--no-baseline]

Each corpus is in the AEB layout (ground-truth.json) or the snippet layout of trafilatura's
evaluation (gold.json); the default is both from ../shared/corpora (or $NEWSLOOM_SHARED).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from newsloom.bench.extraction import format_table, run_all
from newsloom.errors import NewsloomError


def _default_corpora() -> list[Path]:
    shared = os.environ.get("NEWSLOOM_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[1].parent / "shared"
    return [root / "corpora" / "aeb", root / "corpora" / "trafilatura-eval"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, action="append", help="corpus folder (repeatable)")
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--per-page", action="store_true", help="include per-page scores in the JSON")
    ap.add_argument("--limit", type=int, help="score only the first N pages of each corpus")
    ap.add_argument("--no-baseline", action="store_true", help="skip plain trafilatura")
    args = ap.parse_args(argv)
    try:
        results = run_all(args.corpus or _default_corpora(), args.limit, baseline=not args.no_baseline)
    except NewsloomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        rows = results if args.per_page else [{k: v for k, v in r.items() if k != "per_page"} for r in results]
        args.json.write_text(json.dumps(rows, indent=2))
    print(format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
