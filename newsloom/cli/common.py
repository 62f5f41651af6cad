"""What every command module shares: consoles, the --db/--config/--json options, the store opener.

Command modules import only this module (and ``newsloom.app``), never each other, so the package
has no import cycles; ``cli/main.py`` assembles the groups into the root command.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, TypeVar

import click
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)

from newsloom.config import Settings
from newsloom.store.base import Store

F = TypeVar("F", bound=Callable[..., Any])
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)  # an error stays one line (paths unbroken)


_DB_HELP = "Store URL: sqlite:///path.db or postgresql://... (default: $NEWSLOOM_DB, else the data folder)."
_CONFIG_HELP = "TOML config file (default: $NEWSLOOM_CONFIG, else ~/.config/newsloom/config.toml)."


def root_options(fn: F) -> F:
    """--db and --config on the root group too, so ``newsloom --db URL stories list`` works.

    They are kept in ``ctx.meta`` (shared by every nested context); a value given after the
    subcommand wins. No click envvar here: ``Settings.load`` reads NEWSLOOM_DB/NEWSLOOM_CONFIG
    itself, so the order stays flag after subcommand > flag before it > environment > file.
    """

    def remember(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
        if value is not None:
            ctx.meta[f"newsloom.{param.name}"] = value
        return value

    fn = click.option("--db", "db", callback=remember, expose_value=False, help=_DB_HELP)(fn)
    return click.option("--config", "config", type=click.Path(dir_okay=False), callback=remember,
                        expose_value=False, help=_CONFIG_HELP)(fn)


def db_option(fn: F) -> F:
    """--db and --config on every command, resolved into a Settings object in ctx.obj."""

    @click.option("--db", "db", help=_DB_HELP)
    @click.option("--config", "config", type=click.Path(dir_okay=False), help=_CONFIG_HELP)
    @functools.wraps(fn)
    def wrapper(*args: Any, db: str | None, config: str | None, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        db = db or ctx.meta.get("newsloom.db")
        config = config or ctx.meta.get("newsloom.config")
        ctx.obj = Settings.load(config, db=db)
        return fn(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def json_option(fn: F) -> F:
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable JSON output.")(fn)


def settings() -> Settings:
    return click.get_current_context().obj


def open_db(create: bool = False) -> Store:
    """The store of --db. Only commands that fill a store pass ``create=True``; the others refuse
    a SQLite path that does not exist rather than create an empty file and its folders."""
    from newsloom.store import open_store

    return open_store(settings().db, create=create)


def connect_timeout_option(fn: F) -> F:
    """--connect-timeout on the long-running commands (worker, run, serve): see ``open_db_waiting``."""
    return click.option("--connect-timeout", "connect_timeout", type=click.FloatRange(0, 86400), default=None,
                        metavar="SECONDS",
                        help="At start-up, keep trying a database that cannot be reached for this long, "
                             "a log line a try, then exit 1 (default: the connect_timeout_s setting, 60).")(fn)


def open_db_waiting(connect_timeout: float | None, create: bool = True) -> Store:
    """``open_db``, waiting for a database that is not reachable yet (``app/connect.py``)."""
    from newsloom.app.connect import open_store_waiting

    timeout = settings().connect_timeout_s if connect_timeout is None else connect_timeout
    return open_store_waiting(settings().db, create=create, timeout_s=timeout)


def plural(n: int, singular: str, many: str | None = None) -> str:
    """'1 article', '2 articles'; ``many`` for irregular words."""
    return f"{n:,} {singular if n == 1 else (many or singular + 's')}"


def dump(obj: Any) -> None:
    click.echo(json.dumps(obj, ensure_ascii=False, indent=2, default=str))


def when(dt: Any) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def progress() -> Progress:
    """A transient progress bar on stderr, hidden when stderr is not a terminal (cron, pipes)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)


def fit_table(headers: list[str], rows: list[list[str]], width: int, elastic: dict[int, int],
              caps: dict[int, int] | None = None) -> list[list[str]]:
    """Crop cells so a one-line-per-row table fits ``width`` columns.

    Columns not in ``elastic`` keep their natural width (up to ``caps``); the room left is shared by
    the ``elastic`` columns by weight, and longer cells end in "…". Hand-written because rich, asked
    to shrink no-wrap columns with a ratio, collapses the short columns to nothing instead.
    """
    from rich.cells import cell_len, set_cell_size

    # widths in terminal cells, not characters: CJK takes two, combining marks none
    caps = caps or {}

    def natural(i: int) -> int:
        return min(max([cell_len(headers[i]), *(cell_len(r[i]) for r in rows)]), caps.get(i, 10**6))

    fixed = sum(natural(i) for i in range(len(headers)) if i not in elastic)
    room = max(0, width - fixed - 2 * len(headers))  # a separator and a right padding per column
    weights = sum(elastic.values())
    limits = {i: min(natural(i), max(cell_len(headers[i]), room * w // weights)) for i, w in elastic.items()}
    spare = room - sum(limits.values())
    for i in elastic:  # a column needing less than its share leaves the rest to the others
        extra = min(spare, natural(i) - limits[i])
        if extra > 0:
            limits[i] += extra
            spare -= extra
    limits.update({i: caps[i] for i in caps if i not in elastic})

    def crop(text: str, n: int) -> str:
        return text if cell_len(text) <= n else set_cell_size(text, max(0, n - 1)).rstrip() + "…"

    return [[crop(c, limits[i]) if i in limits else c for i, c in enumerate(r)] for r in rows]


def duration(seconds: float) -> str:
    """12s, 4m 05s, 2h 07m."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds}s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes}m {secs:02d}s"
    return f"{minutes // 60}h {minutes % 60:02d}m"
