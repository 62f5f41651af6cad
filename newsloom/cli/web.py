"""``newsloom serve`` (the reader: web pages, JSON API, feeds) and ``newsloom tokens`` (API tokens
for write endpoints and the sources admin)."""

from __future__ import annotations

import click

from newsloom.cli.common import (connect_timeout_option, db_option, dump, json_option, open_db, open_db_waiting, out,
                                 root_options, settings)
from newsloom.errors import NotFoundError


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Server processes (each opens its own store connections).")
@click.option("--no-semantic", is_flag=True, help="Search by words only (do not load the embedding model).")
@click.option("--cache-seconds", default=2.0, show_default=True, type=click.FloatRange(0, 3600),
              help="Keep rendered public pages this long (0: render every request).")
@connect_timeout_option
@db_option
def serve(host: str, port: int, workers: int, no_semantic: bool, cache_seconds: float,
          connect_timeout: float | None) -> None:
    """Serve the reader at http://HOST:PORT (API docs at /docs). A database not reachable at
    start-up is tried again for --connect-timeout seconds, as `run` and `worker` do."""
    from newsloom.app.daemon import setup_logging
    from newsloom.memtrim import limit_arenas
    from newsloom.web.server import serve as run

    limit_arenas()  # before the server's thread pool: one malloc arena per thread otherwise
    # a missing or broken store fails here, in one line, before the server starts; one not
    # reachable yet (PostgreSQL starting with the machine) is waited for, a log line a try
    restore_logging = setup_logging("text", "info")
    try:
        with open_db_waiting(connect_timeout, create=False):
            pass
    finally:
        restore_logging()  # uvicorn sets up its own
    out.print(f"newsloom reader on http://{host}:{port}/ (API: /docs) — Ctrl-C stops", markup=False)
    run(settings(), host=host, port=port, workers=workers, semantic=not no_semantic,
        cache_seconds=cache_seconds)


@click.group()
@root_options
def tokens() -> None:
    """API tokens: write endpoints (POST /api/...) and the sources admin need one."""


@tokens.command("create")
@click.argument("name")
@db_option
def create(name: str) -> None:
    """Create a token named NAME and print it (only its hash is stored: keep it now)."""
    from newsloom.web.security import create_token

    name = name.strip()
    if not name or len(name) > 100:
        raise click.BadParameter("expected 1 to 100 characters", param_hint="NAME")
    with open_db() as store:
        token = create_token(store, name)
    out.print(token, markup=False)


@tokens.command("list")
@json_option
@db_option
def list_tokens(as_json: bool) -> None:
    """Tokens by id and name (the tokens themselves are not stored)."""
    with open_db() as store:
        rows = store.list_api_tokens()  # type: ignore[attr-defined]
    if as_json:
        dump([{"id": tid, "name": name, "created": created.isoformat() if created else None}
              for tid, name, created in rows])
        return
    for tid, name, created in rows:
        out.print(f"{tid}\t{name}\t{created.isoformat() if created else ''}", markup=False)


@tokens.command("revoke")
@click.argument("token_id", type=click.IntRange(min=1))
@db_option
def revoke(token_id: int) -> None:
    """Delete token TOKEN_ID."""
    with open_db() as store:
        if not store.delete_api_token(token_id):  # type: ignore[attr-defined]
            raise NotFoundError(f"token {token_id}: not found (see `newsloom tokens list`)")
    out.print(f"token {token_id} revoked")
