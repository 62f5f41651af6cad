"""Story-similarity benchmark on pairs in the SemEval-2022 Task 8 layout.

CSV columns used: ``pair_id, lang1, lang2, text1, text2, Overall`` (1 = same story ... 4 =
unrelated); texts are "title + head/tail of body". Reports, overall and per language pair:
Pearson r between ``-score`` and ``Overall`` (positive when good), ROC-AUC of same story
(Overall <= 1.5) vs different (Overall >= 3), n, and the time per pair (embedding included).
"""

from __future__ import annotations

import csv
import math
import re
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from newsloom.analyse.boilerplate import boilerplate_start
from newsloom.errors import BenchError

REQUIRED = ("pair_id", "lang1", "lang2", "text1", "text2", "Overall")
MODES = ("fast", "quality")

# The SemEval texts glue title and body with two spaces or a newline, when they mark it at all.
_TITLE_SEP = re.compile(r"\s{2,}|\n")


def split_title(text: str, max_title: int = 200) -> tuple[str, str]:
    """(title, body) of a "title + body" string: up to a double space / newline in the first
    ``max_title`` characters, else the first ~100 characters cut at a word boundary (and
    before a boilerplate phrase glued to the headline, see ``boilerplate_start``)."""
    text = text.strip()
    m = _TITLE_SEP.search(text, 0, max_title)
    if m and m.start() >= 10:
        return text[: m.start()].strip(), text[m.end() :].strip()
    if len(text) <= 100:
        return text, ""
    cut = text.rfind(" ", 0, 101)
    cut = cut if cut > 40 else 100
    # A scraped page may glue the headline to a banner ("<headline> Um die Funktion unserer
    # Website zu verbessern ..."): end the title where such a phrase starts.
    start = boilerplate_start(text[:cut])
    if start is not None and start >= 20:
        cut = text.rfind(" ", 0, start + 1)
        cut = cut if cut >= 20 else start
    # The title stays part of the body too: without a marker we cannot know where it ends.
    return text[:cut].strip(), text


def read_pairs(pairs_csv: Path, limit: int | None = None) -> list[dict[str, Any]]:
    path = Path(pairs_csv)
    if not path.is_file():
        raise BenchError(f"{path}: pairs CSV not found")
    csv.field_size_limit(min(sys.maxsize, 2**31 - 1))
    try:
        with path.open(encoding="utf-8", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = [c for c in REQUIRED if c not in (reader.fieldnames or [])]
            if missing:
                raise BenchError(
                    f"{path}: missing column(s) {', '.join(missing)} (expected the SemEval-2022 "
                    f"Task 8 layout: {', '.join(REQUIRED)})"
                )
            rows = []
            for lineno, row in enumerate(reader, start=2):
                try:
                    overall = float(row["Overall"])
                except (TypeError, ValueError):
                    raise BenchError(f"{path}:{lineno}: Overall={row['Overall']!r} is not a number") from None
                if not math.isfinite(overall):
                    raise BenchError(f"{path}:{lineno}: Overall={row['Overall']!r} is not finite")
                rows.append(
                    {
                        "pair_id": row["pair_id"],
                        "lang1": (row["lang1"] or "").strip() or None,
                        "lang2": (row["lang2"] or "").strip() or None,
                        "text1": row["text1"] or "",
                        "text2": row["text2"] or "",
                        "overall": overall,
                    }
                )
                if limit is not None and len(rows) >= limit:
                    break
    except UnicodeDecodeError as exc:
        raise BenchError(f"{path}: not UTF-8 text ({exc})") from None
    except csv.Error as exc:
        raise BenchError(f"{path}: not a readable CSV ({exc})") from None
    if not rows:
        raise BenchError(f"{path}: no pairs")
    return rows


def roc_auc(pos: Sequence[float], neg: Sequence[float]) -> float | None:
    """Mann-Whitney AUC (ties count half); None when a class is empty."""
    if len(pos) == 0 or len(neg) == 0:
        return None
    p = np.asarray(pos, dtype=float)[:, None]
    n = np.asarray(neg, dtype=float)[None, :]
    return float(np.mean(p > n) + 0.5 * np.mean(p == n))


def pearson_r(x: Sequence[float], y: Sequence[float]) -> float | None:
    """None when undefined (fewer than 3 pairs or a constant side)."""
    a, b = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    if len(a) < 3 or a.std() == 0 or b.std() == 0:
        return None
    return float(np.corrcoef(a, b)[0, 1])


def score_metrics(scores: Sequence[float], overall: Sequence[float]) -> dict[str, Any]:
    s, y = np.asarray(scores, dtype=float), np.asarray(overall, dtype=float)
    r = pearson_r(-s, y)
    return {
        "n": len(s),
        "pearson_r": None if r is None else round(r, 4),
        "roc_auc": None if (a := roc_auc(s[y <= 1.5], s[y >= 3])) is None else round(a, 4),
        "n_same": int(np.sum(y <= 1.5)),
        "n_different": int(np.sum(y >= 3)),
    }


Scorer = Callable[[list[dict[str, Any]]], list[float]]


def _pair_reprs(rows: list[dict[str, Any]], mode: str) -> list[Any]:
    from newsloom.bench.similarity_model import build_reprs

    if mode not in MODES:
        raise BenchError(f"similarity mode {mode!r}: expected one of {', '.join(MODES)}")
    items = []
    for row in rows:
        for side in ("1", "2"):
            title, body = split_title(row["text" + side])
            items.append((title, body, row["lang" + side], None))
    return build_reprs(items, quality=(mode == "quality"))


def newsloom_scorer(mode: str = "fast") -> Scorer:
    """Scores pairs with :func:`newsloom.bench.similarity_model.story_similarity`."""
    from newsloom.bench.similarity_model import story_similarity

    if mode not in MODES:
        raise BenchError(f"similarity mode {mode!r}: expected one of {', '.join(MODES)}")

    def score(rows: list[dict[str, Any]]) -> list[float]:
        reprs = _pair_reprs(rows, mode)
        return [story_similarity(reprs[2 * i], reprs[2 * i + 1]) for i in range(len(rows))]

    return score


def _ridge(x: np.ndarray, t: np.ndarray, lam: float) -> np.ndarray:
    xb = np.c_[np.ones(len(x)), x]
    reg = lam * len(x) * np.eye(xb.shape[1])
    reg[0, 0] = 0.0  # the intercept is not shrunk
    return np.linalg.solve(xb.T @ xb + reg, xb.T @ t)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


def _fit_logistic(x: np.ndarray, t: np.ndarray, lam: float, iters: int = 60) -> np.ndarray:
    """Ridge-penalised least squares of ``sigmoid(intercept + x @ w)`` on ``t`` in [0, 1]
    (damped Gauss-Newton; a dozen weights, so a few dozen small solves). Least squares rather
    than log-loss because the target is a graded score, not a class. Written out with numpy so
    the project needs no optimisation library for a refit."""
    xb = np.c_[np.ones(len(x)), x]
    w = np.zeros(xb.shape[1])
    reg = lam * len(x) * np.eye(xb.shape[1])
    reg[0, 0] = 0.0  # the intercept is not shrunk
    damping = 1e-2 * np.eye(xb.shape[1])
    for _ in range(iters):
        p = _sigmoid(xb @ w)
        jac = xb * (p * (1.0 - p))[:, None]
        step = np.linalg.solve(jac.T @ jac + reg + damping, jac.T @ (p - t) + reg @ w)
        w = w - step
        if float(np.max(np.abs(step))) < 1e-7:
            break
    return w


def _fit(x: np.ndarray, t: np.ndarray, lam: float, link: str) -> np.ndarray:
    return _fit_logistic(x, t, lam) if link == "logistic" else _ridge(x, t, lam)


def _predict(w: np.ndarray, x: np.ndarray, link: str = "clip") -> np.ndarray:
    z = np.c_[np.ones(len(x)), x] @ w
    return _sigmoid(z) if link == "logistic" else np.clip(z, 0.0, 1.0)


# Ridge strength per link: the logistic weights are ~4x the linear ones, so the same penalty
# bites harder; each was chosen by held-out Pearson r on SemEval dev (1e-4 .. 1e-2 tried).
DEFAULT_LAMBDA = {"clip": 1e-3, "logistic": 3e-4}


def refit(
    pairs_csv: Path,
    mode: str = "fast",
    splits: int = 20,
    seed: int = 0,
    lam: float | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Refit the weights of the similarity model that scores most pairs (least squares on
    ``(4 - Overall) / 3`` through the model's link, ridge-penalised, as the shipped weights
    were fitted) and report Pearson r / ROC-AUC held out (mean over ``splits`` random halves,
    each fitted on one half and scored on the other, both ways) and in-sample, next to the
    shipped weights' scores on the same pairs. ``lam`` defaults to DEFAULT_LAMBDA[link]."""
    from newsloom.bench.similarity_model import model_inputs, model_link, model_weights

    rows = read_pairs(pairs_csv, limit)
    reprs = _pair_reprs(rows, mode)
    found = [model_inputs(reprs[2 * i], reprs[2 * i + 1]) for i in range(len(rows))]
    counts: dict[int, int] = {}
    for f in found:
        if f is not None:
            counts[f[0]] = counts.get(f[0], 0) + 1
    if not counts:
        raise BenchError(f"{pairs_csv}: no pair shares a vector space")
    model = max(counts, key=lambda k: counts[k])
    idx = [i for i, f in enumerate(found) if f is not None and f[0] == model]
    if len(idx) < 10:
        raise BenchError(f"{pairs_csv}: {len(idx)} pairs for model {model}; need at least 10 to refit")
    x = np.array([found[i][1] for i in idx], dtype=float)  # type: ignore[index]
    y = np.array([rows[i]["overall"] for i in idx], dtype=float)
    t = (4.0 - y) / 3.0
    link = model_link(model)
    lam = DEFAULT_LAMBDA.get(link, 1e-3) if lam is None else lam
    rng = np.random.default_rng(seed)
    held_r, held_auc = [], []
    for _ in range(splits):
        perm = rng.permutation(len(idx))
        half = len(idx) // 2
        for tr, te in ((perm[:half], perm[half:]), (perm[half:], perm[:half])):
            s = _predict(_fit(x[tr], t[tr], lam, link), x[te], link)
            m = score_metrics(s, y[te])
            if m["pearson_r"] is not None:
                held_r.append(m["pearson_r"])
            if m["roc_auc"] is not None:
                held_auc.append(m["roc_auc"])
    w = _fit(x, t, lam, link)
    intercept, shipped = model_weights(model)
    return {
        "model": model,
        "link": link,
        "lambda": lam,
        "n": len(idx),
        "weights": [round(float(v), 3) for v in w],
        "shipped_weights": [round(float(v), 3) for v in [intercept, *shipped]],
        "held_out_pearson_r": round(float(np.mean(held_r)), 4) if held_r else None,
        "held_out_roc_auc": round(float(np.mean(held_auc)), 4) if held_auc else None,
        "in_sample": score_metrics(_predict(w, x, link), y),
        "shipped": score_metrics(_predict(np.array([intercept, *shipped]), x, link), y),
    }


def out_of_fold(reprs: list[Any], overall: Sequence[float], folds: int = 10, repeats: int = 5,
                seed: int = 0, lam: float | None = None) -> list[float]:
    """Cross-validated scores: each pair scored by weights fitted on the *other* folds (folds
    by pair, ``repeats`` random fold assignments averaged), for the pairs of the model that
    scores most pairs; the others keep the shipped weights' score (they are too few to fit).
    No pair is ever scored by weights that saw it: this is the number to report."""
    from newsloom.bench.similarity_model import model_inputs, model_link, story_similarity

    n = len(overall)
    shipped = [story_similarity(reprs[2 * i], reprs[2 * i + 1]) for i in range(n)]
    found = [model_inputs(reprs[2 * i], reprs[2 * i + 1]) for i in range(n)]
    counts: dict[int, int] = {}
    for f in found:
        if f is not None:
            counts[f[0]] = counts.get(f[0], 0) + 1
    if not counts:
        return shipped
    model = max(counts, key=lambda k: counts[k])
    idx = np.array([i for i, f in enumerate(found) if f is not None and f[0] == model])
    if len(idx) < 2 * folds:
        return shipped
    x = np.array([found[i][1] for i in idx], dtype=float)  # type: ignore[index]
    t = (4.0 - np.array([overall[i] for i in idx], dtype=float)) / 3.0
    link = model_link(model)
    lam = DEFAULT_LAMBDA.get(link, 1e-3) if lam is None else lam
    rng = np.random.default_rng(seed)
    pred = np.zeros(len(idx))
    for _ in range(repeats):
        fold = rng.permutation(len(idx)) % folds
        for k in range(folds):
            test = fold == k
            pred[test] += _predict(_fit(x[~test], t[~test], lam, link), x[test], link)
    out = list(shipped)
    for j, i in enumerate(idx):
        out[int(i)] = float(pred[j] / repeats)
    return out


def run(
    pairs_csv: Path,
    limit: int | None = None,
    mode: str = "fast",
    scorer: Scorer | None = None,
) -> dict[str, Any]:
    """Score every pair and report Pearson r / ROC-AUC overall and per language pair: with the
    shipped weights (fitted on SemEval dev itself, so in-sample there) and, for newsloom's own
    scorer, cross-validated (:func:`out_of_fold`; the headline, ``cross_validated``)."""
    rows = read_pairs(pairs_csv, limit)
    t0 = time.perf_counter()
    reprs = None
    if scorer is None:
        from newsloom.bench.similarity_model import story_similarity

        reprs = _pair_reprs(rows, mode)
        scores = [story_similarity(reprs[2 * i], reprs[2 * i + 1]) for i in range(len(rows))]
    else:
        scores = scorer(rows)
    elapsed = time.perf_counter() - t0
    if len(scores) != len(rows):
        raise BenchError(f"scorer returned {len(scores)} scores for {len(rows)} pairs")
    overall = [r["overall"] for r in rows]
    result: dict[str, Any] = {
        "pairs_csv": str(pairs_csv),
        "mode": mode,
        **score_metrics(scores, overall),
        "ms_per_pair": round(1000 * elapsed / len(rows), 2),
        "per_lang_pair": {},
    }
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(rows):
        groups.setdefault(f"{r['lang1']}-{r['lang2']}", []).append(i)
    for key in sorted(groups, key=lambda k: (-len(groups[k]), k)):
        idx = groups[key]
        result["per_lang_pair"][key] = score_metrics([scores[i] for i in idx], [overall[i] for i in idx])
    result["scores"] = {r["pair_id"]: round(float(s), 5) for r, s in zip(rows, scores)}
    if reprs is not None:
        cv = out_of_fold(reprs, overall)
        result["cross_validated"] = {
            "how": "10 folds by pair, 5 random repeats; each pair scored by weights fitted on the other folds",
            **score_metrics(cv, overall),
            "per_lang_pair": {key: score_metrics([cv[i] for i in idx], [overall[i] for i in idx])
                              for key, idx in ((k, groups[k]) for k in result["per_lang_pair"])},
        }
    return result


def _fmt(v: Any) -> str:
    return "-" if v is None else (f"{v:.3f}" if isinstance(v, float) else str(v))


def format_table(result: dict[str, Any]) -> str:
    """A Markdown table: overall row first, then one row per language pair."""
    lines = [
        (f"Story similarity on {result.get('pairs_csv', '?')} (mode {result.get('mode', '?')}, "
        f"{_fmt(result.get('ms_per_pair'))} ms/pair)"),
        "",
        "| lang pair | n | Pearson r | ROC-AUC | same | different |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    rows = [("all", result)] + list(result.get("per_lang_pair", {}).items())
    for name, m in rows:
        lines.append(
            f"| {name} | {m['n']} | {_fmt(m['pearson_r'])} | {_fmt(m['roc_auc'])} | "
            f"{m['n_same']} | {m['n_different']} |"
        )
    cv = result.get("cross_validated")
    if cv:
        lines[0] += " — shipped weights (fitted on SemEval dev: in-sample there)"
        lines += ["", f"Cross-validated ({cv['how']}): the number to report", "",
                  "| lang pair | n | Pearson r | ROC-AUC |", "|---|---:|---:|---:|",
                  f"| all | {cv['n']} | {_fmt(cv['pearson_r'])} | {_fmt(cv['roc_auc'])} |"]
        lines += [f"| {k} | {m['n']} | {_fmt(m['pearson_r'])} | {_fmt(m['roc_auc'])} |"
                  for k, m in cv["per_lang_pair"].items()]
    return "\n".join(lines)


def run_story_groups(
    docs_jsonl: Path, limit: int | None = None, mode: str = "fast", use_dates: bool = True
) -> dict[str, Any]:
    """Same-story vs different-story separation on a JSONL corpus with ``story_id`` (and
    optionally ``topic``, which gives hard negatives: same topic, different story), e.g.
    Wikinews MEANTIME. Reports ROC-AUC over all pairs, over hard negatives only, and across
    languages only. ``use_dates=False`` ignores dates (no date-gap penalty), to see what the
    text alone does."""
    import json

    from newsloom.bench.similarity_model import build_reprs, story_similarity

    path = Path(docs_jsonl)
    if not path.is_file():
        raise BenchError(f"{path}: corpus JSONL not found")
    docs = []
    with path.open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, start=1):
            if not line.strip():
                continue
            try:
                d = json.loads(line)
            except json.JSONDecodeError as exc:
                raise BenchError(f"{path}:{lineno}: not valid JSON ({exc})") from None
            if not isinstance(d, dict) or "story_id" not in d:
                raise BenchError(f"{path}:{lineno}: expected an object with story_id")
            docs.append(d)
            if limit is not None and len(docs) >= limit:
                break
    if len(docs) < 2:
        raise BenchError(f"{path}: fewer than two documents")
    t0 = time.perf_counter()
    reprs = build_reprs(
        [(d.get("title"), d.get("text"), d.get("lang"), d.get("date") if use_dates else None) for d in docs],
        quality=(mode == "quality"),
    )
    embed_s = time.perf_counter() - t0
    same, diff, hard, same_x, diff_x = [], [], [], [], []
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            s = story_similarity(reprs[i], reprs[j])
            cross = docs[i].get("lang") != docs[j].get("lang")
            if docs[i]["story_id"] == docs[j]["story_id"]:
                same.append(s)
                if cross:
                    same_x.append(s)
            else:
                diff.append(s)
                if cross:
                    diff_x.append(s)
                if docs[i].get("topic") is not None and docs[i].get("topic") == docs[j].get("topic"):
                    hard.append(s)

    def r4(v: float | None) -> float | None:
        return None if v is None else round(v, 4)

    return {
        "corpus": str(path),
        "mode": mode,
        "use_dates": use_dates,
        "docs": len(docs),
        "same_pairs": len(same),
        "different_pairs": len(diff),
        "roc_auc": r4(roc_auc(same, diff)),
        "roc_auc_hard_negatives": r4(roc_auc(same, hard)),
        "roc_auc_cross_lingual": r4(roc_auc(same_x, diff_x)),
        "mean_same": r4(float(np.mean(same))) if same else None,
        "mean_different": r4(float(np.mean(diff))) if diff else None,
        "ms_per_doc_embed": round(1000 * embed_s / len(docs), 1),
    }
