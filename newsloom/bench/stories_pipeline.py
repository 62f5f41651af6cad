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

Lineage: the ``lineage`` section counts the marks by kind (:func:`lineage_scores`); a
translation mark is counted as right when it points to an earlier article of the same gold story
in another language (a precision proxy: the gold says nothing about which of a story's reports
translate which). Translation recall is reported only where the corpus says which documents are
translations (:func:`gold_translations`).
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import tempfile
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from newsloom.config import Settings
from newsloom.errors import BenchError


FORCE_ENV = "NEWSLOOM_FORCE_E5"


ORDERS = ("date", "file", "shuffled")


def _ingest_items(path: Path) -> list[Any]:
    """The items ``newsloom ingest`` reads from a corpus file; a SemEval pairs CSV is first
    written as JSONL in the shared layout (``newsloom.bench.semeval_corpus``)."""
    from newsloom.bench.semeval_corpus import is_semeval_csv, read_semeval
    from newsloom.ingest import iter_file

    if not is_semeval_csv(path):
        return list(iter_file(path))
    with tempfile.TemporaryDirectory() as tmp:
        jsonl = Path(tmp) / f"{path.stem}.jsonl"
        with jsonl.open("w", encoding="utf-8") as fh:
            for row in read_semeval(path):
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        return list(iter_file(jsonl))


def stream_order(rows: list[dict[str, Any]], order: str = "date", seed: int = 0) -> list[dict[str, Any]]:
    """The rows of :func:`newsloom.bench.stories.read_corpus` (date order) in the order a user
    would stream them: ``date``, ``file`` (as the files list them: MEANTIME is in language
    blocks, a WARC in crawl order) or ``shuffled`` (seeded: feeds polled with lag, archives
    back-filled in pieces)."""
    if order == "date":
        return list(rows)
    if order == "file":
        return sorted(rows, key=lambda r: r.get("_pos", (0, 0)))
    if order == "shuffled":
        out = list(rows)
        random.Random(seed).shuffle(out)
        return out
    raise BenchError(f"order={order!r}: expected one of {', '.join(ORDERS)}")


def first_sentence(text: str) -> str:
    """The first sentence of a text (a feed item's summary is a title and about this much)."""
    text = " ".join((text or "").split())
    m = _SENTENCE_END.search(text, 40)
    return text[: m.end()].strip() if m else text[:300]


_SENTENCE_END = re.compile(r"[.!?。！？](?=\s|$)")


def run(corpora: list[Path], limit: int | None = None, db: str | None = None,
        force_fallback: list[str] | None = None, order: str = "date", seed: int = 0,
        short: bool = False, baseline: bool = False, baseline_fit: Path | None = None) -> dict[str, Any]:
    """``baseline``: also the plain greedy-centroid baseline on the same vectors and stream, its
    threshold fitted on ``baseline_fit`` (default: see ``stories_baseline.default_fit_corpus``),
    never on the scored corpus. ``force_fallback``: languages routed to e5-small (default: ``$NEWSLOOM_FORCE_E5``,
    comma-separated; see the module doc). ``order``/``seed``: see :func:`stream_order`.
    ``short``: each document reduced to its title and first sentence, as a feed item whose
    page could not be fetched reaches newsloom."""
    from newsloom.bench.stories import read_corpus, scores
    from newsloom.stories.service import StoryService
    from newsloom.ingest.base import IngestItem
    from newsloom.pipeline import Pipeline, analyse
    from newsloom.store import open_store

    rows = read_corpus(corpora, limit)
    if not rows:
        raise BenchError(f"{', '.join(map(str, corpora))}: no documents")
    order_name, order = order, stream_order(rows, order, seed)
    fit_path, skipped = None, None
    if baseline:  # fail before the long stream, not after it
        from newsloom.bench.stories_baseline import default_fit_corpus

        fit_path = Path(baseline_fit) if baseline_fit else default_fit_corpus(corpora)
        if not fit_path.is_file() and not baseline_fit:  # a user's own corpus, no ../shared: skip, say so
            baseline, skipped = False, (f"plain baseline skipped: its default fit corpus {fit_path} is absent "
                                        "(give --baseline-fit-corpus PATH)")
        elif not fit_path.is_file():
            raise BenchError(f"{fit_path}: baseline fit corpus not found (give --baseline-fit-corpus PATH "
                             "or --no-baseline)")
        if any(Path(c).resolve() == fit_path.resolve() for c in corpora):
            raise BenchError(f"{fit_path}: the baseline threshold must be fitted on another corpus than the one scored")
    items: dict[str, IngestItem] = {}
    file_of: dict[str, int] = {}
    for fi, path in enumerate(corpora):
        for it in _ingest_items(Path(path)):
            if isinstance(it, IngestItem) and it.article is not None and it.article.doc_id not in items:
                if short:
                    it.article.text = first_sentence(it.article.text or "")
                items[it.article.doc_id] = it
                file_of[it.article.doc_id] = fi

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
            kept: dict[str, Any] = {}  # analysed articles, for the baseline
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
                if baseline:
                    kept[row["doc_id"]] = analysed
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
            marks = _stored_marks(store, service.model, article_of)
            # stored by the embedding step (e5-routed articles), the clusterer or lineage
            titles = sum(1 for _ in store.iter_embeddings("e5-small:title"))
            base = None
            if baseline:
                from newsloom.bench import stories_baseline as sb
                from newsloom.models import Article

                fit = sb.fit_on_corpus(fit_path, corpora, rows, service, settings, order_name, seed, short)
                base = sb.run_baseline(order, article_of, {d: a for d, a in kept.items() if isinstance(a, Article)},
                                       store, service, fit)

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
        "order": order_name if order_name != "shuffled" else f"shuffled (seed {seed})",
        "short": short,
        "articles_by_space": dict(spaces),
        "bridged": bridged,
        "title_vectors": titles,
        "scores": scores(pred, gold, langs),
        "lineage": lineage_scores(order, marks, *gold_translations(order, file_of)),
        "model_load_s": load_s,
        "stage_ms_per_article": stage_ms,
        "end_to_end_articles_per_s": n / total_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        **({"baseline": base} if base else {}),
        **({"baseline_skipped": skipped} if skipped else {}),
    }


def _stored_marks(store: Any, default_model: str, article_of: dict[str, int | None]) -> dict[str, dict[str, Any]]:
    """The stored lineage mark of each streamed document, by doc id: kind, the doc id it points
    to, and the vector space of both (for counting marks across spaces)."""
    doc_of = {aid: d for d, aid in article_of.items() if aid is not None}
    space = {i: m for i, (m, _) in store.get_embeddings(list(doc_of), (default_model, "e5-small")).items()}
    out: dict[str, dict[str, Any]] = {}
    for a in store.iter_articles():
        d = doc_of.get(a.id)
        if d is None:
            continue
        out[d] = {"kind": a.lineage, "of": doc_of.get(a.lineage_of) if a.lineage_of is not None else None,
                  "space": space.get(a.id), "of_space": space.get(a.lineage_of)}
    return out


def gold_translations(rows: list[dict[str, Any]], file_of: dict[str, int] | None = None
                      ) -> tuple[dict[str, bool], str]:
    """Which documents the gold says are translations, by doc id, and how that was decided.

    Rows with a boolean ``is_translation`` field (MEANTIME has one: its es/it/nl documents are
    human translations of the English one) say so themselves. Otherwise a corpus file whose
    every gold story has two or more documents, each in a different language, is taken as a
    parallel corpus: in each story, every document after the first in stream order is a
    translation. Anything else (Primer: mostly one-document stories, and its cross-language
    pairs are mostly independent reports) is unknown: left out, so no recall is reported
    for it. A translation whose story has no earlier document in another language in the
    stream (``--limit``) cannot be marked and is left out too."""
    file_of = file_of or {}
    by_file: dict[int, dict[Any, list[dict[str, Any]]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        by_file[file_of.get(r["doc_id"], 0)][r["story_id"]].append(r)
    gold: dict[str, bool] = {}
    how: set[str] = set()
    for stories in by_file.values():
        parallel = all(len(docs) >= 2 and len({d.get("lang") for d in docs}) == len(docs)
                       for docs in stories.values())
        for docs in stories.values():
            for pos, r in enumerate(docs):
                flag = r.get("is_translation")
                if isinstance(flag, bool):
                    how.add("the corpus's is_translation field")
                elif parallel:
                    how.add("parallel corpus (every gold story: one document per language; all but the first are translations)")
                    flag = pos > 0
                else:
                    continue
                earlier = any(e.get("lang") != r.get("lang") for e in docs[:pos])
                if not flag or earlier:
                    gold[r["doc_id"]] = flag
    return gold, "; ".join(sorted(how)) or "unknown (no recall)"


def lineage_scores(rows: list[dict[str, Any]], marks: dict[str, dict[str, Any]],
                   gold: dict[str, bool] | None = None, gold_note: str = "") -> dict[str, Any]:
    """Counts of the stored lineage marks by kind; for translation marks, how many point to the
    same gold story in another language (``translation_right``: a precision proxy), how many
    join two vector spaces, and, for documents in ``gold`` (see :func:`gold_translations`),
    translation recall overall and per language."""
    story = {r["doc_id"]: r["story_id"] for r in rows}
    lang = {r["doc_id"]: r.get("lang") or "?" for r in rows}

    def points_right(d: str, of: str | None) -> bool:
        """A translation mark of ``d`` pointing to ``of``: same gold story, another language."""
        return of is not None and story.get(of) == story[d] and lang.get(of) != lang[d]

    kinds: dict[str, int] = defaultdict(int)
    tr = right = cross_space = cross_right = 0
    per_lang: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for d in (r["doc_id"] for r in rows):
        m = marks.get(d)
        kind = m["kind"] if m else None
        kinds[str(kind) if kind else "none"] += 1
        if kind != "translation":
            continue
        ok = points_right(d, m["of"])  # type: ignore[index]
        tr, right = tr + 1, right + ok
        per_lang[lang[d]]["marked"] += 1
        per_lang[lang[d]]["right"] += ok
        if m["space"] and m["of_space"] and m["space"] != m["of_space"]:  # type: ignore[index]
            cross_space, cross_right = cross_space + 1, cross_right + ok
    out: dict[str, Any] = {
        "marks": dict(sorted(kinds.items())),
        "translation_marks": tr,
        "translation_right": right,
        "translation_precision": right / tr if tr else None,
        "translation_cross_space": cross_space,
        "translation_cross_space_right": cross_right,
        "gold": gold_note,
    }
    if gold:
        found: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for d, is_tr in gold.items():
            if not is_tr:
                continue
            m = marks.get(d) or {}
            hit = m.get("kind") == "translation" and points_right(d, m.get("of"))
            for key in ("all", lang[d]):
                found[key][0] += 1
                found[key][1] += hit
        out["translation_recall"] = {k: {"gold": n, "found": h, "recall": h / n if n else None}
                                     for k, (n, h) in sorted(found.items())}
    for k, v in per_lang.items():
        per_lang[k] = dict(v)  # type: ignore[assignment]
    out["translation_marks_by_language"] = dict(sorted(per_lang.items()))
    return out


def format_lineage(lin: dict[str, Any]) -> list[str]:
    """Lines of the lineage section of the table."""
    p = lin.get("translation_precision")
    rows = ["", f"lineage marks: {', '.join(f'{k} {v}' for k, v in lin['marks'].items())}",
            f"translation marks: {lin['translation_marks']}, {lin['translation_right']} to the same gold story "
            f"in another language (precision proxy {'n/a' if p is None else f'{p:.3f}'}); across vector spaces: "
            f"{lin['translation_cross_space']} ({lin['translation_cross_space_right']} right)",
            f"translation gold: {lin['gold']}"]
    rec = lin.get("translation_recall")
    if rec:
        rows += ["", "| translations of | gold | marked right | recall |", "|---|---:|---:|---:|"]
        for k, v in rec.items():
            r = v["recall"]
            rows.append(f"| {k} | {v['gold']} | {v['found']} | {'n/a' if r is None else f'{r:.3f}'} |")
    return rows


def _instrument(service: Any, timers: dict[str, float]) -> None:
    """Time the embedding and the clustering step inside the real service. The clusterer asks
    for an article's title vector only when it needs it (inside the cluster step): that time
    is counted as embedding, not clustering."""
    embed, title, assign = service.embed_article, service.embed_title, service._assign
    title_key = "  embed e5-small title (when the clusterer or lineage needs it)"

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
            f"{','.join(result.get('force_e5') or []) or 'none'}; joined across spaces: {result.get('bridged')}; "
            f"e5-small title vectors stored: {result.get('title_vectors')}",
            f"stream order: {result.get('order', 'date')}"
            + ("; documents cut to title + first sentence" if result.get("short") else ""), "",
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
    from newsloom.bench.stories_baseline import format_baseline

    rows += format_baseline(result)
    if result.get("lineage"):
        rows += format_lineage(result["lineage"])
    rows += ["", "| stage | ms/article |", "|---|---:|"]
    for k, v in result["stage_ms_per_article"].items():
        rows.append(f"| {k} | {v:.1f} |")
    rows.append(f"| **end to end** | {1000 / result['end_to_end_articles_per_s']:.1f} "
                f"({result['end_to_end_articles_per_s']:.1f} articles/s) |")
    rows.append(f"| peak RSS MB | {result['peak_rss_mb']:.0f} |")
    return "\n".join(rows)
