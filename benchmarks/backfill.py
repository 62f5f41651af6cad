"""Back-fill of a WARC: in one process (`newsloom ingest`, SQLite) against the queue (`newsloom
ingest --queue --workers N`, PostgreSQL), and what a re-run of each costs.

    python benchmarks/backfill.py [--copies 3] [--json benchmarks/results/backfill.json]

The archive is written to a temporary folder from the AEB pages in ../shared/corpora/aeb/html
(or $NEWSLOOM_SHARED), each page ``--copies`` times under distinct URLs (the copies are exact
duplicates: extracted, found by hash, stored as duplicates). Stories are off (the one serialised
story consumer is the same whichever way the pages arrive), so this measures extraction, language,
fingerprints, dedupe and store. Wall time of the whole command, start-up included.
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import psycopg

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("NEWSLOOM_SHARED", REPO.parent / "shared"))
PG = os.environ.get("NEWSLOOM_TEST_PG", "postgresql://postgres@127.0.0.1:5432/test")
ENV = {**os.environ, "NEWSLOOM_STORIES": "false"}


def build_warc(folder: Path, copies: int) -> tuple[Path, int]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    pages = sorted((SHARED / "corpora" / "aeb" / "html").glob("*.html.gz"))
    if not pages:
        raise SystemExit(f"no AEB pages under {SHARED}/corpora/aeb/html")
    path = folder / "aeb.warc.gz"
    n = 0
    with path.open("wb") as fh:
        w = WARCWriter(fh, gzip=True)
        for c in range(copies):
            for p in pages:
                http = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
                body = gzip.decompress(p.read_bytes())
                w.write_record(w.create_warc_record(f"https://aeb{c}.example/{p.name[:16]}", "response",
                                                    payload=io.BytesIO(body), http_headers=http))
                n += 1
    return path, n


def timed(*args: str) -> tuple[float, str]:
    t0 = time.perf_counter()
    r = subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True, env=ENV,
                       timeout=3600)
    if r.returncode != 0:
        raise SystemExit(f"newsloom {' '.join(args[:2])} failed: {r.stderr[-500:]}")
    return time.perf_counter() - t0, r.stdout.strip().splitlines()[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=3)
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "backfill.json"))
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        warc, n = build_warc(Path(tmp), args.copies)
        db = f"sqlite:///{tmp}/inproc.db"
        for label in ("in process (SQLite), first run", "in process (SQLite), re-run"):
            s, line = timed("ingest", str(warc), "--db", db)
            rows.append({"how": label, "records": n, "seconds": round(s, 1), "records_per_s": round(n / s, 1),
                         "summary": line})
        for workers in (1, 2):
            schema = f"newsloom_bench_{uuid.uuid4().hex[:10]}"
            url = f"{PG}{'&' if '?' in PG else '?'}schema={schema}"
            try:
                for label in (f"--queue --workers {workers} (PostgreSQL), first run",
                              f"--queue --workers {workers} (PostgreSQL), re-run"):
                    s, line = timed("ingest", "--queue", "--workers", str(workers), str(warc), "--db", url)
                    rows.append({"how": label, "records": n, "seconds": round(s, 1),
                                 "records_per_s": round(n / s, 1), "summary": line})
            finally:
                with psycopg.connect(PG, autocommit=True) as conn:
                    conn.execute(psycopg.sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(psycopg.sql.Identifier(schema)))
    result = {"cores": os.cpu_count(), "load": os.getloadavg(), "runs": rows}
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2) + "\n")
    print(f"{'how':<48} {'records':>7} {'seconds':>8} {'records/s':>9}")
    for r in rows:
        print(f"{r['how']:<48} {r['records']:>7} {r['seconds']:>8} {r['records_per_s']:>9}")


if __name__ == "__main__":
    main()
