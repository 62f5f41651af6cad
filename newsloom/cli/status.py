"""`newsloom status`: what the installation is doing — feeds due, in flight and backing off,
articles/s, the queue's and the story stage's lag, and every running process (app/status.py).
Once, live (`--watch`, refreshed in place until Ctrl-C), or as JSON."""

from __future__ import annotations

import json
import time
from datetime import datetime
from typing import Any

import click
from rich.console import Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from newsloom.cli.common import db_option, dump, json_option, open_db, out, settings


def _ago(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "-"
    s = max(0, int((now - then).total_seconds()))
    return f"{s}s" if s < 120 else f"{s // 60}m" if s < 7200 else f"{s // 3600}h"


def _in(then: datetime | None, now: datetime) -> str:
    if then is None:
        return "-"
    s = int((then - now).total_seconds())
    return "now" if s <= 0 else f"in {s}s" if s < 120 else f"in {s // 60}m" if s < 7200 else f"in {s // 3600}h"


def _lag(seconds: float | None) -> str:
    return "none" if seconds is None else f"{seconds:.0f}s"


def _late(seconds: float | None) -> str:
    if seconds is None:
        return "none late"
    s = int(seconds)
    return f"oldest {s}s late" if s < 120 else f"oldest {s // 60}m late" if s < 7200 else f"oldest {s // 3600}h late"


def _size(n: int) -> str:
    for unit, scale in (("GB", 2**30), ("MB", 2**20)):
        if n >= scale:
            return f"{n / scale:,.1f} {unit}"
    return f"{n / 1024:,.0f} kB"


def render(snap: Any) -> Group:
    now = snap.at
    in_flight = sum(int(p.fields.get("feeds_in_flight") or 0) for p in snap.processes if not p.silent)
    rate = "-" if snap.articles_per_s is None else f"{snap.articles_per_s:.1f}"
    head = Text(
        f"feeds: {snap.feeds_active:,} active, {snap.feeds_due_now:,} due now, {in_flight:,} in flight, "
        f"{snap.feeds_backing_off:,} backing off, {snap.feeds_switched_off:,} switched off; "
        f"next due {_in(snap.next_due, now)}\n"
        f"articles: {snap.articles:,} ({rate}/s), stories: {snap.stories:,}, "
        f"waiting for a story: {snap.without_story:,}\n"
        f"jobs: {snap.jobs.get('queued', 0):,} queued, {snap.jobs.get('running', 0):,} running, "
        f"{snap.jobs.get('dead', 0):,} dead; queue lag {_lag(snap.oldest_queued_s)}\n"
        f"recrawl: {snap.recrawl_due:,} due, {_late(snap.recrawl_late_s)}"
        + (f"\nstore: {_size(snap.store_bytes)} on disk" if snap.store_bytes is not None else "")
        + (f", {_size(snap.disk_free_bytes)} free" if snap.disk_free_bytes is not None else ""))
    table = Table(title=None, show_edge=False, pad_edge=False, box=None)
    for col in ("process", "role", "state", "in flight", "stored", "up", "last beat"):
        table.add_column(col)
    for p in snap.processes:
        state = "SILENT (killed or hung?)" if p.silent else str(p.fields.get("state") or "")
        table.add_row(f"{p.host}:{p.pid}", p.role, state, str(p.fields.get("feeds_in_flight", "-")),
                      f"{int(p.fields.get('articles') or 0):,}", _ago(p.started, now), _ago(p.updated, now),
                      style="red" if p.silent else None)
    if not snap.processes:
        return Group(head, Text("no newsloom process is running on this store"))
    return Group(head, table)


@click.command()
@click.option("--watch", is_flag=True, help="Refresh in place until Ctrl-C.")
@click.option("--interval", default=2.0, show_default=True, type=click.FloatRange(0.2, 3600),
              help="Seconds between refreshes with --watch.")
@json_option
@db_option
def status(watch: bool, interval: float, as_json: bool) -> None:
    """What the installation is doing: feeds due, in flight and backing off; articles/s; queue and
    story lag; the recrawl's backlog; the running `newsloom run` and `newsloom worker` processes (their heartbeats)."""
    from newsloom.app.status import rate, snapshot

    conf = settings()  # the recrawl's backlog is counted by its schedule
    with open_db() as store:
        if as_json and not watch:
            dump(snapshot(store, settings=conf).to_json())
            return
        before = None
        if not watch:  # one look; a rate needs two, a second apart
            before = snapshot(store, settings=conf)
            time.sleep(1.0)
            out.print(render(rate(before, snapshot(store, settings=conf))))
            return
        try:
            if as_json:  # one JSON document a line, for a log shipper or `jq`
                while True:
                    before = rate(before, snapshot(store, settings=conf))
                    click.echo(json.dumps(before.to_json(), ensure_ascii=False), nl=True)
                    time.sleep(interval)
            with Live(console=out, auto_refresh=False, transient=False) as live:
                while True:
                    before = rate(before, snapshot(store, settings=conf))
                    live.update(render(before), refresh=True)
                    time.sleep(interval)
        except KeyboardInterrupt:
            return
