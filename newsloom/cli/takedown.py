"""``newsloom takedown``: add, list, show, verify, approve, reject, run (publisher removal requests)."""

from __future__ import annotations

import click
from rich import box
from rich.table import Table

from newsloom.cli.common import (db_option, dump, duration, err, fit_table, json_option, open_db, out, plural,
                                 root_options, settings, when)
from newsloom.errors import TakedownError


@click.group()
@root_options
def takedown() -> None:
    """Publisher removal requests: carried out within 24 h of receipt once verified."""


def _left(seconds: int | None) -> str:
    if seconds is None:
        return ""
    sign, s = ("-" if seconds < 0 else ""), abs(seconds)
    return f"{sign}{s // 3600}h {s % 3600 // 60:02d}m" + (" OVERDUE" if seconds < 0 else "")


@takedown.command("add")
@click.option("--url", "url", help="One page.")
@click.option("--prefix", help="Every page whose URL starts with this.")
@click.option("--domain", help="A whole site and its subdomains (IDN accepted).")
@click.option("--requester", required=True, help="Name of the rights holder or their agent.")
@click.option("--contact", required=True, help="E-mail address for the answer.")
@click.option("--reason", required=True, help="The work concerned and why it must go.")
@click.option("--statement", is_flag=True, help="Good-faith statement, accurate, under penalty of perjury.")
@json_option
@db_option
def add(url: str | None, prefix: str | None, domain: str | None, requester: str, contact: str,
        reason: str, statement: bool, as_json: bool) -> None:
    """Receive a request; prints its id and how to verify control of the site."""
    from newsloom.app import rights as uc
    from newsloom.rights.takedowns import token_line
    from newsloom.rights.verify import WELL_KNOWN

    given = [(k, v) for k, v in (("url", url), ("prefix", prefix), ("domain", domain)) if v is not None]
    with open_db() as store:
        if len(given) != 1:
            msg = "give exactly one of --url, --prefix, --domain"
            from newsloom.rights import audit

            audit.record(store, "intake", "refused", f"cli: {msg}")
            raise TakedownError(msg)
        kind, value = given[0]
        intake = uc.submit(store, settings(), kind, value, requester, contact, reason, statement)
        req = intake.request
    if as_json:
        dump({**uc.request_dict(req), "duplicate": intake.duplicate, "notes": intake.notes})
        return
    if intake.duplicate:
        out.print(f"already received as request {req.id} ({req.status}); nothing new recorded", markup=False)
        return
    out.print(f"request {req.id} received; deadline {when(req.deadline)} UTC", markup=False)
    for note in intake.notes:
        out.print(f"  note: {note}", markup=False)
    out.print(f"verify control of {req.domain} with one of:\n"
              f"  DNS TXT record on _newsloom.{req.domain}: {token_line(req)}\n"
              f"  file {WELL_KNOWN} containing: {token_line(req)}\n"
              f'  <meta name="newsloom-verification" content="{req.token}"> on the home page\n'
              f"or an operator runs: newsloom takedown approve {req.id}", markup=False)


@takedown.command("list")
@click.option("--all", "show_all", is_flag=True, help="Closed requests too (executed, rejected).")
@json_option
@db_option
def list_(show_all: bool, as_json: bool) -> None:
    """Requests with their status and the time left before the deadline."""
    from newsloom.app import rights as uc
    from newsloom.rights.takedowns import OPEN

    with open_db() as store:
        reqs = store.list_takedowns(None if show_all else OPEN)  # type: ignore[attr-defined]
    rows = [uc.request_dict(r) for r in reqs]
    if as_json:
        dump(rows)
        return
    if not rows:
        out.print("no open requests" if not show_all else "no requests")
        return
    headers = ["id", "status", "kind", "target", "received", "time left", "removed"]
    cells = [[str(d["id"]), d["status"], d["kind"], d["target"], f"{r.received_at:%m-%d %H:%M}",
              _left(d["time_left_s"]), str(d["removed"])] for d, r in zip(rows, reqs, strict=True)]
    table = Table(box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))
    for name in headers:  # one line per request: the target is cropped to fit the terminal
        table.add_column(name, no_wrap=True, overflow="ellipsis")
    for row in fit_table(headers, cells, out.size.width - 2, {3: 1}):
        table.add_row(*row)
    out.print(table, soft_wrap=False, crop=True)
    n_over = sum(1 for d in rows if d["overdue"])
    if n_over:
        err.print(f"ALARM: {plural(n_over, 'request')} past the deadline", markup=False)


@takedown.command("show")
@click.argument("request_id", type=click.IntRange(min=1))
@json_option
@db_option
def show(request_id: int, as_json: bool) -> None:
    """One request and its whole audit trail."""
    from newsloom.app import rights as uc
    from newsloom.rights import audit

    with open_db() as store:
        req = uc.get(store, request_id)
        trail = audit.trail(store, request_id)
    d = uc.request_dict(req)
    if as_json:
        dump({**d, "audit": [{"at": e.at.isoformat(), "step": e.step, "outcome": e.outcome,
                              "detail": e.detail} for e in trail]})
        return
    for k in ("id", "status", "kind", "target", "requester", "contact", "reason", "statement",
              "verified_by", "received_at", "deadline", "executed_at", "removed", "verification"):
        out.print(f"{k:>12}: {d.get(k)}", markup=False)
    if d["time_left_s"] is not None:
        out.print(f"{'time left':>12}: {_left(d['time_left_s'])}", markup=False)
    out.print("audit trail:")
    for e in trail:
        out.print(f"  {e.at:%Y-%m-%d %H:%M:%S} {e.step:<12} {e.outcome:<8} {e.detail}", markup=False)


@takedown.command("verify")
@click.argument("request_id", type=click.IntRange(min=1))
@click.option("--no-execute", is_flag=True, help="Only check; leave execution to `newsloom run`.")
@db_option
def verify_cmd(request_id: int, no_execute: bool) -> None:
    """Check the DNS record, the .well-known file and the meta tag now; execute if verified."""
    from newsloom.app import rights as uc

    with open_db() as store:
        req = uc.get(store, request_id)
        if req.status != "received":
            raise TakedownError(f"takedown {request_id}: already {req.status}")
        if not uc.check(store, settings(), req):
            out.print(f"request {request_id}: not verified yet (see `newsloom takedown show {request_id}`)")
            click.get_current_context().exit(1)
        if not no_execute:
            req = uc.execute(store, settings(), req)
    out.print(f"request {request_id}: verified by {req.verified_by}; {req.status}"
              + (f", {plural(req.removed, 'article')} removed" if req.status == "executed" else ""), markup=False)


@takedown.command("approve")
@click.argument("request_id", type=click.IntRange(min=1))
@click.option("--operator", default="operator", show_default=True, help="Who approves (audit log).")
@click.option("--no-execute", is_flag=True, help="Approve only; `newsloom run` executes it.")
@db_option
def approve(request_id: int, operator: str, no_execute: bool) -> None:
    """An operator approves a request (needed when the site is not verified) and it is executed."""
    from newsloom.app import rights as uc

    with open_db() as store:
        req = uc.approve(store, settings(), request_id, operator, execute_now=not no_execute)
    out.print(f"request {request_id}: {req.status}"
              + (f", {plural(req.removed, 'article')} removed" if req.status == "executed" else ""), markup=False)


@takedown.command("reject")
@click.argument("request_id", type=click.IntRange(min=1))
@click.option("--why", default="", help="Reason, kept in the audit log.")
@click.option("--operator", default="operator", show_default=True)
@db_option
def reject(request_id: int, why: str, operator: str) -> None:
    """Reject a request (nothing is removed)."""
    from newsloom.app import rights as uc

    with open_db() as store:
        uc.reject(store, request_id, why, operator)
    out.print(f"request {request_id}: rejected")


@takedown.command("run")
@db_option
def run_pass() -> None:
    """One pass of what `newsloom run` does after each fetch pass: verify, execute, alarm."""
    from newsloom.app import rights as uc

    with open_db() as store:
        rep = uc.run_due(store, settings())
    out.print(f"takedowns: {rep.verified} verified, {rep.executed} executed, {rep.expired} expired hidden, "
              f"{len(rep.overdue)} overdue", markup=False)
    if rep.overdue:
        err.print(f"ALARM: overdue requests {', '.join(map(str, rep.overdue))}", markup=False)


def _recrawl_lines(rep: object, show: int = 10) -> None:
    from newsloom.app.recrawl import RecrawlReport

    assert isinstance(rep, RecrawlReport)
    out.print(f"recrawl: {rep.checked} due, {rep.retracted} retracted, {rep.revised} revised, "
              f"{rep.unchanged} unchanged ({rep.not_modified} without a new analysis), {rep.errors} failed (kept, retried at the next step)", markup=False)
    for line in rep.lines[:show]:
        out.print(f"  {line}", markup=False)
    if len(rep.lines) > show:
        out.print(f"  ... and {len(rep.lines) - show} more", markup=False)


# after each pass of `newsloom run`, the recrawl gets at most this long (in batches of 500);
# what is left is done after the next pass, and `newsloom status` shows how late it is
RECRAWL_SECONDS_PER_PASS = 60.0


def recrawl_after_pass(store: object, pipeline: object) -> None:
    """What `newsloom run` does after each pass: recrawl the articles due again (1 h, 24 h,
    7 d after their first fetch by default) through the pipeline's own stages, for up to
    :data:`RECRAWL_SECONDS_PER_PASS`; quiet when none is due, a line when its time ran out."""
    from newsloom.app.recrawl import backlog, recrawl_for
    from newsloom.errors import NewsloomError

    try:  # the pass reaches the pipeline's own stories service and near-duplicate index
        rep = recrawl_for(store, settings(), pipeline, RECRAWL_SECONDS_PER_PASS)  # type: ignore[arg-type]
        left, late = backlog(store, settings()) if rep.out_of_time else (0, None)  # type: ignore[arg-type]
    except NewsloomError as exc:
        err.print(f"recrawl: {exc}", markup=False)
        return
    if rep.checked:
        _recrawl_lines(rep, show=3)
    if left:
        out.print(f"recrawl: {left:,} still due (the oldest {duration(late or 0)} late), after the next pass",
                  markup=False)


@takedown.command("recrawl")
@click.option("--limit", type=click.IntRange(1, 100_000), default=500, show_default=True,
              help="At most this many due articles in this pass.")
@db_option
def recrawl(limit: int) -> None:
    """One recrawl pass by hand: articles due again (1 h, 24 h, 7 d after their first fetch) are
    fetched; 404/410 or a redirect to the home page retracts, a changed page is a revision."""
    from newsloom.app.recrawl import run_recrawl

    with open_db() as store:
        rep = run_recrawl(store, settings(), limit=limit)
    _recrawl_lines(rep)
    if rep.checked and rep.errors == rep.checked:
        err.print("Error: every recrawl in this pass failed (network?); they are retried at the next step",
                  markup=False)
        click.get_current_context().exit(1)
