"""``newsloom sources``: outlets and their feeds (add, list, log, enable/disable, OPML in and out)."""

from __future__ import annotations

import sys
from datetime import datetime
from pathlib import Path

import click
from rich import box
from rich.table import Table

from newsloom.app import sources as app_sources
from newsloom.cli.common import (db_option, dump, err, fit_table, json_option, open_db, out, plural, root_options,
                                 settings)
from newsloom.errors import NewsloomError
from newsloom.models import utcnow


@click.group()
@root_options
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
    new = app_sources.check_new_feed(url, name=name, country=country, language=language, kind=kind, site=site)
    with open_db(create=True) as store:
        feed, source = app_sources.add_source(store, settings(), new)
    out.print(f"following {url} as {feed.kind} #{feed.id} of source #{source.id} ({source.name})", markup=False)


@sources.command("list")
@click.option("--limit", type=click.IntRange(min=1), help="Rows to show (default: 30 in the table, all with --json).")
@click.option("--all", "show_all", is_flag=True, help="Show every feed.")
@json_option
@db_option
def sources_list(limit: int | None, show_all: bool, as_json: bool) -> None:
    """Every feed with its outlet and last fetch outcome (why a feed is silent)."""
    with open_db() as store:
        feeds = app_sources.list_feeds(store)
        n_sources = app_sources.count_sources(store)
    if show_all:
        limit = None
    elif limit is None and not as_json:
        limit = _DEFAULT_ROWS
    shown = feeds[:limit] if limit else feeds
    if as_json:
        dump([{**h.feed.__dict__, "source": h.source.__dict__ if h.source else None} for h in shown])
        return
    headers = ["feed", "source", "cc", "status", "last fetch", "next due", "error"]
    rows = [[str(h.feed.id), h.source.name if h.source else "", (h.source.country or "") if h.source else "",
             h.feed.last_status or "never", _short(h.feed.last_fetched), _short(h.feed.next_due),
             _error(h.feed.last_error, h.feed.url)] for h in shown]
    _print_table(headers, rows, elastic={6: 1}, caps={1: 18, 3: 12}, right={0})
    outlook = app_sources.poll_outlook([h.feed for h in feeds], utcnow())
    line = f"{plural(n_sources, 'source')}, {plural(len(feeds), 'feed')}"
    extra = [f"{outlook.backing_off:,} backing off" if outlook.backing_off else "",
             f"{outlook.switched_off:,} switched off" if outlook.switched_off else ""]
    line += "".join(f"; {x}" for x in extra if x)
    if len(shown) < len(feeds):
        line += f"; {len(shown):,} shown (--all or --limit N for more)"
    out.print(line)


_DEFAULT_ROWS = 30


def _print_table(headers: list[str], rows: list[list[str]], elastic: dict[int, int],
                 caps: dict[int, int] | None = None, right: set[int] = frozenset()) -> None:  # type: ignore[assignment]
    """One line per row, cropped to the terminal (80 columns included): long names, URLs and errors
    end in "…"; `--json` has them whole."""
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
    for i, name in enumerate(headers):
        table.add_column(name, no_wrap=True, overflow="ellipsis", justify="right" if i in right else "left")
    for row in fit_table(headers, rows, out.size.width - 2, elastic, caps):
        table.add_row(*row)
    out.print(table, soft_wrap=False, crop=True)


def _error(text: str | None, url: str) -> str:
    """One line, without the URL the row already shows (errors name their input: "URL: what")."""
    text = " ".join((text or "").split())
    return text[len(url) + 2:] if text.startswith(url + ": ") else text


def _short(dt: datetime | None) -> str:
    """'12-04 05:13' this year, '2025-11-30' before: both date columns fit an 80-column table."""
    if dt is None:
        return ""
    return dt.strftime("%m-%d %H:%M" if dt.year == utcnow().year else "%Y-%m-%d")


@sources.command("log")
@click.argument("feed_id", type=click.IntRange(min=1), required=False)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=1))
@json_option
@db_option
def sources_log(feed_id: int | None, limit: int, as_json: bool) -> None:
    """Recent fetch outcomes (status, bytes, time), optionally for one feed."""
    with open_db() as store:
        logs = app_sources.fetch_log(store, feed_id, limit=limit)
    if as_json:
        dump([entry.__dict__ for entry in logs])
        return
    headers = ["at", "feed", "status", "http", "bytes", "ms", "url", "error"]
    rows = [[_short(e.at), str(e.feed_id or ""), e.status, str(e.http_status or ""), f"{e.bytes:,}",
             f"{e.elapsed_ms:.0f}", e.url.split("://", 1)[-1], _error(e.error, e.url)] for e in logs]
    _print_table(headers, rows, elastic={6: 3, 7: 2}, right={1, 3, 4, 5})
    if not logs:
        out.print("no fetches recorded yet" + (f" for feed {feed_id}" if feed_id is not None else ""))


def _set_active(feed_id: int, active: bool) -> None:
    with open_db() as store:
        feed, changed = app_sources.set_feed_active(store, feed_id, active)
    if not changed:
        out.print(f"feed #{feed_id} ({feed.url}) is already {'on' if active else 'off'}", markup=False)
        return
    out.print(f"feed #{feed_id} ({feed.url}) {'switched on: due now' if active else 'switched off'}", markup=False)


@sources.command("enable")
@click.argument("feed_id", type=click.IntRange(min=1))
@db_option
def sources_enable(feed_id: int) -> None:
    """Follow a switched-off feed again (e.g. one that answered 404/410 too often)."""
    _set_active(feed_id, True)


@sources.command("disable")
@click.argument("feed_id", type=click.IntRange(min=1))
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
    with open_db(create=True) as store:
        result = app_sources.import_opml(store, settings(), data, str(path))
    for problem in result.problems:
        err.print(f"warning: {problem}", markup=False)
    out.print(f"{path}: {plural(result.added, 'feed')} added, {result.skipped:,} already followed", markup=False)
    if result.problems and not result.added and not result.skipped:  # every outline refused (was exit 0)
        raise NewsloomError(f"{path}: no feed imported; every outline was skipped (see the warnings above)")


@sources.command("export-opml")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@db_option
def sources_export(output: Path | None) -> None:
    """Write every followed feed as OPML 2.0."""
    with open_db() as store:
        data, n = app_sources.export_opml(store)
    if output:
        try:
            output.write_bytes(data)
        except OSError as exc:  # a folder that does not exist, no permission, disk full: one line
            raise NewsloomError(f"-o {output}: cannot write ({exc.strerror or exc})") from None
        err.print(f"wrote {plural(n, 'feed')} to {output}", markup=False)
    else:
        sys.stdout.write(data.decode("utf-8"))
