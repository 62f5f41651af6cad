"""An operator's maintenance of a long-lived store.

`newsloom prune`: housekeeping now (app/housekeeping.py) — fetched pages, fetch-log entries and
finished jobs older than their settings deleted, or counted with ``--dry-run``. `run` and the
serial worker do the same hourly; this is for an operator who wants the space back now, or to
see what the settings would delete before changing them.

`newsloom backup FILE`: a consistent copy of the store while newsloom writes to it (SQLite: a
database file; PostgreSQL: a pg_dump archive; app/backup.py)."""

from __future__ import annotations

import click

from newsloom.cli.common import db_option, dump, json_option, open_db, out, settings
from newsloom.errors import NewsloomError


def _size(n: int) -> str:
    return f"{n / 2**20:,.1f} MB" if n >= 2**20 else f"{n / 1024:,.0f} kB"


@click.command()
@click.option("--dry-run", is_flag=True, help="Count what would be deleted; delete nothing.")
@json_option
@db_option
def prune(dry_run: bool, as_json: bool) -> None:
    """Delete fetched pages, fetch-log entries and finished jobs older than their settings
    (keep_pages_days, keep_fetch_log_days, keep_done_jobs_days; 0 keeps them)."""
    from newsloom.app import housekeeping

    cfg = settings()
    with open_db(create=False) as store:
        if not housekeeping.supported(store):
            raise NewsloomError(f"{cfg.db}: this store has nothing to prune")
        kept = {kind: float(getattr(cfg, name)) for kind, name in housekeeping.SETTINGS.items()}
        if dry_run:
            found = housekeeping.plan(store, cfg)
            if as_json:
                dump({"dry_run": True, "keep_days": kept,
                      "would_delete": {k: {"rows": n, "bytes": b} for k, (n, b) in found.items()}})
                return
            for kind, days in kept.items():
                if kind not in found:
                    out.print(f"{housekeeping.NAMES[kind]}: kept for good ({housekeeping.SETTINGS[kind]} = 0)", markup=False)
                    continue
                n, size = found[kind]
                extra = f" ({_size(size)} stored)" if kind == "pages" else ""
                out.print(f"{housekeeping.NAMES[kind]} older than {days:g} days: {n:,} would be deleted{extra}",
                          markup=False)
            if found.get("fetch_caches", (0, 0))[0]:
                out.print(f"{housekeeping.NAMES['fetch_caches']}: {found['fetch_caches'][0]:,} would be deleted",
                          markup=False)
            return
        done = housekeeping.prune(store, cfg)
        if as_json:
            dump({"dry_run": False, "keep_days": kept, "deleted": done.deleted})
            return
        for kind, days in kept.items():
            if kind in done.deleted:
                out.print(f"{housekeeping.NAMES[kind]} older than {days:g} days: {done.deleted[kind]:,} deleted",
                          markup=False)
            else:
                out.print(f"{housekeeping.NAMES[kind]}: kept for good ({housekeeping.SETTINGS[kind]} = 0)", markup=False)
        if done.deleted.get("fetch_caches"):
            out.print(f"{housekeeping.NAMES['fetch_caches']}: {done.deleted['fetch_caches']:,} deleted", markup=False)


@click.command()
@click.argument("dest", type=click.Path(dir_okay=False, path_type=str))
@click.option("--force", is_flag=True, help="Replace DEST if it exists.")
@db_option
def backup(dest: str, force: bool) -> None:
    """Copy the store to DEST, consistent even while newsloom writes to it. SQLite: a database
    file (restore: stop newsloom, copy DEST over the store). PostgreSQL: a pg_dump archive
    (restore: the pg_restore command it prints)."""
    from newsloom.app.backup import backup as copy

    with open_db(create=False) as store:
        done = copy(store, dest, overwrite=force)
    out.print(f"backed up {done.articles:,} articles ({done.bytes / 2**20:,.1f} MB) to {done.path} "
              f"in {done.seconds:.1f} s", markup=False)
    if done.restore:
        out.print(f"to restore it, with newsloom stopped: {done.restore}", markup=False)
