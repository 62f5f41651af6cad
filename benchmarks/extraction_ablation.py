"""Ablation of newsloom's extraction rules: each rule or threshold switched off, F1 per split.

python benchmarks/extraction_ablation.py [--variant NAME ...] [--json out.json] [--cache FILE]

For every variant the whole of ``newsloom.extract.extract`` runs on trafilatura-eval (fitting half
and held-out half reported apart) and AEB, beside the unchanged pipeline. trafilatura's own runs
(fast, full, recall mode, baseline) and the page metadata do not depend on newsloom's rules, so
they are computed once per page and kept in a cache file; a variant then costs only newsloom's
own work. Quality only: timings come from ``bench extraction``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import pickle
import sys
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any
from unittest import mock

from newsloom.bench import extraction as bench
from newsloom.errors import ExtractionError
from newsloom.extract import cleanup as cl
from newsloom.extract import html as ht
from newsloom.extract import main_text as mt

_CACHE: dict[tuple[Any, ...], Any] = {}
_PAGE: list[str] = [""]  # key of the page being extracted


def _memo_run(real: Callable[..., str]) -> Callable[..., str]:
    def run(tree: Any, url: str, **options: Any) -> str:
        key = (_PAGE[0], "run", tuple(sorted({**mt.TRAFILATURA_OPTIONS, **options}.items())))
        if key not in _CACHE:
            _CACHE[key] = real(tree, url, **options)
        return _CACHE[key]

    return run


def _picklable(value: Any) -> Any:
    """lxml elements cannot be cached: the callers here use only the text."""
    if isinstance(value, tuple):  # baseline: (body, text, length)
        return (None, *value[1:])
    for attr in ("body", "commentsbody"):
        if getattr(value, attr, None) is not None:
            setattr(value, attr, None)
    return value


def _memo(name: str, real: Callable[..., Any]) -> Callable[..., Any]:
    def fn(*args: Any, **kwargs: Any) -> Any:
        key = (_PAGE[0], name)
        if key not in _CACHE:
            _CACHE[key] = _picklable(real(*args, **kwargs))
        return _CACHE[key]

    return fn


@contextmanager
def _memoised() -> Iterator[None]:
    with ExitStack() as stack:
        stack.enter_context(mock.patch.object(mt, "_run", _memo_run(mt._run)))
        stack.enter_context(mock.patch.object(mt, "baseline", _memo("baseline", mt.baseline)))
        stack.enter_context(
            mock.patch.object(ht, "page_metadata", _memo("meta", ht.page_metadata))
        )
        yield


def _without_rule(name: str) -> list[Any]:
    return [mock.patch.object(cl, "RULES", [r for r in cl.RULES if r[0] != name])]


def _without_reason(reason: str) -> list[Any]:
    real = cl.boilerplate_reason

    def patched(p: str, title: str | None = None) -> str | None:
        why = real(p, title)
        return None if why == reason else why

    return [mock.patch.object(cl, "boilerplate_reason", patched)]


def _full_only() -> list[Any]:
    """No fast path: trafilatura's full mode always (newsloom's options), fallbacks unchanged."""
    real = mt._run  # the memoised one: variants are made inside _memoised()

    def run(tree: Any, url: str, **options: Any) -> str:
        return real(tree, url, **{**options, "fast": False})

    return [mock.patch.object(mt, "_run", run)]


VARIANTS: dict[str, Callable[[], list[Any]]] = {
    "all rules (as shipped)": lambda: [],
    "fast-path check off (fast result kept)": lambda: [
        mock.patch.object(mt.Signals, "suspicious", property(lambda s: not s.length))
    ],
    "full mode always (no fast path)": _full_only,
    "short check off (SHORT_CHARS=0)": lambda: [mock.patch.object(mt, "SHORT_CHARS", 0)],
    "link-share nav check off": lambda: [mock.patch.object(mt, "NAV_LINK_SHARE", 9.0)],
    "site-word nav check off": lambda: [mock.patch.object(mt, "NAV_SITE_LINES", 10**6)],
    "recall rescue off": lambda: [mock.patch.object(mt, "RESCUE_CHARS", 0)],
    "JSON-LD article body off": lambda: [mock.patch.object(mt, "structured_text", lambda tree: "")],
    "teaser-link lines kept": lambda: [mock.patch.object(mt, "TEASER_WORDS", 10**6)],
    "comments included (trafilatura default)": lambda: [
        mock.patch.dict(mt.TRAFILATURA_OPTIONS, {"include_comments": True})
    ],
    "brief rule off": lambda: [mock.patch.object(ht, "MIN_BRIEF_CHARS", 10**6)],
    "cleanup off (all rules)": lambda: [mock.patch.object(cl, "RULES", [])],
    **{f"cleanup: {name} off": (lambda n=name: _without_rule(n)) for name, _ in cl.RULES},
    **{
        f"boilerplate: {reason} off": (lambda r=reason: _without_reason(r))
        for reason in (
            "navigation/share label",
            "dateline",
            "sign-up prompt",
            "read-more link",
            "related link",
            "newsletter prompt",
            "cookie notice",
            "aggregator about-us blurb",
        )
    },
}


def _corpora() -> dict[str, Path]:
    shared = os.environ.get("NEWSLOOM_SHARED")
    root = Path(shared) if shared else Path(__file__).resolve().parents[1].parent / "shared"
    return {"trafilatura-eval": root / "corpora" / "trafilatura-eval", "aeb": root / "corpora" / "aeb"}


def load_pages() -> list[tuple[str, str, Any, dict[str, Any]]]:
    """(split, key, raw document, gold) for every page: splits fit, held-out, aeb."""
    out = []
    for corpus, path in _corpora().items():
        for page_id, raw, gold in bench.pages(path):
            split = bench.half_of(page_id) if corpus == "trafilatura-eval" else "aeb"
            key = hashlib.sha1(raw.body).hexdigest()
            out.append((split, key, raw, gold))
    return out


def _f1(split: str, rows: list[dict[str, Any]]) -> float:
    layout = bench.AEB if split == "aeb" else bench.SNIPPETS
    for row in rows:
        row.setdefault("ms", 0.0)
        row.setdefault("error", None)
    return bench._summary(layout, rows)["f1"]


def score(
    pages: list[tuple[str, str, Any, dict[str, Any]]], extractor: Callable[[Any], str]
) -> tuple[dict[str, float], dict[str, str]]:
    rows: dict[str, list[dict[str, Any]]] = {}
    texts: dict[str, str] = {}
    for split, key, raw, gold in pages:
        _PAGE[0] = key
        try:
            text = extractor(raw)
        except ExtractionError:
            text = ""
        texts[key] = text
        layout = bench.AEB if split == "aeb" else bench.SNIPPETS
        rows.setdefault(split, []).append(bench._score_page(layout, gold, text))
    return {split: _f1(split, r) for split, r in rows.items()}, texts


def _plain(raw: Any) -> str:
    key = (_PAGE[0], "plain")
    if key not in _CACHE:
        _CACHE[key] = bench.trafilatura_baseline(raw)
    return _CACHE[key]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--variant", action="append", help="only these variants (name prefix)")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/newsloom_ablation_cache.pkl"))
    ap.add_argument("--json", type=Path)
    ap.add_argument("--texts", type=Path, help="write every variant's text per page here (pickle)")
    args = ap.parse_args(argv)
    if args.cache.is_file():
        _CACHE.update(pickle.loads(args.cache.read_bytes()))
    pages = load_pages()
    results: dict[str, dict[str, float]] = {}
    all_texts: dict[str, dict[str, str]] = {}
    results["plain trafilatura"], all_texts["plain trafilatura"] = score(pages, _plain)
    with _memoised():
        for name, make in VARIANTS.items():
            if args.variant and name != "all rules (as shipped)" and not any(
                name.startswith(v) for v in args.variant
            ):
                continue
            with ExitStack() as stack:
                for patch in make():
                    stack.enter_context(patch)
                results[name], all_texts[name] = score(pages, bench.newsloom_extractor)
            args.cache.write_bytes(pickle.dumps(_CACHE))
            print(_row(name, results[name], results.get("all rules (as shipped)")), flush=True)
    print()
    print(table(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    if args.texts:
        args.texts.write_bytes(pickle.dumps(all_texts))
    return 0


def _row(name: str, r: dict[str, float], ref: dict[str, float] | None) -> str:
    cells = []
    for split in ("fit", "held-out", "aeb"):
        delta = f" ({r[split] - ref[split]:+.4f})" if ref and r is not ref else ""
        cells.append(f"{r[split]:.4f}{delta}")
    return f"| {name} | " + " | ".join(cells) + " |"


def table(results: dict[str, dict[str, float]]) -> str:
    ref = results.get("all rules (as shipped)")
    lines = [
        "| variant | trafilatura-eval fitting half | held-out half | AEB |",
        "|---|---:|---:|---:|",
    ]
    lines += [_row(name, r, ref if name != "plain trafilatura" else None) for name, r in results.items()]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
