"""Story-clustering benchmark: stream JSONL corpora through embedding + clustering.

Corpus layout (one JSON object per line): ``doc_id``, ``story_id``, ``lang``, ``title``,
``text``, optional ``date`` (ISO) and ``url``. Items are streamed in date order; undated items
keep file order and, with several files, the stream is sorted by (date, file, line) with
undated items first (their time is unknown, so they are treated as already there).

Scores, as the field computes them (see ``../shared/README.md``): BCubed precision/recall/F1
(per item, share of its predicted cluster in its gold cluster and the reverse, averaged over
items) and pairwise precision/recall/F1 over all item pairs; overall, per language (items of
that language only) and cross-language (pairs of items in different languages).
"""

from __future__ import annotations

import hashlib
import json
import resource
import time
from collections import Counter
from collections.abc import Hashable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from newsloom.bench.semeval_corpus import is_semeval_csv, read_semeval
from newsloom.errors import BenchError
from newsloom.stories.cluster import ClusterItem, StoryClusterer

REQUIRED = ("doc_id", "story_id", "lang", "title", "text")


# --- metrics ------------------------------------------------------------------------------------
def _prf(p: float, r: float) -> dict[str, float]:
    return {"precision": p, "recall": r, "f1": 2 * p * r / (p + r) if p + r else 0.0}


def bcubed(pred: Sequence[Hashable], gold: Sequence[Hashable]) -> dict[str, float]:
    """BCubed precision/recall/F1 (Bagga & Baldwin 1998), averaged over items."""
    if len(pred) != len(gold):
        raise BenchError(f"bcubed: {len(pred)} predicted labels but {len(gold)} gold labels")
    if not pred:
        return _prf(0.0, 0.0)
    pc, gc, cell = Counter(pred), Counter(gold), Counter(zip(pred, gold))
    p = sum(cell[(a, b)] / pc[a] for a, b in zip(pred, gold)) / len(pred)
    r = sum(cell[(a, b)] / gc[b] for a, b in zip(pred, gold)) / len(pred)
    return _prf(p, r)


def _pairs(n: int) -> int:
    return n * (n - 1) // 2


def pairwise(pred: Sequence[Hashable], gold: Sequence[Hashable],
             langs: Sequence[str] | None = None) -> dict[str, float]:
    """Pairwise precision/recall/F1 over item pairs; with ``langs``, only pairs whose two items
    have different languages (the cross-language score). Counted from cluster sizes, not by
    enumerating pairs, so it is linear in the number of items."""
    if len(pred) != len(gold) or (langs is not None and len(langs) != len(pred)):
        raise BenchError("pairwise: pred, gold (and langs) must have the same length")

    def count(keys: Sequence[Hashable]) -> int:
        if langs is None:
            return sum(_pairs(n) for n in Counter(keys).values())
        total = sum(_pairs(n) for n in Counter(keys).values())
        same = sum(_pairs(n) for n in Counter(zip(keys, langs)).values())
        return total - same

    tp = count(list(zip(pred, gold)))
    n_pred, n_gold = count(list(pred)), count(list(gold))
    # No predicted (or gold) pairs: nothing was wrongly (or needed to be) joined -> 1.0, the
    # usual convention; the pair counts are reported so an empty slice is visible.
    out = _prf(tp / n_pred if n_pred else 1.0, tp / n_gold if n_gold else 1.0)
    out["gold_pairs"] = n_gold
    out["predicted_pairs"] = n_pred
    return out


def bcubed_cross(pred: Sequence[Hashable], gold: Sequence[Hashable], langs: Sequence[str]) -> dict[str, float]:
    """BCubed over other-language items only: per item, the share of the *other-language*
    members of its predicted cluster that are in its gold cluster (and the reverse). Items with
    no other-language member on a side are left out of that side's average."""
    pl, gl = Counter(zip(pred, langs)), Counter(zip(gold, langs))
    pc, gc = Counter(pred), Counter(gold)
    cell, cell_l = Counter(zip(pred, gold)), Counter(zip(pred, gold, langs))
    ps, rs = [], []
    for a, b, lang in zip(pred, gold, langs):
        both = cell[(a, b)] - cell_l[(a, b, lang)]
        den_p = pc[a] - pl[(a, lang)]
        den_r = gc[b] - gl[(b, lang)]
        if den_p:
            ps.append(both / den_p)
        if den_r:
            rs.append(both / den_r)
    return _prf(sum(ps) / len(ps) if ps else 0.0, sum(rs) / len(rs) if rs else 0.0)


def scores(pred: Sequence[Hashable], gold: Sequence[Hashable], langs: Sequence[str]) -> dict[str, Any]:
    out: dict[str, Any] = {"overall": {"bcubed": bcubed(pred, gold), "pairwise": pairwise(pred, gold),
                                       "items": len(pred)}}
    for lang in sorted(set(langs)):
        idx = [i for i, x in enumerate(langs) if x == lang]
        p, g = [pred[i] for i in idx], [gold[i] for i in idx]
        out[f"lang:{lang}"] = {"bcubed": bcubed(p, g), "pairwise": pairwise(p, g), "items": len(idx)}
    if len(set(langs)) > 1:
        out["cross-language"] = {"bcubed": bcubed_cross(pred, gold, langs),
                                 "pairwise": pairwise(pred, gold, langs), "items": len(pred)}
    return out


# --- corpus -------------------------------------------------------------------------------------
def _parse_date(value: Any, where: str) -> datetime | None:
    if value in (None, ""):
        return None
    try:
        d = datetime.fromisoformat(str(value))
    except ValueError:
        raise BenchError(f"{where}: date {value!r} is not ISO 8601") from None
    return d.replace(tzinfo=UTC) if d.tzinfo is None else d


def read_corpus(paths: Path | str | Sequence[Path | str], limit: int | None = None) -> list[dict[str, Any]]:
    """Rows of one or several JSONL corpora, in stream order (see the module doc). A SemEval-2022
    Task 8 pairs CSV is read as a corpus too (``newsloom.bench.semeval_corpus``)."""
    if isinstance(paths, (str, Path)):
        paths = [paths]
    rows: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
    seen: set[str] = set()
    for fi, path in enumerate(Path(p) for p in paths):
        if not path.is_file():
            raise BenchError(f"{path}: corpus file not found")
        if is_semeval_csv(path):  # SemEval-2022 Task 8 pairs, read as stories (bench/semeval_corpus.py)
            for li, row in enumerate(read_semeval(path), 1):
                if row["doc_id"] in seen:
                    continue
                seen.add(row["doc_id"])
                row["_date"], row["_pos"] = None, (fi, li)
                rows.append(((False, datetime.min.replace(tzinfo=UTC), fi, li), row))
            continue
        with path.open("rb") as fh:
            for li, raw in enumerate(fh, 1):
                where = f"{path}:{li}"
                try:
                    line = raw.decode("utf-8")
                except UnicodeDecodeError:
                    raise BenchError(f"{where}: not UTF-8 text (a JSONL corpus, or a SemEval pairs CSV, in UTF-8)") from None
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise BenchError(f"{where}: not valid JSON ({exc.msg})") from None
                if not isinstance(row, dict):
                    raise BenchError(f"{where}: expected a JSON object")
                missing = [k for k in REQUIRED if k not in row]
                if missing:
                    raise BenchError(f"{where}: missing field(s) {', '.join(missing)}")
                # doc ids may repeat across files (same article in two corpora): keep the first
                if row["doc_id"] in seen:
                    continue
                seen.add(row["doc_id"])
                row["_date"] = _parse_date(row.get("date"), where)
                row["_pos"] = (fi, li)  # file order, for streaming in it (bench stories --order file)
                key = (row["_date"] is not None, row["_date"] or datetime.min.replace(tzinfo=UTC), fi, li)
                rows.append((key, row))
    rows.sort(key=lambda kr: kr[0])
    out = [r for _, r in rows]
    return out[:limit] if limit else out


# --- embedding (with an optional on-disk cache for iterating) --------------------------------------
def _embed(texts: list[str], model: str, threads: int,
           cache_dir: Path | None) -> tuple[np.ndarray, int, float, float]:
    """Vectors for ``texts``: (vectors, how many were embedded, wall seconds, CPU seconds);
    the model is loaded before timing starts."""
    from newsloom.analyse.embed import get_embedder

    keys = [hashlib.sha1(f"{model}\0{t}".encode()).hexdigest() for t in texts]
    cached: dict[str, np.ndarray] = {}
    store = cache_dir / f"embeddings-{model.replace(':', '_')}.npz" if cache_dir else None
    if store is not None and store.is_file():
        with np.load(store) as z:
            cached = {k: z[k] for k in z.files}
    todo = sorted({k: t for k, t in zip(keys, texts) if k not in cached}.items())
    spent = cpu = 0.0
    if todo:
        emb = get_embedder(model, threads)
        emb.embed(["warm-up: load the model before timing"])
        t0, c0 = time.perf_counter(), time.process_time()
        vecs = emb.embed([t for _, t in todo])
        spent, cpu = time.perf_counter() - t0, time.process_time() - c0
        cached.update({k: v for (k, _), v in zip(todo, vecs)})
        if store is not None:
            store.parent.mkdir(parents=True, exist_ok=True)
            np.savez(store, **cached)
    return np.stack([cached[k] for k in keys]).astype(np.float32), len(todo), spent, cpu


# --- the run -------------------------------------------------------------------------------------
def run(
    corpus_jsonl: Path | str | Sequence[Path | str],
    model: str = "use-m3",
    threads: int = 1,
    lead_chars: int | None = None,
    cache_dir: Path | None = None,
    limit: int | None = None,
    clusterer: StoryClusterer | None = None,
    synthetic_live: int = 0,
) -> dict[str, Any]:
    """Stream the corpus through embedding + clustering and score it (see the module doc).

    ``cache_dir`` keeps vectors between runs (the embedding time is then only what was not
    cached); ``synthetic_live`` > 0 adds :func:`synthetic_timing` at that many live stories.
    """
    from newsloom.analyse.embed import article_text
    from newsloom.analyse.features import extract_signals
    from newsloom.stories.cluster import DEFAULT_LEAD_CHARS

    lead = DEFAULT_LEAD_CHARS if lead_chars is None else lead_chars
    t0 = time.perf_counter()
    rows = read_corpus(corpus_jsonl, limit)
    read_s = time.perf_counter() - t0
    if not rows:
        raise BenchError(f"{corpus_jsonl}: no documents")
    texts = [article_text(r.get("title"), r.get("text"), lead) for r in rows]
    vecs, n_embedded, embed_s, embed_cpu_s = _embed(texts, model, threads, cache_dir)

    t0 = time.perf_counter()
    sigs = [extract_signals(r.get("title"), r.get("text"), r.get("lang")) for r in rows]
    signals_s = time.perf_counter() - t0

    cl = clusterer or StoryClusterer()
    t0 = time.perf_counter()
    pred = []
    for i, (r, v, s) in enumerate(zip(rows, vecs, sigs)):
        item = ClusterItem(
            article_id=i + 1, vector=v, lang=r.get("lang"), published=r["_date"],
            names=frozenset(s.names) | frozenset(s.multi_names),
            numbers=frozenset(s.numbers) | frozenset(s.years),
            n_words=len(f"{r.get('title') or ''} {r.get('text') or ''}".split()),
        )
        pred.append(cl.add(item).story_id)
    cluster_s = time.perf_counter() - t0
    pred = [cl.resolve(p) for p in pred]
    # steady state: model loading (once per process) is left out
    total_s = read_s + embed_s + signals_s + cluster_s

    n = len(rows)
    result: dict[str, Any] = {
        "corpus": [str(p) for p in ([corpus_jsonl] if isinstance(corpus_jsonl, (str, Path)) else corpus_jsonl)],
        "documents": n,
        "model": model,
        "threads": threads,
        "lead_chars": lead,
        "settings": {k: (str(v) if not isinstance(v, (int, float)) else v) for k, v in vars(cl).items()
                     if k in ("threshold", "window", "window_items", "name_weight", "number_weight",
                              "top_k", "candidates", "max_members", "maintain_every",
                              "exact_search_limit")},
        "stories": len({p for p in pred}),
        "gold_stories": len({r["story_id"] for r in rows}),
        "scores": scores(pred, [r["story_id"] for r in rows], [r.get("lang") or "?" for r in rows]),
        "timing": {
            "embedded": n_embedded,
            "embed_ms_per_article": 1000 * embed_s / n_embedded if n_embedded else None,
            # CPU time (all threads): less sensitive than wall time to other load on the box
            "embed_cpu_ms_per_article": 1000 * embed_cpu_s / n_embedded if n_embedded else None,
            "signals_ms_per_article": 1000 * signals_s / n,
            "cluster_ms_per_article": 1000 * cluster_s / n,
            "articles_per_s": n / total_s,
            "articles_per_s_uncached": (n / (total_s - embed_s + (embed_s / n_embedded) * n)
                                        if n_embedded else None),
        },
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    if synthetic_live:
        result["synthetic"] = synthetic_timing(synthetic_live)
    return result


def synthetic_timing(n_live: int = 100_000, n_queries: int = 1000, dim: int = 512, seed: int = 0,
                     bridged: bool = True, title_dim: int = 384, other_share: float = 0.1) -> dict[str, Any]:
    """Time the clustering step with ``n_live`` live stories (random unit vectors, so each is
    its own story), then ``n_queries`` more articles.

    ``bridged=False``: one vector space; half the queries are near-copies of a live story
    (they join it), half are new (they start a story). ``bridged=True`` (default) measures the
    pipeline's shape: every article also carries a title vector in the shared space, and
    ``other_share`` of the live stories are in a second space (languages the default embedder
    does not cover, ``dim=title_dim``); of the queries (by ``q % 10``) 0-3 are near-copies of a
    default-space story, 4-6 new default-space articles (their bridge attempt scans the small
    space), 7 a near-copy of a second-space story, 8 a second-space article whose title is a
    near-copy of a default-space story's title (it joins that story across spaces), 9 a new
    second-space article (its bridge attempt queries the big space's title index and fails).
    """
    rng = np.random.default_rng(seed)
    cl = StoryClusterer(window_items=10 * (n_live + n_queries))

    def unit(x: np.ndarray) -> np.ndarray:
        return (x / np.linalg.norm(x, axis=-1, keepdims=True)).astype(np.float32)

    def noisy(v: np.ndarray) -> np.ndarray:
        return unit(v + 0.02 * rng.standard_normal(v.shape[0], dtype=np.float32))

    n_other = int(n_live * other_share) if bridged else 0
    base = unit(rng.standard_normal((n_live - n_other, dim), dtype=np.float32))
    other = unit(rng.standard_normal((n_other, title_dim), dtype=np.float32))
    titles = unit(rng.standard_normal((n_live, title_dim), dtype=np.float32)) if bridged else None
    # interleaved, as a stream of mixed languages is
    order = sorted(range(n_live), key=lambda i: (i * 7919) % n_live) if n_other else list(range(n_live))
    t0 = time.perf_counter()
    for i in order:
        own = i >= n_other
        cl.add(ClusterItem(article_id=i + 1, vector=base[i - n_other] if own else other[i],
                           space="default" if own else "other",
                           title_vector=None if titles is None else titles[i]))
    preload_s = time.perf_counter() - t0
    times, cpu = [], []
    joined = bridges = 0
    for q in range(n_queries):
        kind = q % 10 if bridged else (0 if q % 2 == 0 else 4)
        title = unit(rng.standard_normal(title_dim, dtype=np.float32)) if bridged else None
        space = "default"
        if kind <= 3:
            j = n_other + int(rng.integers(n_live - n_other))
            v = noisy(base[j - n_other])
        elif kind <= 6:
            v = unit(rng.standard_normal(dim, dtype=np.float32))
        else:
            space = "other"
            v = unit(rng.standard_normal(title_dim, dtype=np.float32))
            if kind == 7 and n_other:
                v = noisy(other[int(rng.integers(n_other))])
            elif kind == 8 and titles is not None:
                title = noisy(titles[n_other + int(rng.integers(n_live - n_other))])
        t, c = time.perf_counter(), time.process_time()
        a = cl.add(ClusterItem(article_id=n_live + q + 1, vector=v, space=space, title_vector=title))
        times.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
        joined += not a.is_new_story
        bridges += a.bridged
    ms = np.array(times) * 1000
    return {
        "live_stories": len(cl.live_story_ids()) - (n_queries - joined),
        "queries": n_queries,
        "joined": joined,
        "bridged": bridges,
        "spaces": 2 if n_other else 1,
        "ms_per_article_mean": float(ms.mean()),
        "ms_per_article_p50": float(np.percentile(ms, 50)),
        "ms_per_article_p95": float(np.percentile(ms, 95)),
        # CPU time: what the step costs, less sensitive than wall time to other load on the box
        "cpu_ms_per_article_mean": 1000 * float(np.mean(cpu)),
        "preload_ms_per_article": 1000 * preload_s / n_live,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def format_table(result: dict[str, Any]) -> str:
    """A Markdown table of the scores, then the timings."""
    head = (f"Corpus: {', '.join(result['corpus'])} ({result['documents']} docs, "
            f"{result['stories']} predicted / {result['gold_stories']} gold stories)")
    lines = [head, "",
             "| slice | items | BCubed P | BCubed R | BCubed F1 | pair P | pair R | pair F1 |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, s in result["scores"].items():
        b, p = s["bcubed"], s["pairwise"]
        lines.append(f"| {name} | {s['items']} | {b['precision']:.4f} | {b['recall']:.4f} | {b['f1']:.4f} "
                     f"| {p['precision']:.4f} | {p['recall']:.4f} | {p['f1']:.4f} |")
    t = result["timing"]
    fmt = lambda v: "cached" if v is None else f"{v:.2f}"
    lines += ["", "| stage | value |", "|---|---:|",
              f"| embed ms/article ({t['embedded']} embedded) | {fmt(t['embed_ms_per_article'])} |",
              f"| embed CPU ms/article | {fmt(t.get('embed_cpu_ms_per_article'))} |",
              f"| signals ms/article | {t['signals_ms_per_article']:.2f} |",
              f"| cluster ms/article | {t['cluster_ms_per_article']:.3f} |",
              f"| articles/s end to end | {t['articles_per_s']:.1f} |",
              f"| peak RSS MB | {result['peak_rss_mb']:.0f} |"]
    if t.get("articles_per_s_uncached"):
        lines.append(f"| articles/s without cache (est.) | {t['articles_per_s_uncached']:.1f} |")
    if "synthetic" in result:
        s = result["synthetic"]
        lines.append(f"| cluster ms/article at {s['live_stories']} live stories (mean / p95; CPU mean) "
                     f"| {s['ms_per_article_mean']:.3f} / {s['ms_per_article_p95']:.3f}; "
                     f"{s.get('cpu_ms_per_article_mean', float('nan')):.3f} |")
    return "\n".join(lines)
