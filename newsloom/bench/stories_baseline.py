"""A plain baseline for ``newsloom bench stories``: greedy centroid clustering on the product's
own vectors, its threshold fitted on another corpus.

Each document, in the same stream order as newsloom gets it, carries the vector the product
uses for its language (USE-m3 where it covers the language, else mean-centred e5-small on the
shorter lead, honouring ``--force-e5``: ``StoryService.embed_routed``; for the scored corpus the
very vectors the pipeline stored). Greedy: it joins the cluster, in its own vector space, whose
centroid (mean of the members' unit vectors, renormalised) has the highest cosine, if that is
>= ``t``; else it starts a cluster. No names, numbers, dates, windows or bridges.

``t`` is never fitted on the corpus it is reported on: it maximises BCubed F1 over
:data:`GRID` on a *different* corpus (``--baseline-fit-corpus``; by default Primer when
scoring MEANTIME, MEANTIME otherwise), in the same condition (``--short`` or not, same order).
"""

from __future__ import annotations

import os
from collections.abc import Hashable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newsloom.errors import BenchError

GRID = tuple(round(0.30 + 0.02 * i, 2) for i in range(31))  # 0.30 .. 0.90


def _unit(v: np.ndarray) -> np.ndarray:
    v = np.asarray(v, dtype=np.float64)
    n = float(np.linalg.norm(v))
    return v / n if n else v


def greedy(vectors: Sequence[np.ndarray], spaces: Sequence[Hashable], t: float) -> list[int]:
    """Cluster labels, streaming ``vectors`` in order (see the module doc). An item only meets
    clusters of its own space (``spaces[i]``: the model that made its vector)."""
    if len(vectors) != len(spaces):
        raise BenchError(f"baseline: {len(vectors)} vectors but {len(spaces)} spaces")
    sums: dict[Hashable, list[np.ndarray]] = {}   # per space: member sum of each cluster
    ids: dict[Hashable, list[int]] = {}           # per space: the global label of each cluster
    labels: list[int] = []
    n_clusters = 0
    for v, space in zip(vectors, spaces):
        u = _unit(v)
        sp, lab = sums.setdefault(space, []), ids.setdefault(space, [])
        best, best_cos = -1, -2.0
        if sp:
            cents = np.stack(sp)
            norms = np.linalg.norm(cents, axis=1)
            cos = (cents @ u) / np.where(norms > 0, norms, 1.0)
            best = int(np.argmax(cos))
            best_cos = float(cos[best])
        if best >= 0 and best_cos >= t:
            sp[best] = sp[best] + u
            labels.append(lab[best])
        else:
            sp.append(u.copy())
            lab.append(n_clusters)
            labels.append(n_clusters)
            n_clusters += 1
    return labels


def fit_threshold(vectors: Sequence[np.ndarray], spaces: Sequence[Hashable], gold: Sequence[Hashable],
                  grid: Sequence[float] = GRID) -> tuple[float, float]:
    """(t, BCubed F1 at t): the grid value with the best BCubed F1 on these (fit-corpus) items;
    ties go to the lower t."""
    from newsloom.bench.stories import bcubed

    best_t, best_f = grid[0], -1.0
    for t in grid:
        f = bcubed(greedy(vectors, spaces, t), gold)["f1"]
        if f > best_f + 1e-12:
            best_t, best_f = t, f
    return best_t, best_f


def default_fit_corpus(scored: Sequence[Path | str]) -> Path:
    """Primer when scoring MEANTIME, MEANTIME otherwise (under ``$NEWSLOOM_SHARED`` or
    ``../shared``)."""
    shared = Path(os.environ.get("NEWSLOOM_SHARED") or Path.cwd().parent / "shared") / "corpora"
    names = [str(p).lower() for p in scored]
    if any("meantime" in n for n in names):
        if any("primer" in n for n in names):
            raise BenchError("bench stories --baseline: the scored corpora include both MEANTIME and Primer, "
                             "so there is no default corpus to fit the threshold on; give --baseline-fit-corpus")
        return shared / "wikinews-primer" / "docs.jsonl"
    return shared / "wikinews-meantime" / "docs.jsonl"


def check_fit_corpus(fit: Path, scored: Sequence[Path | str], fit_rows: list[dict[str, Any]],
                     scored_rows: list[dict[str, Any]]) -> None:
    """Refuse a fit corpus that is (or shares documents with) a scored one."""
    if not fit.is_file():
        raise BenchError(f"{fit}: baseline fit corpus not found (give --baseline-fit-corpus PATH)")
    if any(Path(s).resolve() == fit.resolve() for s in scored):
        raise BenchError(f"{fit}: the baseline threshold must be fitted on another corpus than the one scored")
    shared = {r["doc_id"] for r in fit_rows} & {r["doc_id"] for r in scored_rows}
    if shared:
        raise BenchError(f"{fit}: shares {len(shared)} document id(s) with the scored corpus "
                         f"(e.g. {sorted(shared)[0]!r}); fit the baseline threshold on another corpus")


def product_vectors(service: Any, articles: Sequence[Any]) -> tuple[list[np.ndarray], list[str]]:
    """(vectors, spaces) of analysed articles, as the product embeds them."""
    vecs, spaces = [], []
    for a in articles:
        model, v = service.embed_routed(a)
        vecs.append(np.asarray(v, dtype=np.float32))
        spaces.append(model)
    return vecs, spaces


def fit_on_corpus(fit: Path, scored: Sequence[Path | str], scored_rows: list[dict[str, Any]],
                  service: Any, settings: Any, order: str, seed: int, short: bool) -> dict[str, Any]:
    """Read, analyse and embed the fit corpus (never the scored one) and fit ``t`` on it."""
    from newsloom.bench.stories import read_corpus
    from newsloom.bench.stories_pipeline import first_sentence, stream_order
    from newsloom.ingest import iter_file
    from newsloom.ingest.base import IngestItem
    from newsloom.models import Article
    from newsloom.pipeline import analyse

    if not fit.is_file():
        raise BenchError(f"{fit}: baseline fit corpus not found (give --baseline-fit-corpus PATH)")
    rows = stream_order(read_corpus(fit), order, seed)
    check_fit_corpus(fit, scored, rows, scored_rows)
    arts: dict[str, Any] = {}
    for it in iter_file(fit):
        if isinstance(it, IngestItem) and it.article is not None and it.article.doc_id not in arts:
            if short:
                it.article.text = first_sentence(it.article.text or "")
            a = analyse(it.article, settings)
            if isinstance(a, Article):
                arts[a.doc_id] = a
    rows = [r for r in rows if r["doc_id"] in arts]
    if not rows:
        raise BenchError(f"{fit}: no readable documents to fit the baseline threshold on")
    vecs, spaces = product_vectors(service, [arts[r["doc_id"]] for r in rows])
    t, f1 = fit_threshold(vecs, spaces, [r["story_id"] for r in rows])
    return {"threshold": t, "fit_corpus": str(fit), "fit_documents": len(rows), "fit_bcubed_f1": f1}


def format_baseline(result: dict[str, Any]) -> list[str]:
    """Lines of the table: baseline BCubed beside newsloom's, overall and cross-language."""
    b = result.get("baseline")
    if not b:
        return ["", result["baseline_skipped"]] if result.get("baseline_skipped") else []
    rows = ["", f"plain baseline: greedy centroid on the product's vectors, t = {b['threshold']:.2f} fitted on "
                f"{b['fit_corpus']} ({b['fit_documents']} documents, same condition; BCubed F1 there "
                f"{b['fit_bcubed_f1']:.3f}); {b['predicted_stories']} predicted stories",
            "", "| subset | newsloom BCubed P / R / F1 | baseline BCubed P / R / F1 |", "|---|---|---|"]
    for name in ("overall", "cross-language"):
        ours, base = result["scores"].get(name), b["scores"].get(name)
        if ours is None or base is None:
            continue
        fmt = lambda d: " / ".join(f"{d['bcubed'][k]:.3f}" for k in ("precision", "recall", "f1"))
        rows.append(f"| {name} | {fmt(ours)} | {fmt(base)} |")
    return rows


def run_baseline(rows: list[dict[str, Any]], article_of: dict[str, int | None], analysed: dict[str, Any],
                 store: Any, service: Any, fit: dict[str, Any]) -> dict[str, Any]:
    """The baseline on the scored stream ``rows``: the vectors the pipeline stored for each
    document (a document it did not store, e.g. a duplicate, is embedded the same way), greedy
    at the threshold ``fit`` brought from the other corpus, scored as newsloom is."""
    from newsloom.bench.stories import scores
    from newsloom.stories.service import FALLBACK_MODEL

    ids = [a for a in article_of.values() if a is not None]
    stored = {i: (m, np.frombuffer(blob, dtype=np.float32))
              for i, (m, blob) in store.get_embeddings(ids, (service.model, FALLBACK_MODEL)).items()}
    vecs, spaces, keep = [], [], []
    for i, r in enumerate(rows):
        aid = article_of.get(r["doc_id"])
        if aid is not None and aid in stored:
            m, v = stored[aid]
        elif r["doc_id"] in analysed:
            m, v = service.embed_routed(analysed[r["doc_id"]])
        else:
            continue  # unreadable: its own story, as newsloom's "unplaced"
        vecs.append(v)
        spaces.append(m)
        keep.append(i)
    labels = greedy(vecs, spaces, fit["threshold"])
    pred: list[Hashable] = [f"unplaced-{i}" for i in range(len(rows))]
    for i, lab in zip(keep, labels):
        pred[i] = lab
    out = dict(fit)
    out["predicted_stories"] = len(set(pred))
    out["scores"] = scores(pred, [r["story_id"] for r in rows], [r.get("lang") or "?" for r in rows])
    return out
