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


def when(dt: Any) -> str:
    return dt.strftime("%Y-%m-%d %H:%M") if dt else ""


def progress() -> Progress:
    """A transient progress bar on stderr, hidden when stderr is not a terminal (cron, pipes)."""
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=err, transient=True, disable=not err.is_terminal)
