"""Article-extraction benchmark in two corpus layouts, each scored as its field scores it.

- **AEB** (ScrapingHub): ``html/<id>.html.gz`` + ``ground-truth.json`` (``{id: {"articleBody",
  "url"}}``). Per page, ``\\w+`` tokens, multisets of 4-gram shingles of the extracted and the gold
  body, TP/FP/FN normalised per page; precision and recall are averaged over pages and F1 is the
  harmonic mean of the two averages.
- **Snippets** (the trafilatura project's evaluation): ``html/<id>.html.gz`` + ``gold.json``
  (``{id: {"url", "with": [...], "without": [...]}}``). Per page, whitespace-normalised; each of the
  first 6 ``with`` snippets found in the output is a true positive (else a false negative), each of
  the first 6 ``without`` snippets found is a false positive; precision, recall and F1 are computed
  from the corpus totals.

``compare`` runs several extractors page by page in one loop, so they see the same pages under the
same machine load and their times are comparable.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import resource
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from newsloom.errors import ExtractionError, NewsloomError
from newsloom.models import RawDocument

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)
NGRAM = 4
MAX_SNIPPETS = 6  # the trafilatura evaluation reads at most six of each kind per page

AEB = "aeb"
SNIPPETS = "snippets"
_GOLD_FILES = {AEB: "ground-truth.json", SNIPPETS: "gold.json"}

Extractor = Callable[[RawDocument], str]


# --- AEB scoring ------------------------------------------------------------------------------


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


# --- snippet scoring --------------------------------------------------------------------------


def _ws(text: str) -> str:
    return " ".join(text.split())


def snippet_counts(gold: dict[str, Any], predicted: str) -> tuple[int, int, int]:
    """(TP, FN, FP) of one page: the first 6 ``with`` and the first 6 ``without`` snippets."""
    text = _ws(predicted or "")
    tp = fn = fp = 0
    for snippet in (gold.get("with") or [])[:MAX_SNIPPETS]:
        if _ws(snippet) in text:
            tp += 1
        else:
            fn += 1
    for snippet in (gold.get("without") or [])[:MAX_SNIPPETS]:
        if _ws(snippet) in text:
            fp += 1
    return tp, fn, fp


# --- extractors -------------------------------------------------------------------------------


def newsloom_extractor(raw: RawDocument) -> str:
    from newsloom.extract import extract

    return extract(raw).text


def trafilatura_baseline(raw: RawDocument) -> str:
    """Plain ``trafilatura.extract`` with default options (its "standard" mode), for comparison."""
    import trafilatura

    return trafilatura.extract(raw.body, url=raw.url) or ""


BASELINE_NAME = "trafilatura 2.3.1 (default)"
NEWSLOOM_NAME = "newsloom extract+cleanup"


# --- corpus -----------------------------------------------------------------------------------


def detect_layout(corpus_dir: Path) -> str:
    """``"aeb"`` or ``"snippets"`` from the gold file present; a clear error when neither is."""
    if not corpus_dir.is_dir():
        raise NewsloomError(f"{corpus_dir}: no such folder")
    for layout, name in _GOLD_FILES.items():
        if (corpus_dir / name).is_file():
            return layout
    raise NewsloomError(
        f"{corpus_dir}: no ground-truth.json (AEB layout) or gold.json (snippet layout) found"
    )


def _load_gold(corpus_dir: Path, layout: str) -> dict[str, dict[str, Any]]:
    path = corpus_dir / _GOLD_FILES[layout]
    try:
        gold = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise NewsloomError(f"{path}: not valid JSON ({exc})") from None
    if not isinstance(gold, dict) or not all(isinstance(v, dict) for v in gold.values()):
        raise NewsloomError(f"{path}: expected an object of {{id: {{...}}}} entries")
    return gold


def pages(
    corpus_dir: Path, limit: int | None = None, ids: Sequence[str] | None = None
) -> Iterator[tuple[str, RawDocument, dict[str, Any]]]:
    """``(id, raw document, gold entry)`` for each page of a corpus folder, in id order."""
    corpus_dir = Path(corpus_dir)
    gold = _load_gold(corpus_dir, detect_layout(corpus_dir))
    chosen = sorted(gold) if ids is None else [i for i in ids if i in gold]
    for page_id in chosen[:limit] if limit else chosen:
        html_path = corpus_dir / "html" / f"{page_id}.html.gz"
        if not html_path.is_file():
            continue
        body = gzip.decompress(html_path.read_bytes())
        url = gold[page_id].get("url") or f"file://{html_path}"
        yield page_id, RawDocument(url=url, body=body, content_type="text/html", origin="file"), gold[
            page_id
        ]


def _peak_rss_mb() -> float:
    # ru_maxrss is KiB on Linux and bytes on macOS.
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024


def _score_page(layout: str, gold: dict[str, Any], text: str) -> dict[str, Any]:
    if layout == AEB:
        precision, recall = page_scores(gold.get("articleBody") or "", text)
        return {"precision": precision, "recall": recall}
    tp, fn, fp = snippet_counts(gold, text)
    return {"tp": tp, "fn": fn, "fp": fp}


def _summary(layout: str, rows: list[dict[str, Any]]) -> dict[str, Any]:
    if layout == AEB:
        p = statistics.fmean(x["precision"] for x in rows)
        r = statistics.fmean(x["recall"] for x in rows)
        f1 = 2 * p * r / (p + r) if p + r else 0.0
        extra: dict[str, Any] = {}
    else:
        tp, fn, fp = (sum(x[k] for x in rows) for k in ("tp", "fn", "fp"))
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        extra = {"tp": tp, "fn": fn, "fp": fp}
    times = sorted(x["ms"] for x in rows)
    return {
        "pages": len(rows),
        "errors": sum(1 for x in rows if x["error"]),
        "precision": p,
        "recall": r,
        "f1": f1,
        **extra,
        "ms_mean": statistics.fmean(times),
        "ms_median": statistics.median(times),
        "ms_p95": times[min(len(times) - 1, int(0.95 * len(times)))],
        "cpu_ms_median": statistics.median(x.get("cpu_ms", x["ms"]) for x in rows),
    }


def half_of(page_id: str) -> str:
    """``"fit"`` or ``"held-out"``: the split of a corpus that thresholds are fitted on or not.

    Pages whose id has an even SHA-1 are where newsloom's extraction thresholds and cleanup
    patterns were fitted or written from (trafilatura-eval; AEB since 2026-12-05); the others are
    reported as held out.
    """
    return "fit" if int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 2 == 0 else "held-out"


def compare(
    corpus_dir: Path,
    extractors: dict[str, Extractor],
    limit: int | None = None,
    ids: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """One result per extractor on the same pages of ``corpus_dir`` (either layout)."""
    corpus_dir = Path(corpus_dir)
    layout = detect_layout(corpus_dir)
    rows: dict[str, list[dict[str, Any]]] = {name: [] for name in extractors}
    for page_id, raw, gold in pages(corpus_dir, limit, ids):
        for name, fn in extractors.items():
            error = None
            c0, t0 = time.process_time(), time.perf_counter()
            try:
                text = fn(raw)
            except ExtractionError as exc:
                text, error = "", str(exc)
            ms = (time.perf_counter() - t0) * 1000
            # CPU time too: on a shared machine wall time also counts other processes' turns
            cpu_ms = (time.process_time() - c0) * 1000
            rows[name].append(
                {"id": page_id, **_score_page(layout, gold, text), "ms": ms, "cpu_ms": cpu_ms, "error": error}
            )
    if not any(rows.values()):
        raise NewsloomError(f"{corpus_dir}: no pages found under html/")
    return [
        {
            "name": name,
            "corpus": str(corpus_dir),
            "layout": layout,
            **_summary(layout, per_page),
            # the split is reported for both layouts: rules were written from the fitting half of
            # trafilatura-eval and, since 2026-12-05, of AEB too (half_of)
            "halves": {
                half: {k: v for k, v in _summary(layout, part).items() if "ms_" not in k}
                for half in ("fit", "held-out")
                if (part := [x for x in per_page if half_of(x["id"]) == half])
            },
            "peak_rss_mb": _peak_rss_mb(),
            "per_page": per_page,
        }
        for name, per_page in rows.items()
    ]


def run(
    corpus_dir: Path,
    limit: int | None = None,
    *,
    extractor: Extractor | None = None,
) -> dict[str, Any]:
    """Score ``extractor`` (default: newsloom's extract + cleanup) on a corpus folder."""
    result = compare(Path(corpus_dir), {NEWSLOOM_NAME: extractor or newsloom_extractor}, limit)[0]
    if extractor is not None:
        result["name"] = "custom"
    return result


def run_all(
    corpora: Sequence[Path], limit: int | None = None, *, baseline: bool = True
) -> list[dict[str, Any]]:
    """newsloom (and plain trafilatura unless ``baseline`` is False) on every corpus, in one run."""
    extractors: dict[str, Extractor] = {}
    if baseline:
        extractors[BASELINE_NAME] = trafilatura_baseline
    extractors[NEWSLOOM_NAME] = newsloom_extractor
    results: list[dict[str, Any]] = []
    for corpus in corpora:
        results += compare(Path(corpus), extractors, limit)
    return results


def format_table(result: dict[str, Any] | list[dict[str, Any]]) -> str:
    """A Markdown table of the headline numbers of one or more results, one row per extractor."""
    results = result if isinstance(result, list) else [result]
    lines = [
        "| corpus (layout) | extractor | pages | errors | precision | recall | F1 "
        "| ms/page (median) | CPU ms/page (median) | ms/page (mean) | ms/page (p95) | peak RSS MB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    notes = []
    for r in results:
        corpus = f"{Path(r.get('corpus', '?')).name} ({r.get('layout', AEB)})"
        lines.append(
            f"| {corpus} | {r.get('name', NEWSLOOM_NAME)} | {r['pages']} | {r['errors']} "
            f"| {r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {r['ms_median']:.1f} "
            f"| {r.get('cpu_ms_median', r['ms_median']):.1f} "
            f"| {r['ms_mean']:.1f} | {r['ms_p95']:.1f} | {r['peak_rss_mb']:.0f} |"
        )
        halves = r.get("halves") or {}
        if len(halves) == 2:
            notes.append(
                f"{corpus}, {r.get('name', NEWSLOOM_NAME)}: F1 {halves['fit']['f1']:.4f} on the half "
                f"thresholds were fitted on, {halves['held-out']['f1']:.4f} on the held-out half"
            )
    return "\n".join(lines + ([""] + notes if notes else []))
