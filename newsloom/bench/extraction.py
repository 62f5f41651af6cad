"""Article-extraction benchmark in the ScrapingHub AEB layout.

A corpus folder holds ``html/<id>.html.gz`` and ``ground-truth.json`` (``{id: {"articleBody", "url"}}``).
Scoring follows the field's metric: per page, ``\\w+`` tokens, multisets of 4-gram shingles of the
extracted and the gold body, TP/FP/FN normalised per page; precision and recall are averaged over
pages and F1 is the harmonic mean of the two averages.
"""

from __future__ import annotations

import gzip
import json
import re
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from newsloom.errors import ExtractionError, NewsloomError
from newsloom.models import RawDocument

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
NGRAM = 4

Extractor = Callable[[RawDocument], str]


def shingles(text: str, n: int = NGRAM) -> Counter[tuple[str, ...]]:
    tokens = _TOKEN_RE.findall(text or "")
    # A text shorter than n tokens still yields one (short) shingle, as in the AEB reference code.
    return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens)


def page_scores(gold: str, predicted: str) -> tuple[float, float]:
    """(precision, recall) of one page from normalised shingle TP/FP/FN."""
    g, p = shingles(gold), shingles(predicted)
    tp = fp = fn = 0
    for key in g.keys() | p.keys():
        gc, pc = g.get(key, 0), p.get(key, 0)
        tp += min(gc, pc)
        fp += max(0, pc - gc)
        fn += max(0, gc - pc)
    if fp == 0 and fn == 0:
        return 1.0, 1.0  # both empty or identical
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return precision, recall


def _newsloom_extractor(raw: RawDocument) -> str:
    from newsloom.extract import extract

    return extract(raw).text


def trafilatura_baseline(raw: RawDocument) -> str:
    """Plain ``trafilatura.extract`` with default options, for comparison."""
    import trafilatura

    return trafilatura.extract(raw.body, url=raw.url) or ""


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def run(
    corpus_dir: Path,
    limit: int | None = None,
    *,
    extractor: Extractor | None = None,
) -> dict[str, Any]:
    """Score ``extractor`` (default: newsloom's extract + cleanup) on an AEB-layout folder."""
    corpus_dir = Path(corpus_dir)
    gt_path = corpus_dir / "ground-truth.json"
    if not gt_path.is_file():
        raise NewsloomError(f"{corpus_dir}: no ground-truth.json (expected the AEB layout)")
    try:
        truth: dict[str, dict[str, str]] = json.loads(gt_path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NewsloomError(f"{gt_path}: not valid JSON ({exc})") from None
    fn = extractor or _newsloom_extractor
    ids = sorted(truth)[:limit] if limit else sorted(truth)
    pages: list[dict[str, Any]] = []
    for page_id in ids:
        html_path = corpus_dir / "html" / f"{page_id}.html.gz"
        if not html_path.is_file():
            continue
        body = gzip.decompress(html_path.read_bytes())
        url = truth[page_id].get("url") or f"file://{html_path}"
        raw = RawDocument(url=url, body=body, content_type="text/html", origin="file")
        error = None
        t0 = time.perf_counter()
        try:
            text = fn(raw)
        except ExtractionError as exc:
            text, error = "", str(exc)
        ms = (time.perf_counter() - t0) * 1000
        precision, recall = page_scores(truth[page_id].get("articleBody") or "", text)
        pages.append(
            {"id": page_id, "precision": precision, "recall": recall, "ms": ms, "error": error}
        )
    if not pages:
        raise NewsloomError(f"{corpus_dir}: no pages found under html/")
    p = statistics.fmean(x["precision"] for x in pages)
    r = statistics.fmean(x["recall"] for x in pages)
    times = sorted(x["ms"] for x in pages)
    return {
        "corpus": str(corpus_dir),
        "pages": len(pages),
        "errors": sum(1 for x in pages if x["error"]),
        "precision": p,
        "recall": r,
        "f1": 2 * p * r / (p + r) if p + r else 0.0,
        "ms_mean": statistics.fmean(times),
        "ms_median": statistics.median(times),
        "ms_p95": times[min(len(times) - 1, int(0.95 * len(times)))],
        "peak_rss_mb": _peak_rss_mb(),
        "per_page": pages,
    }


def format_table(result: dict[str, Any] | list[dict[str, Any]]) -> str:
    """A Markdown table of the headline numbers of one or more ``run`` results."""
    results = result if isinstance(result, list) else [result]
    lines = [
        "| extractor | pages | errors | precision | recall | F1 | ms/page (mean) | ms/page (p95) | peak RSS MB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        lines.append(
            f"| {r.get('name', 'newsloom')} | {r['pages']} | {r['errors']} | {r['precision']:.4f} "
            f"| {r['recall']:.4f} | {r['f1']:.4f} | {r['ms_mean']:.1f} | {r['ms_p95']:.1f} "
            f"| {r['peak_rss_mb']:.0f} |"
        )
    return "\n".join(lines)
