"""Dedupe (and language-id) benchmark over the Wikinews corpora.

    python benchmarks/dedupe.py [--shared ../shared] [--json benchmarks/results/dedupe.json]
                                [--scale 10000] [--store sqlite|fake]

Stages timed per article: language (detect_article), prepare (canonical URL, content hash,
MinHash), check (store lookups + LSH query), store (add_article), add (LSH insert). The corpus is
ingested as-is, then planted copies are checked: same URL with tracking parameters (same_url),
same URL edited (revision), other URL with punctuation/case/title changes (exact), other URL with
a few words changed and boilerplate added (near). Cross-language translations (MEANTIME) must
stay "new". ``--scale`` adds synthetic documents to time query+add at a larger index size.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
CORPORA = ("wikinews-meantime", "wikinews-primer")


def _shared(arg: str | None) -> Path:
    return Path(arg or os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")


def _store(kind: str) -> Any:
    if kind == "sqlite":
        from newsloom.store import open_store

        return open_store("sqlite:///:memory:")
    sys.path.insert(0, str(REPO / "tests" / "dedupe"))
    from dedupe_fakestore import FakeStore

    return FakeStore()


def _ms(samples: list[float]) -> dict[str, float]:
    if not samples:
        return {"mean": 0.0, "p50": 0.0, "p95": 0.0}
    ordered = sorted(samples)
    return {
        "mean": round(statistics.fmean(samples) * 1000, 3),
        "p50": round(ordered[len(ordered) // 2] * 1000, 3),
        "p95": round(ordered[int(len(ordered) * 0.95)] * 1000, 3),
    }


def _peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # KB on Linux


def language_bench(docs: list[dict[str, Any]]) -> dict[str, Any]:
    from newsloom.analyse.language import detect_article

    detect_article("warm up", "the model loads on first use")
    out: dict[str, Any] = {}
    for corpus in CORPORA:
        sub = [d for d in docs if d["corpus"] == corpus]
        times, hits, abstain = [], 0, 0
        per_lang: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for d in sub:
            t0 = time.perf_counter()
            res = detect_article(d["title"], d["text"])
            times.append(time.perf_counter() - t0)
            ok = res.lang == d["lang"]
            hits += ok
            abstain += res.lang is None
            per_lang[d["lang"]][0] += ok
            per_lang[d["lang"]][1] += 1
        out[corpus] = {
            "articles": len(sub),
            "accuracy": round(hits / len(sub), 4),
            "abstained": abstain,
            "per_lang": {k: round(v[0] / v[1], 4) for k, v in sorted(per_lang.items())},
            "ms": _ms(times),
        }
    out["paragraphs"] = paragraph_bench(docs)
    return out


def _chunks(text: str, size: int = 250) -> list[str]:
    """Split at sentence ends into ~size-character paragraphs (the corpora have one per doc)."""
    parts, cur = [], ""
    for sentence in text.replace(". ", ".\0").replace("\n", "\0").split("\0"):
        cur = f"{cur} {sentence}".strip()
        if len(cur) >= size:
            parts.append(cur)
            cur = ""
    if cur:
        parts.append(cur)
    return parts


def paragraph_bench(docs: list[dict[str, Any]]) -> dict[str, Any]:
    """Paragraph labels on synthetic articles: monolingual ones re-split into paragraphs (no
    paragraph should switch language) and ones with a paragraph from another language inserted
    (that paragraph should be labelled with its language and the article marked mixed)."""
    from newsloom.analyse.language import detect_article

    rng = random.Random(11)
    pool = [d for d in docs if len(d["text"]) > 1200 and d["corpus"] == "wikinews-meantime"]
    mono_paras = switched = mixed_mono = 0
    foreign_ok = mixed_ok = n_mixed = 0
    for d in pool[:200]:
        paras = _chunks(d["text"])
        res = detect_article(d["title"], "\n\n".join(paras))
        mono_paras += len(paras)
        switched += sum(lang != d["lang"] for lang in res.paragraph_langs)
        mixed_mono += res.mixed
        other = rng.choice([o for o in pool if o["lang"] != d["lang"]])
        foreign = _chunks(other["text"])[0]
        at = len(paras) // 2
        res = detect_article(d["title"], "\n\n".join(paras[:at] + [foreign] + paras[at:]))
        n_mixed += 1
        foreign_ok += res.paragraph_langs[at] == other["lang"]
        mixed_ok += res.mixed
    return {
        "monolingual_paragraphs": mono_paras,
        "monolingual_switch_rate": round(switched / max(1, mono_paras), 4),
        "monolingual_marked_mixed": mixed_mono,
        "inserted_foreign_paragraphs": n_mixed,
        "inserted_foreign_labelled_right": round(foreign_ok / max(1, n_mixed), 4),
        "inserted_articles_marked_mixed": round(mixed_ok / max(1, n_mixed), 4),
    }


def _reword(text: str, share: float, rng: random.Random) -> str:
    words = text.split()
    step = max(1, round(1 / share))
    return " ".join(
        f"x{rng.randrange(10**6)}" if k % step == step // 2 else w for k, w in enumerate(words)
    )


def _variants(doc: dict[str, Any], i: int, rng: random.Random) -> list[tuple[str, Any]]:
    from newsloom.models import Article

    return [
        (
            "same_url",
            Article(
                url=doc["url"] + "?utm_source=twitter&fbclid=abc",
                title=doc["title"],
                text=doc["text"],
            ),
        ),
        (
            "revision",
            Article(
                url=doc["url"],
                title=doc["title"],
                text=doc["text"] + "\n\nUpdate: this article was corrected.",
            ),
        ),
        (
            "exact",
            Article(
                url=f"https://copy{i}.example.net/a",
                title="Copied: " + doc["title"],
                text=doc["text"].upper().replace(",", " ,"),
            ),
        ),
        # one word in 50 changed plus a boilerplate line: true Jaccard ~0.85-0.9
        (
            "near",
            Article(
                url=f"https://near{i}.example.net/a",
                title=doc["title"],
                text=_reword(doc["text"], 0.02, rng) + "\n\nRead more: follow us.",
            ),
        ),
        # one word in 8 changed: true Jaccard ~0.4, a rewrite, not a copy
        (
            "new",
            Article(
                url=f"https://far{i}.example.net/a",
                title=doc["title"],
                text=_reword(doc["text"], 0.125, rng),
            ),
        ),
    ]


def _true_jaccard(a: str, b: str) -> float:
    from newsloom.dedupe.neardup import shingles

    sa, sb = set(shingles(a)), set(shingles(b))
    return len(sa & sb) / len(sa | sb) if sa | sb else 0.0


def dedupe_bench(docs: list[dict[str, Any]], store_kind: str, plant: int) -> dict[str, Any]:
    from newsloom.config import Settings
    from newsloom.dedupe import Deduper
    from newsloom.dedupe.neardup import signature
    from newsloom.models import Article

    store = _store(store_kind)
    story = {d["doc_id"]: d["story_id"] for d in docs}
    deduper = Deduper(store, Settings())
    times: dict[str, list[float]] = {k: [] for k in ("prepare", "check", "store", "add")}
    kinds: Counter[str] = Counter()
    flagged: list[dict[str, Any]] = []
    t_all = time.perf_counter()
    for i, d in enumerate(docs):
        art = Article(
            url=d["url"],
            title=d["title"],
            text=d["text"],
            lang=d["lang"],
            doc_id=d["doc_id"],
        )
        t0 = time.perf_counter()
        deduper.prepare(art)
        t1 = time.perf_counter()
        res = deduper.check(art)
        t2 = time.perf_counter()
        kinds[res.kind] += 1
        if res.kind in ("new", "exact", "near"):
            art.duplicate_of = res.of
            stored = store.add_article(art)
            t3 = time.perf_counter()
            deduper.add(stored)
            t4 = time.perf_counter()
            times["store"].append(t3 - t2)
            times["add"].append(t4 - t3)
        times["prepare"].append(t1 - t0)
        times["check"].append(t2 - t1)
        if res.kind != "new":
            other = store.get_article(res.of) if res.of else None
            flagged.append(
                {
                    "doc": d["doc_id"],
                    "kind": res.kind,
                    "jaccard": res.jaccard,
                    "of": other.doc_id if other else None,
                    "same_story": bool(other) and story.get(other.doc_id) == d["story_id"],
                }
            )
    elapsed = time.perf_counter() - t_all

    # planted copies of stored originals
    rng = random.Random(7)
    sample = rng.sample(range(len(docs)), min(plant, len(docs)))
    planted: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    by_truth: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    misses: list[dict[str, Any]] = []
    for i in sample:
        d = docs[i]
        if len(d["text"]) < 400:
            continue  # stubs are below the near-duplicate minimum on purpose
        original = store.find_article_by_hash(
            deduper.prepare(Article(url=d["url"], text=d["text"])).content_hash
        )
        for expected, art in _variants(d, i, rng):
            res = deduper.check(art)
            root = deduper.root(original.id) if original and original.id else None
            ok = res.kind == expected and (
                res.of == root or expected in ("same_url", "revision", "new")
            )
            planted[expected][0] += ok
            planted[expected][1] += 1
            if expected in ("near", "new"):
                truth = _true_jaccard(d["text"], art.text)
                bucket = "J>=0.8" if truth >= 0.8 else "J<0.8"
                by_truth[f"{bucket} flagged near"][0] += res.kind == "near"
                by_truth[f"{bucket} flagged near"][1] += 1
            if not ok:
                misses.append(
                    {
                        "doc": d["doc_id"],
                        "expected": expected,
                        "got": res.kind,
                        "jaccard": res.jaccard,
                        "true_jaccard": round(_true_jaccard(d["text"], art.text), 3),
                    }
                )

    # signature speed on 3 KB documents
    blob = " ".join(d["text"] for d in docs)
    chunks = [blob[k : k + 3000] for k in range(0, min(len(blob), 3000 * 500), 3000)]
    runs = []
    for _ in range(3):  # best of 3: the machine is shared, the minimum is the cost
        t0 = time.perf_counter()
        for c in chunks:
            signature(c)
        runs.append((time.perf_counter() - t0) / len(chunks) * 1000)
    sig_ms = min(runs)
    if hasattr(store, "close"):
        store.close()
    return {
        "store": store_kind,
        "articles": len(docs),
        "articles_per_s": round(len(docs) / elapsed, 1),
        "ms": {k: _ms(v) for k, v in times.items()},
        "signature_ms_per_3kb": round(sig_ms, 3),
        "corpus_kinds": dict(kinds),
        "corpus_flagged": flagged,
        "planted_recall": {k: round(v[0] / v[1], 4) for k, v in planted.items()},
        "planted_counts": {k: v[1] for k, v in planted.items()},
        "near_by_true_jaccard": {
            k: {"rate": round(v[0] / v[1], 4), "n": v[1]} for k, v in sorted(by_truth.items())
        },
        "planted_misses": misses[:20],
    }


def scale_bench(n: int) -> dict[str, Any]:
    """Query+add cost once the index holds ``n`` synthetic documents (300 words each)."""
    import psutil

    from newsloom.dedupe.neardup import NearDupIndex, signature

    rng = random.Random(3)
    vocab = [f"w{i}" for i in range(20000)]
    proc = psutil.Process()
    texts = [" ".join(rng.choices(vocab, k=300)) for _ in range(n)]
    rss0 = proc.memory_info().rss
    index = NearDupIndex(0.8)
    for i, text in enumerate(texts):
        index.add(i, signature(text))
    del texts  # freed back to the allocator, not the OS: at worst this overstates nothing
    index_kb = (proc.memory_info().rss - rss0) / 1024 / n
    probes = [signature(" ".join(rng.choices(vocab, k=300))) for _ in range(300)]
    t0 = time.perf_counter()
    for k, sig in enumerate(probes):
        index.query(sig)
        index.add(n + k, sig)
    per_query = (time.perf_counter() - t0) / len(probes) * 1000
    return {
        "index_size": n,
        "query_add_ms": round(per_query, 3),
        "index_kb_per_article": round(index_kb, 2),
    }


def format_table(report: dict[str, Any]) -> str:
    lines = ["| stage | mean ms | p50 ms | p95 ms |", "|---|---:|---:|---:|"]
    for corpus, r in report.get("language", {}).items():
        if corpus == "paragraphs":
            continue
        m = r["ms"]
        lines.append(f"| language ({corpus}) | {m['mean']} | {m['p50']} | {m['p95']} |")
    d = report["dedupe"]
    for stage, m in d["ms"].items():
        lines.append(f"| {stage} ({d['store']}) | {m['mean']} | {m['p50']} | {m['p95']} |")
    lines += ["", "| measure | value |", "|---|---|"]
    for corpus, r in report.get("language", {}).items():
        if corpus == "paragraphs":
            for k, v in r.items():
                lines.append(f"| paragraphs: {k} | {v} |")
            continue
        lines.append(
            f"| language accuracy {corpus} | {r['accuracy']} ({r['articles']} articles,"
            f" {r['abstained']} abstained) |"
        )
    lines.append(f"| dedupe articles/s (prepare+check+store+add) | {d['articles_per_s']} |")
    lines.append(f"| MinHash signature ms per 3 KB | {d['signature_ms_per_3kb']} |")
    lines.append(f"| corpus verdicts | {d['corpus_kinds']} |")
    for kind, recall in d["planted_recall"].items():
        lines.append(f"| planted {kind} detected | {recall} (n={d['planted_counts'][kind]}) |")
    for bucket, v in d["near_by_true_jaccard"].items():
        lines.append(f"| planted pairs with {bucket} | {v['rate']} (n={v['n']}) |")
    if "scale" in report:
        s = report["scale"]
        lines.append(f"| LSH query+add at {s['index_size']} docs ms | {s['query_add_ms']} |")
        lines.append(
            f"| LSH index memory KB per article (signatures included) |"
            f" {s['index_kb_per_article']} |"
        )
    lines.append(f"| peak RSS MB | {report['peak_rss_mb']} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--shared", help="the shared/ folder (default $NEWSLOOM_SHARED or ../shared)")
    ap.add_argument("--json", type=Path, default=REPO / "benchmarks" / "results" / "dedupe.json")
    ap.add_argument("--store", choices=("sqlite", "fake"), default="sqlite")
    ap.add_argument("--plant", type=int, default=300, help="originals to plant copies of")
    ap.add_argument("--scale", type=int, default=10000, help="synthetic index size (0: skip)")
    ap.add_argument("--no-language", action="store_true")
    args = ap.parse_args(argv)
    shared = _shared(args.shared)
    docs: list[dict[str, Any]] = []
    for corpus in CORPORA:
        path = shared / "corpora" / corpus / "docs.jsonl"
        if not path.is_file():
            print(
                f"error: {path} not found (set NEWSLOOM_SHARED or --shared)",
                file=sys.stderr,
            )
            return 2
        for line in path.read_text(encoding="utf-8").splitlines():
            doc = json.loads(line)
            doc["corpus"] = corpus
            # MEANTIME translations share the English URL and PRIMER has none: one URL per doc
            doc["url"] = f"https://{doc['lang']}.wikinews.example/{doc['doc_id']}"
            docs.append(doc)
    report: dict[str, Any] = {"cpu_count": os.cpu_count()}
    if not args.no_language:
        report["language"] = language_bench(docs)
    report["dedupe"] = dedupe_bench(docs, args.store, args.plant)
    if args.scale:
        report["scale"] = scale_bench(args.scale)
    report["peak_rss_mb"] = _peak_rss_mb()
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    print(format_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
