"""The root ``newsloom`` command: assembles the command groups and turns errors into one line.

Errors from bad input are ``NewsloomError``s: printed as one line naming the input, exit code 1,
never a traceback. Every command takes ``--db URL`` (or ``NEWSLOOM_DB``); listings take ``--json``.
"""

from __future__ import annotations

import signal
import sys

import click

from newsloom.app.sources import ensure_default_sources
from newsloom.cli.articles import articles, search
from newsloom.cli.bench import bench
from newsloom.cli.common import db_option, err, open_db, out, root_options, settings
from newsloom.cli.fetching import fetch, ingest, run
from newsloom.cli.maintenance import backup, prune
from newsloom.cli.jobs import jobs, worker
from newsloom.cli.sources import sources
from newsloom.cli.status import status
from newsloom.cli.stories import stories
from newsloom.cli.takedown import takedown
from newsloom.cli.web import serve, tokens
from newsloom.errors import NewsloomError


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="newsloom")
@root_options
def cli() -> None:
    """newsloom: follow the world's media, get clean deduplicated articles woven into stories."""


@cli.command()
@click.option("--no-default-sources", is_flag=True, help="Do not import the shipped world source list.")
@db_option
def init(no_default_sources: bool) -> None:
    """Create (or upgrade) the store; import the default world source list on first start."""
    with open_db(create=True) as store:
        result = ensure_default_sources(store, settings()) if not no_default_sources else None
    out.print(f"store ready: {settings().db}", markup=False)
    if result and result.added:
        out.print(f"imported {result.added} feeds from the default world source list")


for command in (sources, fetch, ingest, run, articles, search, stories, bench, serve, tokens, takedown,
                worker, jobs, status, prune, backup):
    cli.add_command(command)


def main() -> None:
    from newsloom.codeversion import remember

    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    try:
        remember()  # the stamp of the code this process runs: an upgrade under it is noticed
        code = cli.main(standalone_mode=False)
        if isinstance(code, int) and code:  # ctx.exit(1): without standalone mode click returns it
            sys.exit(code)
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
        err.print(f"Error: {exc}", markup=False)  # the casing click uses for its own errors
        sys.exit(getattr(exc, "exit_code", 1))  # 1; 75 for CodeChanged (an upgrade: restart)
