"""Ingest throughput benchmark (extract + clean + language + dedupe + store).

    .venv/bin/python benchmarks/pipeline.py --corpus ../shared/corpora/aeb [--json OUT]

Writes JSON (default benchmarks/results/pipeline.json) and prints a table. Same as
``newsloom bench pipeline``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from newsloom.bench.pipeline import format_table, run
from newsloom.errors import NewsloomError


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--corpus", type=Path, default=Path(__file__).resolve().parents[1].parent / "shared/corpora/aeb")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--workers", type=int, default=0)
    ap.add_argument("--json", type=Path, default=Path(__file__).resolve().parent / "results/pipeline.json")
    args = ap.parse_args()
    try:
        result = run(args.corpus, repeat=args.repeat, workers=args.workers)
    except NewsloomError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(format_table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
