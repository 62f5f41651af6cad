"""``newsloom bench``: quality and speed benchmarks, one command per engine in ``newsloom/bench/``.

Commands, in order: extraction, pipeline, stories, similarity.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from newsloom.cli.common import err, root_options


@click.group()
@root_options
def bench() -> None:
    """Quality and speed benchmarks: print a table (or --json), --out FILE keeps the JSON."""


def bench_options(fn: Any) -> Any:
    fn = click.option("--json", "as_json", is_flag=True, help="Print the result as JSON instead of a table.")(fn)
    return click.option("--out", "out_path", type=click.Path(dir_okay=False, path_type=Path),
                        help="Also write the JSON result to this file.")(fn)


def _bench_out(result: dict[str, Any], table: str, as_json: bool, out_path: Path | None) -> None:
    text = json.dumps(result, indent=2, default=str, ensure_ascii=False)
    if out_path:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(text, encoding="utf-8")
        err.print(f"wrote {out_path}")
    click.echo(text if as_json else table)


# --- bench extraction ---------------------------------------------------------------------------
@bench.command("extraction")
@click.option("--corpus", "corpora", required=True, multiple=True,
              type=click.Path(file_okay=False, path_type=Path),
              help="html/<id>.html.gz + ground-truth.json (AEB) or gold.json (trafilatura's "
                   "snippets); repeat to report several side by side.")
@click.option("--limit", type=click.IntRange(min=1))
@click.option("--no-baseline", is_flag=True, help="Skip plain trafilatura 2.3.1 (default mode).")
@click.option("--per-page", is_flag=True, help="Keep per-page scores in the JSON.")
@bench_options
def bench_extraction(corpora: tuple[Path, ...], limit: int | None, no_baseline: bool, per_page: bool,
                     as_json: bool, out_path: Path | None) -> None:
    """Score extraction + cleanup as each layout's field scores it, beside plain trafilatura."""
    from newsloom.bench import extraction

    results = extraction.run_all(corpora, limit=limit, baseline=not no_baseline)
    rows = results if per_page else [{k: v for k, v in r.items() if k != "per_page"} for r in results]
    _bench_out(rows, extraction.format_table(results), as_json, out_path)  # type: ignore[arg-type]


# --- bench pipeline -----------------------------------------------------------------------------
@bench.command("pipeline")
@click.option("--corpus", type=click.Path(file_okay=False, path_type=Path),
              help="An AEB-style folder (html/*.html.gz) or any folder of .html pages (not with --fetch).")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(min=1), help="Passes over the pages.")
@click.option("--workers", default=0, show_default=True, type=click.IntRange(min=0), help="Worker processes (0 = one per core).")
@click.option("--fetch", "fetch", is_flag=True,
              help="End to end through the real fetcher: pages served on loopback, one fetch pass, "
                   "stories; per stage articles/s, queue lag, peak RSS.")
@click.option("--articles", default=600, show_default=True, type=click.IntRange(min=1), help="--fetch: pages served.")
@click.option("--feeds", default=12, show_default=True, type=click.IntRange(min=1), help="--fetch: feeds listing them.")
@click.option("--shared", type=click.Path(file_okay=False, path_type=Path),
              help="--fetch: folder with corpora/wikinews-*/docs.jsonl (default ../shared or "
                   "$NEWSLOOM_SHARED); synthetic pages where they are missing.")
@click.option("--synthetic", is_flag=True, help="--fetch: seeded synthetic pages even if the corpora exist.")
@click.option("--seed", default=0, show_default=True, help="--fetch: seed of the synthetic pages.")
@click.option("--db", "db", help="--fetch: an empty store to use (default: a fresh temporary SQLite file).")
@click.option("--no-stories", is_flag=True, help="--fetch: stop at storing.")
@bench_options
def bench_pipeline(corpus: Path | None, repeat: int, workers: int, fetch: bool, articles: int, feeds: int,
                   shared: Path | None, synthetic: bool, seed: int, db: str | None, no_stories: bool,
                   as_json: bool, out_path: Path | None) -> None:
    """Ingest throughput: extract + clean + language + dedupe + store, per stage and end to end;
    with --fetch, from loopback pages through the fetcher to stories."""
    from newsloom.errors import BenchError

    if fetch:
        import os

        from newsloom.bench import fetch_pipeline

        if corpus is not None:
            raise BenchError("bench pipeline: --corpus is for ingest; --fetch serves the Wikinews corpora "
                             "from --shared (or synthetic pages)")
        shared = shared or Path(os.environ.get("NEWSLOOM_SHARED") or Path.cwd().parent / "shared")
        result = fetch_pipeline.run(shared, articles=articles, feeds=feeds, db=db, stories=not no_stories,
                                    workers=workers, synthetic=synthetic, seed=seed)
        _bench_out(result, fetch_pipeline.format_table(result), as_json, out_path)
        return
    if corpus is None:
        raise BenchError("bench pipeline: --corpus FOLDER is needed (or --fetch)")
    from newsloom.bench import pipeline as bench_pipe

    result = bench_pipe.run(corpus, repeat=repeat, workers=workers)
    _bench_out(result, bench_pipe.format_table(result), as_json, out_path)


# --- bench stories ------------------------------------------------------------------------------
@bench.command("stories")
@click.option("--corpus", "corpora", required=True, multiple=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="JSONL in the shared layout (doc_id, story_id, lang, title, text, date?); repeat to mix.")
@click.option("--limit", type=click.IntRange(min=1))
@click.option("--db", "db", help="Store to stream into (default: a fresh temporary SQLite file).")
@click.option("--synthetic", type=click.IntRange(min=0), default=0,
              help="Also time the clustering step with this many live stories (e.g. 100000).")
@click.option("--force-e5", "force_e5", default=None, metavar="LANGS",
              help="Route these languages (comma-separated, e.g. nl,it) to e5-small as if USE-m3 "
                   "lacked them, to measure how articles join stories across embedding spaces.")
@click.option("--order", type=click.Choice(["date", "file", "shuffled"]), default="date", show_default=True,
              help="Stream order: by date, as the files list them, or shuffled (feeds polled with lag, "
                   "archives back-filled in pieces).")
@click.option("--seed", type=int, default=0, show_default=True, help="Seed of --order shuffled.")
@click.option("--short", is_flag=True,
              help="Cut every document to its title and first sentence, as a feed item whose page "
                   "could not be fetched reaches newsloom.")
@click.option("--no-baseline", is_flag=True,
              help="Skip the plain baseline (greedy centroid on the same vectors and stream, its threshold "
                   "fitted on --baseline-fit-corpus; default mode).")
@click.option("--baseline-fit-corpus", "baseline_fit", type=click.Path(dir_okay=False, path_type=Path),
              help="Corpus the baseline threshold is fitted on, never the scored one (default: "
                   "../shared/corpora/wikinews-primer/docs.jsonl when scoring MEANTIME, else "
                   "../shared/corpora/wikinews-meantime/docs.jsonl; $NEWSLOOM_SHARED replaces ../shared).")
@bench_options
def bench_stories(corpora: tuple[Path, ...], limit: int | None, db: str | None, synthetic: int,
                  force_e5: str | None, order: str, seed: int, short: bool, no_baseline: bool,
                  baseline_fit: Path | None, as_json: bool, out_path: Path | None) -> None:
    """Stream a corpus through the real pipeline into a fresh store; BCubed + pairwise scores,
    beside a plain greedy-centroid baseline on the same vectors."""
    from newsloom.bench import stories_pipeline

    force = None if force_e5 is None else [x for x in force_e5.split(",") if x.strip()]
    result = stories_pipeline.run(list(corpora), limit=limit, db=db, force_fallback=force, order=order,
                                  seed=seed, short=short, baseline=not no_baseline, baseline_fit=baseline_fit)
    table = stories_pipeline.format_table(result)
    if synthetic:
        from newsloom.bench.stories import synthetic_timing

        timing = synthetic_timing(n_live=synthetic)
        result["synthetic_clustering"] = timing
        table += (f"\n\nclustering step with {timing['live_stories']:,} live stories: "
                  f"{timing['ms_per_article_mean']:.2f} ms/article mean, "
                  f"p95 {timing['ms_per_article_p95']:.2f} ms")
    _bench_out(result, table, as_json, out_path)


# --- bench similarity ---------------------------------------------------------------------------
@bench.command("similarity")
@click.option("--pairs", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="CSV in the SemEval-2022 Task 8 layout (lang1, lang2, text1, text2, Overall).")
@click.option("--limit", type=click.IntRange(min=1))
@bench_options
def bench_similarity(pairs: Path, limit: int | None, as_json: bool, out_path: Path | None) -> None:
    """Pearson r against human 'Overall' scores and same-story ROC-AUC, per language pair."""
    from newsloom.bench import similarity

    result = similarity.run(pairs, limit=limit)
    _bench_out(result, similarity.format_table(result), as_json, out_path)
