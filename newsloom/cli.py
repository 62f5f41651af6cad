"""The one entry point: ``newsloom init | sources | fetch | ingest | articles | run | stories | search | bench``.

Errors from bad input are ``NewsloomError``s: printed as one line naming the input, exit code 1,
never a traceback. Every command takes ``--db URL`` (or ``NEWSLOOM_DB``); listings take ``--json``.
"""

from __future__ import annotations

import functools
import json
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.table import Table

from newsloom.config import Settings
from newsloom.errors import DuplicateSourceError, NewsloomError
from newsloom.models import Feed, Source
from newsloom.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False)


def db_option(fn: F) -> F:
    """--db and --config on every command, resolved into a Settings object in ctx.obj."""

    @click.option("--db", "db", envvar="NEWSLOOM_DB", help="Store URL: sqlite:///path.db or postgresql://...")
    @click.option("--config", "config", type=click.Path(dir_okay=False), help="TOML config file.")
    @functools.wraps(fn)
    def wrapper(*args: Any, db: str | None, config: str | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        ctx.obj = Settings.load(config, db=db)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(fn)


def settings() -> Settings:
    return click.get_current_context().obj


def open_db() -> Store:
    from newsloom.store import open_store

    return open_store(settings().db)


def dump(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsloom")
def cli() -> None:
    """newsloom: follow the world's media, get clean deduplicated articles woven into stories."""


# --- init ---------------------------------------------------------------------------------------
@cli.command()
@click.option("--no-default-sources", is_flag=True, help="Do not import the shipped world source list.")
@db_option
def init(no_default_sources: bool) -> None:
    """Create (or upgrade) the store; import the default world source list on first start."""
    with open_db() as store:
        added = 0 if no_default_sources else ensure_default_sources(store)
        out.print(f"store ready: {settings().db}")
        if added:
            out.print(f"imported {added} feeds from the default world source list")


def ensure_default_sources(store: Store) -> int:
    if store.list_sources():
        return 0
    from newsloom.fetch.opml import default_opml_path

    return import_opml_bytes(store, default_opml_path().read_bytes(), "default world source list")[0]


def import_opml_bytes(store: Store, data: bytes, where: str) -> tuple[int, int]:
    from newsloom.fetch.opml import parse_opml

    added = skipped = 0
    entries = parse_opml(data, where)
    for problem in entries.problems:
        err.print(f"warning: {problem}", markup=False)
    for entry in entries:
        source = store.find_source(entry.site_url or entry.feed_url)
        if source is None:
            source = store.add_source(
                Source(name=entry.name, url=entry.site_url or entry.feed_url, country=entry.country,
                       language=entry.language)
            )
        try:
            store.add_feed(Feed(url=entry.feed_url, source_id=source.id, kind=entry.kind, title=entry.name,
                                interval_s=settings().default_feed_interval_s))
            added += 1
        except DuplicateSourceError:
            skipped += 1
    return added, skipped


# --- sources ------------------------------------------------------------------------------------
@cli.group()
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
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise click.BadParameter(f"{url!r} is not an http(s) URL", param_hint="URL")
    if country and (len(country) != 2 or not country.isalpha()):
        raise click.BadParameter(f"{country!r} is not a two-letter country code", param_hint="--country")
    site_url = site or f"{parts.scheme}://{parts.netloc}/"
    kind = kind or ("sitemap" if "sitemap" in parts.path.lower() else "feed")
    with open_db() as store:
        source = store.find_source(site_url) or store.add_source(
            Source(name=name or parts.netloc, url=site_url, country=country.upper() if country else None,
                   language=language)
        )
        feed = store.add_feed(Feed(url=url, source_id=source.id, kind=kind, title=name,
                                   interval_s=settings().default_feed_interval_s))
        out.print(f"following {url} as {kind} #{feed.id} of source #{source.id} ({source.name})")


@sources.command("list")
@json_option
@db_option
def sources_list(as_json: bool) -> None:
    """Every feed with its outlet and last fetch outcome (why a feed is silent)."""
    with open_db() as store:
        srcs = {s.id: s for s in store.list_sources()}
        feeds = store.list_feeds()
    if as_json:
        dump([{**f.__dict__, "source": srcs[f.source_id].__dict__ if f.source_id in srcs else None}
              for f in feeds])
        return
    table = Table("feed", "source", "country", "kind", "status", "last fetched", "next due", "error")
    for f in feeds:
        s = srcs.get(f.source_id)
        table.add_row(str(f.id), s.name if s else "", (s.country or "") if s else "", f.kind,
                      f.last_status or "never", _when(f.last_fetched), _when(f.next_due), f.last_error or "")
    out.print(table)
    out.print(f"{len(srcs)} sources, {len(feeds)} feeds")


@sources.command("log")
@click.argument("feed_id", type=int, required=False)
@click.option("--limit", default=50, show_default=True)
@json_option
@db_option
def sources_log(feed_id: int | None, limit: int, as_json: bool) -> None:
    """Recent fetch outcomes (status, bytes, time), optionally for one feed."""
    with open_db() as store:
        logs = store.fetch_log(feed_id, limit=limit)
    if as_json:
        dump([entry.__dict__ for entry in logs])
        return
    table = Table("at", "feed", "status", "http", "bytes", "ms", "url", "error")
    for e in logs:
        table.add_row(_when(e.at), str(e.feed_id or ""), e.status, str(e.http_status or ""), str(e.bytes),
                      f"{e.elapsed_ms:.0f}", e.url, e.error or "")
    out.print(table)


def _set_active(feed_id: int, active: bool) -> None:
    with open_db() as store:
        feed = store.get_feed(feed_id)
        if feed.active == active:
            out.print(f"feed #{feed_id} ({feed.url}) is already {'on' if active else 'off'}")
            return
        feed.active = active
        if active:
            # a fresh start: due now, no back-off or "gone" count from before
            feed.error_count, feed.gone_count, feed.next_due = 0, 0, None
            feed.last_status, feed.last_error = None, None
        else:
            feed.last_status, feed.last_error = "disabled", "switched off by the user"
        store.update_feed(feed)
    out.print(f"feed #{feed_id} ({feed.url}) {'switched on: due now' if active else 'switched off'}")


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
        added, skipped = import_opml_bytes(store, data, str(path))
    out.print(f"{path}: {added} feeds added, {skipped} already followed")


@sources.command("export-opml")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Default: stdout.")
@db_option
def sources_export(output: Path | None) -> None:
    """Write every followed feed as OPML 2.0."""
    from newsloom.fetch.opml import OPMLEntry, write_opml

    with open_db() as store:
        srcs = {s.id: s for s in store.list_sources()}
        entries = []
        for f in store.list_feeds():
            s = srcs.get(f.source_id)
            entries.append(OPMLEntry(name=(s.name if s else None) or f.title or f.url, feed_url=f.url,
                                     site_url=s.url if s else None, country=s.country if s else None,
                                     language=s.language if s else None, kind=f.kind))
    data = write_opml(entries, "newsloom sources")
    if output:
        output.write_bytes(data)
        err.print(f"wrote {len(entries)} feeds to {output}")
    else:
        sys.stdout.write(data.decode("utf-8"))


def _when(dt: Any) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


from newsloom import cli_commands, cli_stories  # noqa: E402,F401  (register the other commands)


def main() -> None:
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        cli.main(standalone_mode=False)
    except click.exceptions.Abort:
        err.print("interrupted; everything stored so far is kept")
        sys.exit(130)
    except KeyboardInterrupt:
        err.print("interrupted; everything stored so far is kept")
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except NewsloomError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
