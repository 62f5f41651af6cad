"""Story clustering quality and speed through the real pipeline.

Streams one or several JSONL corpora in the shared layout (doc_id, story_id, lang, title, text,
optional date/url) in date order (undated rows first, in file order; several files interleave by
date, then file order) through ``Pipeline`` (language, dedupe, store, embedding, clustering,
lineage, naming) into a fresh store, then scores the stored ``story_id`` of every document against
the gold ``story_id``: BCubed and pairwise precision/recall/F1, overall, per language and
cross-language (metric functions in ``newsloom.bench.stories``).

Simulating a language the default embedder lacks: ``run(..., force_fallback=["nl"])`` (or the
environment variable ``NEWSLOOM_FORCE_E5=nl,it`` for ``newsloom bench stories``, and
``benchmarks/stories.py --pipeline --force-e5 nl``) routes those languages to the fallback
embedder (e5-small), as Ukrainian or Hindi are, so the result shows how well articles meet across
the two vector spaces (bridges) on a corpus that has gold stories for them.
"""

from __future__ import annotations

import os
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from newsloom.config import Settings
from newsloom.errors import BenchError


FORCE_ENV = "NEWSLOOM_FORCE_E5"


def run(corpora: list[Path], limit: int | None = None, db: str | None = None,
        force_fallback: list[str] | None = None) -> dict[str, Any]:
    """``force_fallback``: languages routed to e5-small (default: ``$NEWSLOOM_FORCE_E5``,
    comma-separated; see the module doc)."""
    from newsloom.bench.stories import read_corpus, scores
    from newsloom.stories.service import StoryService
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

    if force_fallback is None:
        force_fallback = [x for x in os.environ.get(FORCE_ENV, "").split(",") if x.strip()]
    force = sorted({x.strip().lower() for x in force_fallback if x.strip()})
    with tempfile.TemporaryDirectory() as tmp:
        url = db or f"sqlite:///{tmp}/stories.db"
        settings = Settings.load(db=url, stories=True)  # NEWSLOOM_EMBEDDER etc. apply
        with open_store(url) as store:
            pipeline = Pipeline(store, settings, with_stories=True)
            t_load = time.perf_counter()
            # loads the embedding models (not timed per article)
            service = StoryService(store, settings, force_fallback=force)
            if service.bridging:
                service.embed_title(_Titled("warm-up"))
            pipeline._stories = service  # the pipeline builds its own without force_fallback
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
            story_of, bridged, spaces = {}, 0, defaultdict(int)
            for a in store.iter_articles():
                story_of[a.id] = a.story_id
                bridged += any("across embedding spaces" in n for n in a.notes)
            for model in (service.model, "e5-small"):
                spaces[model] = sum(1 for _ in store.iter_embeddings(model))

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
        "force_e5": force,
        "articles_by_space": dict(spaces),
        "bridged": bridged,
        "scores": scores(pred, gold, langs),
        "model_load_s": load_s,
        "stage_ms_per_article": stage_ms,
        "end_to_end_articles_per_s": n / total_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _instrument(service: Any, timers: dict[str, float]) -> None:
    """Time the embedding and the clustering step inside the real service. The clusterer asks
    for an article's title vector only when it needs it (inside the cluster step): that time
    is counted as embedding, not clustering."""
    embed, title, assign = service.embed_article, service.embed_title, service._assign
    title_key = "  embed e5-small title (when the clusterer needs it)"

    def timed_embed(article: Any, *args: Any, **kw: Any) -> Any:
        t = time.perf_counter()
        try:
            return embed(article, *args, **kw)
        finally:
            timers["  embed (title + lead)"] += time.perf_counter() - t

    def timed_title(article: Any) -> Any:
        t = time.perf_counter()
        try:
            return title(article)
        finally:
            timers[title_key] += time.perf_counter() - t

    def timed_assign(*args: Any, **kw: Any) -> int:
        t, before = time.perf_counter(), timers[title_key]
        try:
            return assign(*args, **kw)
        finally:
            timers["  cluster step"] += time.perf_counter() - t - (timers[title_key] - before)

    service.embed_article, service.embed_title, service._assign = timed_embed, timed_title, timed_assign


class _Titled:
    """Just enough of an Article to embed a title (model warm-up)."""

    def __init__(self, title: str) -> None:
        self.title, self.text, self.lang = title, "", None


def format_table(result: dict[str, Any]) -> str:
    s = result["scores"]
    rows = [f"{result['documents']} documents, {result['gold_stories']} gold stories, "
            f"{result['predicted_stories']} predicted; outcomes {result['outcomes']}",
            f"articles by space {result.get('articles_by_space')}; forced to e5-small: "
            f"{','.join(result.get('force_e5') or []) or 'none'}; joined across spaces: {result.get('bridged')}", "",
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
