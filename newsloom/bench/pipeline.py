"""Ingest throughput: extract + clean + language + dedupe (+ store) on local HTML.

Two measurements:
- per-stage milliseconds, serial on one core, so each stage's cost is visible;
- end to end through ``Pipeline.ingest`` with worker processes (default one per core) into a
  fresh SQLite store: articles/s and peak RSS (this process and its workers).
"""

from __future__ import annotations

import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from newsloom.config import Settings
from newsloom.errors import BenchError


def _pages(corpus: Path) -> list[Path]:
    root = corpus / "html" if (corpus / "html").is_dir() else corpus
    files = sorted(p for p in root.rglob("*") if p.name.endswith((".html", ".htm", ".html.gz", ".htm.gz")))
    if not files:
        raise BenchError(f"{corpus}: no .html/.htm(.gz) pages found")
    return files


def _stage_times(files: list[Path], settings: Settings) -> dict[str, Any]:
    from newsloom.analyse.language import detect_article
    from newsloom.dedupe import Deduper
    from newsloom.errors import NewsloomError
    from newsloom.extract.html import extract
    from newsloom.ingest import iter_file
    from newsloom.store import open_store

    times: dict[str, list[float]] = {"read": [], "extract+clean": [], "language": [], "dedupe": [], "store": []}
    rejected = 0
    # load the models before timing (the first call of each loads it)
    detect_article("warm up", "The language model is loaded by this first call, not timed.")
    with tempfile.TemporaryDirectory() as tmp, open_store(f"sqlite:///{tmp}/stages.db") as store:
        dd = Deduper(store, settings)
        for f in files[:1]:
            for item in iter_file(f):
                if not isinstance(item, NewsloomError):
                    try:
                        extract(item.raw, settings)
                    except NewsloomError:
                        pass
        for f in files:
            t0 = time.perf_counter()
            items = [i for i in iter_file(f) if not isinstance(i, NewsloomError)]
            t1 = time.perf_counter()
            times["read"].append((t1 - t0) * 1000)
            for item in items:
                try:
                    t1 = time.perf_counter()
                    art = extract(item.raw, settings)
                    t2 = time.perf_counter()
                    res = detect_article(art.title or "", art.text)
                    art.lang = res.lang
                    t3 = time.perf_counter()
                    verdict = dd.check(art)
                    if verdict.kind in ("exact", "near"):
                        art.duplicate_of = verdict.of
                    t4 = time.perf_counter()
                    if verdict.kind not in ("same_url", "revision"):
                        dd.add(store.add_article(art))
                    t5 = time.perf_counter()
                except NewsloomError:
                    rejected += 1
                    continue
                times["extract+clean"].append((t2 - t1) * 1000)
                times["language"].append((t3 - t2) * 1000)
                times["dedupe"].append((t4 - t3) * 1000)
                times["store"].append((t5 - t4) * 1000)
    stages = {k: {"mean_ms": statistics.fmean(v), "median_ms": statistics.median(v)} for k, v in times.items() if v}
    total = sum(s["mean_ms"] for s in stages.values())
    return {"stages": stages, "serial_ms_per_article": total, "serial_articles_per_s": 1000 / total,
            "rejected": rejected}


class _RSSSampler:
    """Peak summed RSS of this process's descendants (the workers are forked by a fork server,
    so ``RUSAGE_CHILDREN`` never sees them), sampled every 0.2 s in a thread."""

    def __init__(self) -> None:
        self.peak_children_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    def _loop(self) -> None:
        import psutil

        me = psutil.Process()
        while not self._stop.wait(0.2):
            total = 0
            for child in me.children(recursive=True):
                try:
                    total += child.memory_info().rss
                except psutil.Error:
                    pass
            self.peak_children_mb = max(self.peak_children_mb, total / 2**20)

    def __enter__(self) -> "_RSSSampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def run(corpus: Path, repeat: int = 3, workers: int = 0, stage_sample: int = 60) -> dict[str, Any]:
    """Measure on every page of ``corpus`` (an AEB-style folder or any folder of HTML pages)."""
    from newsloom.parallel import worker_count
    from newsloom.pipeline import Pipeline
    from newsloom.store import open_store

    files = _pages(Path(corpus))
    settings = Settings(stories=False)
    stage = _stage_times(files[:stage_sample], settings)
    n_workers = worker_count(workers)
    with tempfile.TemporaryDirectory() as tmp:
        db = f"sqlite:///{tmp}/bench.db"
        with open_store(db) as store:
            pipeline = Pipeline(store, settings, with_stories=False)
            # the first pass stores; later passes re-read the same pages (recognised as unchanged)
            # so every pass still extracts and analyses every page
            sampler = _RSSSampler()
            t0 = time.perf_counter()
            with sampler:
                summary = pipeline.ingest(files * repeat, workers=n_workers)
            seconds = time.perf_counter() - t0
    docs = len(files) * repeat
    rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rss_children = sampler.peak_children_mb
    return {
        "corpus": str(corpus),
        "pages": len(files),
        "documents_processed": docs,
        "workers": n_workers,
        "outcomes": dict(summary.counts),
        "end_to_end_seconds": seconds,
        "end_to_end_articles_per_s": docs / seconds,
        "peak_rss_mb_main": rss_self,
        "peak_rss_mb_workers_total": rss_children,
        **stage,
    }


def format_table(result: dict[str, Any]) -> str:
    rows = ["| stage (serial, 1 core) | mean ms | median ms |", "|---|---:|---:|"]
    for name, s in result["stages"].items():
        rows.append(f"| {name} | {s['mean_ms']:.2f} | {s['median_ms']:.2f} |")
    rows.append(f"| **total** | {result['serial_ms_per_article']:.2f} | |")
    rows += [
        "",
        "| end to end | value |", "|---|---:|",
        f"| documents | {result['documents_processed']} ({result['pages']} pages) |",
        f"| workers | {result['workers']} |",
        f"| articles/s | {result['end_to_end_articles_per_s']:.1f} |",
        f"| serial articles/s (1 core) | {result['serial_articles_per_s']:.1f} |",
        f"| peak RSS MB: main / all workers | {result['peak_rss_mb_main']:.0f} / "
        f"{result['peak_rss_mb_workers_total']:.0f} |",
        f"| outcomes | {', '.join(f'{v} {k}' for k, v in sorted(result['outcomes'].items()))} |",
    ]
    return "\n".join(rows)
