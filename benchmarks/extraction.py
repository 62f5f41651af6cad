"""Extraction benchmark (AEB layout): newsloom's extract()+cleanup, optionally vs plain trafilatura.

python benchmarks/extraction.py --corpus ../shared/corpora/aeb --json out.json [--baseline]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from newsloom.bench.extraction import format_table, run, trafilatura_baseline
from newsloom.errors import NewsloomError


def _default_corpus() -> Path:
    shared = os.environ.get("NEWSLOOM_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[1].parent / "shared"
    return root / "corpora" / "aeb"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=_default_corpus(), help="AEB-layout folder")
    ap.add_argument("--json", type=Path, help="write the full result (with per-page scores) here")
    ap.add_argument("--limit", type=int, help="score only the first N pages")
    ap.add_argument("--baseline", action="store_true", help="also score plain trafilatura.extract")
    args = ap.parse_args(argv)
    results = []
    try:
        if args.baseline:
            base = run(args.corpus, args.limit, extractor=trafilatura_baseline)
            base["name"] = "trafilatura 2.3.1 (defaults)"
            results.append(base)
        ours = run(args.corpus, args.limit)
        ours["name"] = "newsloom extract+cleanup"
        results.append(ours)
    except NewsloomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if args.json:
        args.json.write_text(json.dumps(results if len(results) > 1 else ours, indent=2))
    print(format_table(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
