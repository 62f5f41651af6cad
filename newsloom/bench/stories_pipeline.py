"""Story clustering quality and speed through the real pipeline.

Streams one or several JSONL corpora in the shared layout (doc_id, story_id, lang, title, text,
optional date/url) in date order (undated rows first, in file order; several files interleave by
date, then file order) through ``Pipeline`` (language, dedupe, store, embedding, clustering,
lineage, naming) into a fresh store, then scores the stored ``story_id`` of every document against
the gold ``story_id``: BCubed and pairwise precision/recall/F1, overall, per language and
cross-language (metric functions in ``newsloom.bench.stories``).
"""

from __future__ import annotations

import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from newsloom.config import Settings
from newsloom.errors import BenchError


def run(corpora: list[Path], limit: int | None = None, db: str | None = None) -> dict[str, Any]:
    from newsloom.bench.stories import read_corpus, scores
    from newsloom.ingest import iter_file
    from newsloom.ingest.base import IngestItem
    from newsloom.pipeline import Pipeline, analyse
    from newsloom.store import open_store

    order = read_corpus(corpora, limit)
    if not order:
        raise BenchError(f"{', '.join(map(str, corpora))}: no documents")
    items: dict[str, IngestItem] = {}
    for path in corpora:
        for it in iter_file(Path(path)):
            if isinstance(it, IngestItem) and it.article is not None and it.article.doc_id not in items:
                items[it.article.doc_id] = it

    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{tmp}/stories.db"
        settings = Settings.load(db=url, stories=True)  # NEWSLOOM_EMBEDDER etc. apply
        with open_store(url) as store:
            pipeline = Pipeline(store, settings, with_stories=True)
            t_load = time.perf_counter()
            service = pipeline.stories  # loads the embedding model (not timed per article)
            load_s = time.perf_counter() - t_load
            timers: dict[str, float] = defaultdict(float)
            _instrument(service, timers)
            article_of: dict[str, int | None] = {}
            outcomes: dict[str, int] = defaultdict(int)
            t0 = time.perf_counter()
            for row in order:
                it = items.get(row["doc_id"])
                if it is None:
                    article_of[row["doc_id"]] = None
                    outcomes["unreadable"] += 1
                    continue
                ta = time.perf_counter()
                analysed = analyse(it.article, settings)
                tb = time.perf_counter()
                outcome = pipeline.commit(analysed)
                tc = time.perf_counter()
                timers["analyse (language, fingerprints)"] += tb - ta
                timers["commit (dedupe, store, stories)"] += tc - tb
                outcomes[outcome.status] += 1
                article_of[row["doc_id"]] = outcome.article_id
            total_s = time.perf_counter() - t0
            story_of = {a.id: a.story_id for a in store.iter_articles()}

    pred, gold, langs = [], [], []
    for i, row in enumerate(order):
        aid = article_of.get(row["doc_id"])
        sid = story_of.get(aid) if aid is not None else None
        pred.append(sid if sid is not None else f"unplaced-{i}")
        gold.append(row["story_id"])
        langs.append(row.get("lang") or "?")
    n = len(order)
    stage_ms = {k: v * 1000 / n for k, v in timers.items()}
    return {
        "corpora": [str(c) for c in corpora],
        "documents": n,
        "gold_stories": len(set(gold)),
        "predicted_stories": len(set(pred)),
        "outcomes": dict(outcomes),
        "scores": scores(pred, gold, langs),
        "model_load_s": load_s,
        "stage_ms_per_article": stage_ms,
        "end_to_end_articles_per_s": n / total_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _instrument(service: Any, timers: dict[str, float]) -> None:
    """Time the embedding and the clustering step inside the real service."""
    embed, assign = service.embed_routed, service._assign

    def timed_embed(article: Any) -> Any:
        t = time.perf_counter()
        try:
            return embed(article)
        finally:
            timers["  embed (title + lead)"] += time.perf_counter() - t

    def timed_assign(article: Any, vector: Any, model: Any = None) -> int:
        t = time.perf_counter()
        try:
            return assign(article, vector, model)
        finally:
            timers["  cluster step"] += time.perf_counter() - t

    service.embed_routed, service._assign = timed_embed, timed_assign


def format_table(result: dict[str, Any]) -> str:
    s = result["scores"]
    rows = [f"{result['documents']} documents, {result['gold_stories']} gold stories, "
            f"{result['predicted_stories']} predicted; outcomes {result['outcomes']}", "",
            "| subset | n | BCubed P | BCubed R | BCubed F1 | pairwise P | pairwise R | pairwise F1 |",
            "|---|---:|---:|---:|---:|---:|---:|---:|"]

    def line(name: str, d: dict[str, Any]) -> str:
        b, p = d.get("bcubed", {}), d.get("pairwise", {})
        return (f"| {name} | {d.get('items', '')} | {b.get('precision', float('nan')):.3f} | "
                f"{b.get('recall', float('nan')):.3f} | {b.get('f1', float('nan')):.3f} | "
                f"{p.get('precision', float('nan')):.3f} | {p.get('recall', float('nan')):.3f} | "
                f"{p.get('f1', float('nan')):.3f} |")

    for name, d in s.items():
        rows.append(line(name, d))
    rows += ["", "| stage | ms/article |", "|---|---:|"]
    for k, v in result["stage_ms_per_article"].items():
        rows.append(f"| {k} | {v:.1f} |")
    rows.append(f"| **end to end** | {1000 / result['end_to_end_articles_per_s']:.1f} "
                f"({result['end_to_end_articles_per_s']:.1f} articles/s) |")
    rows.append(f"| peak RSS MB | {result['peak_rss_mb']:.0f} |")
    return "\n".join(rows)
