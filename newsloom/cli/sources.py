"""``newsloom sources``: outlets and their feeds (add, list, log, enable/disable, OPML in and out)."""

from __future__ import annotations

import sys
from pathlib import Path

import click
from rich.table import Table

from newsloom.app import sources as app_sources
from newsloom.cli.common import db_option, dump, err, json_option, open_db, out, settings, when
from newsloom.errors import NewsloomError


@click.group()
def sources() -> None:
    """Outlets and their feeds: add, list, import/export OPML, fetch status."""


@sources.command("add")
@click.argument("url")
@click.option("--name", help="Outlet name (default: the URL's host).")
@click.option("--country", help="ISO 3166-1 alpha-2 country code, e.g. GB.")
@click.option("--language", help="ISO 639-1 language hint, e.g. en.")
@click.option("--kind", type=click.Choice(["feed", "sitemap"]), help="Default: guessed from the URL.")
@click.option("--site", help="The outlet's home page (default: derived from the URL).")
@db_option
def sources_add(url: str, name: str | None, country: str | None, language: str | None,
                kind: str | None, site: str | None) -> None:
    """Follow a feed (RSS/Atom/JSON Feed) or a news sitemap."""
    with open_db() as store:
        feed, source = app_sources.add_source(store, settings(), url, name=name, country=country,
                                              language=language, kind=kind, site=site)
    out.print(f"following {url} as {feed.kind} #{feed.id} of source #{source.id} ({source.name})", markup=False)


@sources.command("list")
@json_option
@db_option
def sources_list(as_json: bool) -> None:
    """Every feed with its outlet and last fetch outcome (why a feed is silent)."""
    with open_db() as store:
        feeds = app_sources.list_feeds(store)
        n_sources = app_sources.count_sources(store)
    if as_json:
        dump([{**h.feed.__dict__, "source": h.source.__dict__ if h.source else None} for h in feeds])
        return
    table = Table("feed", "source", "country", "kind", "status", "last fetched", "next due", "error")
    for h in feeds:
        f, s = h.feed, h.source
        table.add_row(str(f.id), s.name if s else "", (s.country or "") if s else "", f.kind,
                      f.last_status or "never", when(f.last_fetched), when(f.next_due), f.last_error or "")
    out.print(table)
    out.print(f"{n_sources} sources, {len(feeds)} feeds")


@sources.command("log")
@click.argument("feed_id", type=int, required=False)
@click.option("--limit", default=50, show_default=True)
@json_option
@db_option
def sources_log(feed_id: int | None, limit: int, as_json: bool) -> None:
    """Recent fetch outcomes (status, bytes, time), optionally for one feed."""
    with open_db() as store:
        logs = app_sources.fetch_log(store, feed_id, limit=limit)
    if as_json:
        dump([entry.__dict__ for entry in logs])
        return
    table = Table("at", "feed", "status", "http", "bytes", "ms", "url", "error")
    for e in logs:
        table.add_row(when(e.at), str(e.feed_id or ""), e.status, str(e.http_status or ""), str(e.bytes),
                      f"{e.elapsed_ms:.0f}", e.url, e.error or "")
    out.print(table)


def _set_active(feed_id: int, active: bool) -> None:
    with open_db() as store:
        feed, changed = app_sources.set_feed_active(store, feed_id, active)
    if not changed:
        out.print(f"feed #{feed_id} ({feed.url}) is already {'on' if active else 'off'}", markup=False)
        return
    out.print(f"feed #{feed_id} ({feed.url}) {'switched on: due now' if active else 'switched off'}", markup=False)


@sources.command("enable")
@click.argument("feed_id", type=int)
@db_option
def sources_enable(feed_id: int) -> None:
    """Follow a switched-off feed again (e.g. one that answered 404/410 too often)."""
    _set_active(feed_id, True)


@sources.command("disable")
@click.argument("feed_id", type=int)
@db_option
def sources_disable(feed_id: int) -> None:
    """Stop polling a feed, keeping it and its articles."""
    _set_active(feed_id, False)


@sources.command("import-opml")
@click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
@db_option
def sources_import(path: Path) -> None:
    """Follow every feed listed in an OPML file (duplicates are skipped)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise NewsloomError(f"{path}: cannot read ({exc.strerror})") from None
    with open_db() as store:
        result = app_sources.import_opml(store, settings(), data, str(path))
    for problem in result.problems:
        err.print(f"warning: {problem}", markup=False)
    out.print(f"{path}: {result.added} feeds added, {result.skipped} already followed", markup=False)


@sources.command("export-opml")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@db_option
def sources_export(output: Path | None) -> None:
    """Write every followed feed as OPML 2.0."""
    with open_db() as store:
        data, n = app_sources.export_opml(store)
    if output:
        output.write_bytes(data)
        err.print(f"wrote {n} feeds to {output}", markup=False)
    else:
        sys.stdout.write(data.decode("utf-8"))
