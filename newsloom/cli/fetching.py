"""``newsloom fetch | ingest | run``: the commands that run the pipeline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from newsloom.app.sources import ensure_default_sources
from newsloom.cli.common import db_option, open_db, out, progress, settings
from newsloom.pipeline import Outcome, Pipeline, RunSummary


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


@click.command()
@click.option("--feed", "feed_ids", type=int, multiple=True, help="Only these feed ids (even if not due).")
@db_option
def fetch(feed_ids: tuple[int, ...]) -> None:
    """One polite pass over all due feeds, with a progress bar and a summary."""
    with open_db() as store:
        feeds = [store.get_feed(i) for i in feed_ids] if feed_ids else None
        pipeline = Pipeline(store, settings())
        with progress() as bar:
            task = bar.add_task("fetching", total=None)

            def on_outcome(o: Outcome) -> None:
                bar.update(task, advance=1, description=f"{o.status}: {o.where[:60]}")

            summary, crawl = pipeline.fetch_once(feeds, progress=lambda m: bar.update(task, description=m[:70]),
                                                 on_outcome=on_outcome)
    _print_summary("articles", summary, crawl)


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@db_option
def ingest(paths: tuple[Path, ...]) -> None:
    """Store articles from files: .html/.htm, .txt, .warc/.warc.gz, .jsonl."""
    with open_db() as store:
        pipeline = Pipeline(store, settings())
        with progress() as bar:
            task = bar.add_task("ingesting", total=None)
            summary = pipeline.ingest(paths, progress=lambda o: bar.update(task, advance=1))
    _print_summary("ingest", summary)


@click.command()
@click.option("--once", is_flag=True, help="One pass, then exit.")
@click.option("--no-default-sources", is_flag=True, help="Do not import the shipped world source list.")
@db_option
def run(once: bool, no_default_sources: bool) -> None:
    """The main job: keep fetching due feeds and processing them until stopped (Ctrl-C)."""
    with open_db() as store:
        if not no_default_sources and (n := ensure_default_sources(store, settings()).added):
            out.print(f"first start: following {n} feeds from the default world source list")
        pipeline = Pipeline(store, settings())
        out.print(f"newsloom running on {settings().db}; Ctrl-C to stop", markup=False)
        pipeline.run_forever(on_pass=lambda s, c: _print_summary("pass", s, c, show_errors=3),
                             max_passes=1 if once else None)
