"""Entities and quotes benchmark: speed, and how well entity keys tie one story across languages.

    python benchmarks/entities.py [--shared ../shared] [--json benchmarks/results/entities.json]

On Wikinews MEANTIME (120 stories x en/es/it/nl; es/it/nl are professional translations; 4 topics)
it compares, for every cross-language pair of articles, the Jaccard overlap of their entity key
sets: pairs of the *same story* against pairs of *different stories of the same topic* (the hard
negatives a story clusterer meets). ROC-AUC says how well key overlap alone separates the two.
Speed is CPU time per article on one core (time.process_time): entities, quotes, and both (they share one tagging
pass), scaled to ms per 3 KB of text.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections import defaultdict
from itertools import combinations
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from newsloom.analyse.entities import extract_entities  # noqa: E402
from newsloom.analyse.quotes import extract_quotes  # noqa: E402

TYPES = ("PER", "LOC", "ORG", "MISC")


def _shared(arg: str | None) -> Path:
    return Path(arg or os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a or b else 0.0


def _auc(pos: list[float], neg: list[float]) -> float:
    """Probability that a random positive scores above a random negative (ties count half)."""
    ranked = sorted([(s, 1) for s in pos] + [(s, 0) for s in neg])
    rank_sum, i = 0.0, 0
    while i < len(ranked):
        j = i
        while j < len(ranked) and ranked[j][0] == ranked[i][0]:
            j += 1
        avg = (i + j + 1) / 2  # 1-based average rank of the tie block
        rank_sum += avg * sum(1 for k in range(i, j) if ranked[k][1])
        i = j
    n_pos, n_neg = len(pos), len(neg)
    return (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg) if n_pos and n_neg else 0.0


def _summary(values: list[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 4) if values else 0.0,
            "median": round(statistics.median(values), 4) if values else 0.0, "n": len(values)}


def _time(fn: Any, docs: list[dict[str, Any]], key: str = "text") -> dict[str, float]:
    per_doc, chars = [], 0
    for d in docs:
        text = d[key] + "\u200b"  # a fresh string, so no cached tagging pass is reused
        t = time.process_time()  # CPU time: other processes on the machine do not inflate it
        fn(text, d["lang"])
        per_doc.append((time.process_time() - t) * 1000)
        chars += len(d[key])
    total = sum(per_doc)
    return {"ms_per_article": round(total / len(docs), 3),
            "ms_per_3kb": round(total / chars * 3000, 3),
            "p95_ms": round(sorted(per_doc)[int(0.95 * (len(per_doc) - 1))], 3)}


def _both(text: str, lang: str) -> None:
    extract_entities(text, lang)
    extract_quotes(text, lang)


def run(shared: Path) -> dict[str, Any]:
    path = shared / "corpora" / "wikinews-meantime" / "docs.jsonl"
    if not path.is_file():
        raise SystemExit(f"{path}: not found (set NEWSLOOM_SHARED or pass --shared)")
    docs = [json.loads(line) for line in path.open(encoding="utf-8")]
    for d in docs:
        d["full"] = f"{d['title']}\n\n{d['text']}"
    extract_entities("warm up the lexicon", "en")

    keys: dict[str, dict[str, set[str]]] = {}
    per_lang: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
    for d in docs:
        ents = extract_entities(d["full"], d["lang"])
        quotes = extract_quotes(d["full"], d["lang"])
        keys[d["doc_id"]] = {
            "all": {f"{e.type}:{e.key}" for e in ents},
            "per_loc_org": {f"{e.type}:{e.key}" for e in ents if e.type != "MISC"},
            "keys_any_type": {e.key for e in ents},
        }
        stats = per_lang[d["lang"]]
        stats["entities"].append(len(ents))
        for t in TYPES:
            stats[t].append(sum(1 for e in ents if e.type == t))
        stats["quotes"].append(len(quotes))
        stats["quotes_with_speaker"].append(sum(1 for q in quotes if q.speaker))

    overlap: dict[str, Any] = {}
    for variant in ("all", "per_loc_org", "keys_any_type"):
        same, other_cross, other_same_lang = [], [], []
        by_pair: dict[str, list[float]] = defaultdict(list)
        for a, b in combinations(docs, 2):
            if a["topic"] != b["topic"]:
                continue
            j = _jaccard(keys[a["doc_id"]][variant], keys[b["doc_id"]][variant])
            if a["story_id"] == b["story_id"]:
                same.append(j)
                by_pair["-".join(sorted((a["lang"], b["lang"])))].append(j)
            elif a["lang"] != b["lang"]:
                other_cross.append(j)
            else:
                other_same_lang.append(j)
        overlap[variant] = {
            "same_story_cross_lang": _summary(same),
            "other_story_same_topic_cross_lang": _summary(other_cross),
            "other_story_same_topic_same_lang": _summary(other_same_lang),
            "auc_same_vs_other_cross_lang": round(_auc(same, other_cross), 4),
            "same_story_by_lang_pair": {k: _summary(v) for k, v in sorted(by_pair.items())},
        }

    speed = {
        "entities": _time(extract_entities, docs),
        "quotes": _time(extract_quotes, docs),
        "entities+quotes": _time(_both, docs),
    }
    seeds = sorted((shared / "seeds").glob("*.txt"))
    if seeds:
        seed_docs = [{"text": p.read_text(encoding="utf-8"), "lang": "pt" if "004_" in p.name else "en"}
                     for p in seeds]
        speed["entities+quotes (seed pages)"] = _time(_both, seed_docs * 20)
    return {
        "corpus": "wikinews-meantime",
        "docs": len(docs),
        "stories": len({d["story_id"] for d in docs}),
        "key_overlap_jaccard": overlap,
        "per_language_means": {lang: {k: round(statistics.fmean(v), 2) for k, v in s.items()}
                               for lang, s in sorted(per_lang.items())},
        "speed_one_core": speed,
    }


def table(r: dict[str, Any]) -> str:
    lines = ["| key set | same story, cross-lang | other story same topic, cross-lang | "
             "other story same topic, same lang | AUC |", "|---|---|---|---|---|"]
    for variant, o in r["key_overlap_jaccard"].items():
        lines.append(f"| {variant} | {o['same_story_cross_lang']['mean']:.3f} | "
                     f"{o['other_story_same_topic_cross_lang']['mean']:.3f} | "
                     f"{o['other_story_same_topic_same_lang']['mean']:.3f} | "
                     f"{o['auc_same_vs_other_cross_lang']:.3f} |")
    lines += ["", "| language pair (same story) | mean Jaccard (all keys) |", "|---|---|"]
    for pair, s in r["key_overlap_jaccard"]["all"]["same_story_by_lang_pair"].items():
        lines.append(f"| {pair} | {s['mean']:.3f} |")
    lines += ["", "| lang | entities | PER | LOC | ORG | MISC | quotes | with speaker |",
              "|---|---|---|---|---|---|---|---|"]
    for lang, s in r["per_language_means"].items():
        lines.append(f"| {lang} | {s['entities']} | {s['PER']} | {s['LOC']} | {s['ORG']} | "
                     f"{s['MISC']} | {s['quotes']} | {s['quotes_with_speaker']} |")
    lines += ["", "| stage (one core) | ms/article | ms per 3 KB | p95 ms |", "|---|---|---|---|"]
    for stage, s in r["speed_one_core"].items():
        lines.append(f"| {stage} | {s['ms_per_article']} | {s['ms_per_3kb']} | {s['p95_ms']} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=None)
    ap.add_argument("--json", default=str(REPO / "benchmarks" / "results" / "entities.json"))
    args = ap.parse_args()
    result = run(_shared(args.shared))
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(table(result))
    print(f"\nwritten {args.json}")


if __name__ == "__main__":
    main()
