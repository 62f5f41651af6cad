"""CLI commands that run the pipeline: fetch, ingest, run, articles, search, bench."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import click
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from newsloom.cli import (
    cli,
    db_option,
    dump,
    ensure_default_sources,
    err,
    json_option,
    open_db,
    out,
    settings,
)
from newsloom.models import Article
from newsloom.pipeline import Outcome, Pipeline, RunSummary


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)


def _print_summary(what: str, summary: RunSummary, crawl: Any = None, show_errors: int = 10) -> None:
    counts = ", ".join(f"{v} {k}" for k, v in sorted(summary.counts.items())) or "nothing new"
    out.print(f"{what}: {counts} in {summary.seconds:.1f}s")
    if crawl is not None:
        parts = [f"{k.replace('_', ' ')} {v}" for k, v in vars(crawl).items() if isinstance(v, int)]
        out.print("fetch: " + ", ".join(parts))
        feed_errors = list(getattr(crawl, "errors", []))
        for line in feed_errors[:show_errors]:
            out.print(f"  [feed] {line}", markup=False)
        if len(feed_errors) > show_errors:
            out.print(f"  ... and {len(feed_errors) - show_errors} more feeds failed (see `newsloom sources list`)")
    for o in summary.errors[:show_errors]:
        out.print(f"  [{o.status}] {o.message or o.where}", markup=False)
    if len(summary.errors) > show_errors:
        out.print(f"  ... and {len(summary.errors) - show_errors} more (see `newsloom sources log`)")


@cli.command()
@click.option("--feed", "feed_ids", type=int, multiple=True, help="Only these feed ids (even if not due).")
@db_option
def fetch(feed_ids: tuple[int, ...]) -> None:
    """One polite pass over all due feeds, with a progress bar and a summary."""
    with open_db() as store:
        feeds = [store.get_feed(i) for i in feed_ids] if feed_ids else None
        pipeline = Pipeline(store, settings())
        with _progress() as bar:
            task = bar.add_task("fetching", total=None)

            def on_outcome(o: Outcome) -> None:
                bar.update(task, advance=1, description=f"{o.status}: {o.where[:60]}")

            summary, crawl = pipeline.fetch_once(feeds, progress=lambda m: bar.update(task, description=m[:70]),
                                                 on_outcome=on_outcome)
    _print_summary("articles", summary, crawl)


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
def ingest(paths: tuple[Path, ...]) -> None:
    """Store articles from files: .html/.htm, .txt, .warc/.warc.gz, .jsonl."""
    with open_db() as store:
        pipeline = Pipeline(store, settings())
        with _progress() as bar:
            task = bar.add_task("ingesting", total=None)
            summary = pipeline.ingest(paths, progress=lambda o: bar.update(task, advance=1))
    _print_summary("ingest", summary)


@cli.command()
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--no-default-sources", is_flag=True, help="Do not import the shipped world source list.")
@db_option
def run(once: bool, no_default_sources: bool) -> None:
    """The main job: keep fetching due feeds and processing them until stopped (Ctrl-C)."""
    with open_db() as store:
        if not no_default_sources and (n := ensure_default_sources(store)):
            out.print(f"first start: following {n} feeds from the default world source list")
        pipeline = Pipeline(store, settings())
        out.print(f"newsloom running on {settings().db}; Ctrl-C to stop")
        pipeline.run_forever(on_pass=lambda s, c: _print_summary("pass", s, c, show_errors=3),
                             max_passes=1 if once else None)


# --- articles -----------------------------------------------------------------------------------
@cli.group()
def articles() -> None:
    """What was stored: list and show articles."""


@articles.command("list")
@click.option("--lang", help="Only this language (ISO 639-1).")
@click.option("--source", "source_id", type=int, help="Only this source id.")
@click.option("--limit", default=50, show_default=True)
@click.option("--offset", default=0)
@click.option("--no-duplicates", is_flag=True, help="Hide duplicates.")
@json_option
@db_option
def articles_list(lang: str | None, source_id: int | None, limit: int, offset: int, no_duplicates: bool,
                  as_json: bool) -> None:
    """Newest first, with language, source and duplicate-of."""
    with open_db() as store:
        items = store.list_articles(limit=limit, offset=offset, lang=lang, source_id=source_id,
                                    include_duplicates=not no_duplicates)
        total = store.count_articles()
    if as_json:
        dump([_article_json(a, full=False) for a in items])
        return
    _article_table(items)
    out.print(f"{len(items)} shown of {total}")


def _article_table(items: list[Article]) -> None:
    table = Table("id", "lang", "published", "source", "title", "dup of", "copy", "story")
    for a in items:
        table.add_row(str(a.id), a.lang or "?", a.published.strftime("%Y-%m-%d") if a.published else "",
                      a.source or "", (a.title or "")[:80], str(a.duplicate_of or ""), "copy" if a.is_copy else "",
                      str(a.story_id or ""))
    out.print(table)


def _article_json(a: Article, full: bool = True) -> dict[str, Any]:
    d = a.to_dict()
    if not full:
        d.pop("raw_text", None)
        d.pop("text", None)
        d.pop("cleanup_log", None)
    return d


@articles.command("show")
@click.argument("article_id", type=int)
@click.option("--raw", is_flag=True, help="Also print the extractor's text before cleanup.")
@json_option
@db_option
def articles_show(article_id: int, raw: bool, as_json: bool) -> None:
    """One article: metadata, cleaned text, images, embeds, revisions."""
    with open_db() as store:
        a = store.get_article(article_id)
        revisions = store.list_revisions(article_id)
    if as_json:
        d = _article_json(a)
        d["revisions"] = [r.__dict__ for r in revisions]
        dump(d)
        return
    out.print(f"[bold]{a.title or '(no title)'}[/bold]")
    meta = {"id": a.id, "url": a.url, "canonical": a.canonical_url, "source": a.source,
            "language": f"{a.lang} ({(a.lang_confidence or 0):.2f})", "published": a.published,
            "authors": ", ".join(a.authors), "duplicate of": a.duplicate_of,
            "copy of": (a.primary_url or "unknown primary source") if a.is_copy else None,
            "story": a.story_id, "revisions": len(revisions) or None}
    for k, v in meta.items():
        if v not in (None, ""):
            out.print(f"{k:>12}: {v}", markup=False)
    out.print()
    for para in a.text.split("\n\n"):
        out.print(textwrap.fill(para, 100), markup=False)
        out.print()
    for img in a.images:
        out.print(f"[image] {img.caption or ''} {('(' + img.credit + ')') if img.credit else ''} {img.url or ''}",
                  markup=False)
    for e in a.embeds:
        out.print(f"[{e.kind}] {e.author or ''} {('@' + e.handle) if e.handle else ''} {e.date or ''}: {e.text or ''}",
                  markup=False)
    for note in a.notes:
        out.print(f"[note] {note}", markup=False)
    if raw and a.raw_text:
        out.print("\n--- before cleanup ---\n" + a.raw_text, markup=False)


@cli.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
@json_option
@db_option
def search(query: str, limit: int, as_json: bool) -> None:
    """Full-text search over stored articles."""
    with open_db() as store:
        items = store.search_articles(query, limit=limit)
    if as_json:
        dump([_article_json(a, full=False) for a in items])
    else:
        _article_table(items)


# --- bench --------------------------------------------------------------------------------------
@cli.group()
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


@bench.command("extraction")
@click.option("--corpus", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="Folder in the AEB layout: html/<id>.html.gz + ground-truth.json")
@click.option("--limit", type=int)
@bench_options
def bench_extraction(corpus: Path, limit: int | None, as_json: bool, out_path: Path | None) -> None:
    """Score extraction + cleanup with the field's shingle metric."""
    from newsloom.bench import extraction

    result = extraction.run(corpus, limit=limit)
    _bench_out(result, extraction.format_table(result), as_json, out_path)


@bench.command("pipeline")
@click.option("--corpus", required=True, type=click.Path(file_okay=False, path_type=Path),
              help="An AEB-style folder (html/*.html.gz) or any folder of .html pages.")
@click.option("--repeat", default=3, show_default=True, help="Passes over the pages.")
@click.option("--workers", default=0, show_default=True, help="Worker processes (0 = one per core).")
@bench_options
def bench_pipeline(corpus: Path, repeat: int, workers: int, as_json: bool, out_path: Path | None) -> None:
    """Ingest throughput: extract + clean + language + dedupe + store, per stage and end to end."""
    from newsloom.bench import pipeline as bench_pipe

    result = bench_pipe.run(corpus, repeat=repeat, workers=workers)
    _bench_out(result, bench_pipe.format_table(result), as_json, out_path)
