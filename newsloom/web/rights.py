"""Publisher rights on the web: the rights page (what is obeyed, the removal form), the JSON
API for removal requests, the transparency report (HTML and JSON) and the operator's view of
open requests with the overdue alarm. Use cases in ``newsloom.app.rights``.

Intake is public on purpose (a publisher has no account here): a request does nothing until the
site is verified or an operator approves it. Browser form posts from other sites are refused
by the app's ``cross_site_refusal``; approving and rejecting need the admin token."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from newsloom.app import rights as uc
from newsloom.errors import TakedownError
from newsloom.rights.takedowns import TOKEN_PREFIX
from newsloom.rights.verify import META_NAME, WELL_KNOWN
from newsloom.web.render import json_response, page
from newsloom.web.security import is_admin, require_writer

router = APIRouter(tags=["rights"])


def _how(req_dict: dict, token: str) -> dict[str, str]:
    """The three ways to prove control of the site, with this request's token."""
    domain, line = req_dict["domain"], TOKEN_PREFIX + token
    return {"dns_txt": f"_newsloom.{domain} TXT \"{line}\"",
            "file": f"{WELL_KNOWN} containing {line}",
            "meta": f'<meta name="{META_NAME}" content="{token}">'}


@router.get("/rights", include_in_schema=False)
def rights_page(request: Request) -> Response:
    s = request.app.state.settings
    return page(request, "rights.html", title="Publisher rights", deadline=s.takedown_deadline_hours,
                snippet_chars=s.snippet_chars, form={}, error=None)


@router.post("/rights/requests", include_in_schema=False)
def rights_form(request: Request, kind: Annotated[str, Form(max_length=10)],
                target: Annotated[str, Form(max_length=2000)], requester: Annotated[str, Form(max_length=200)],
                contact: Annotated[str, Form(max_length=254)], reason: Annotated[str, Form(max_length=5000)],
                statement: Annotated[bool, Form()] = False) -> Response:
    state = request.app.state
    form = {"kind": kind, "target": target, "requester": requester, "contact": contact, "reason": reason}
    try:
        intake = uc.submit(state.store, state.settings, kind, target, requester, contact, reason,
                           statement, channel="form")
    except TakedownError as exc:
        return page(request, "rights.html", status_code=422, title="Publisher rights", form=form,
                    error=str(exc), deadline=state.settings.takedown_deadline_hours,
                    snippet_chars=state.settings.snippet_chars, max_age=0)
    req = intake.request
    return page(request, "rights_received.html", title="Request received", req=uc.request_dict(req),
                duplicate=intake.duplicate, how=_how(uc.request_dict(req), req.token), max_age=0)


class TakedownIn(BaseModel):
    kind: Literal["url", "prefix", "domain"]
    target: str = Field(max_length=2000, description="The URL, URL prefix or domain to remove")
    requester: str = Field(max_length=200, description="Rights holder or agent")
    contact: str = Field(max_length=254, description="E-mail address for the answer")
    reason: str = Field(max_length=5000, description="The work concerned and why it must go")
    statement: bool = Field(False, description="Good-faith statement, accurate, under penalty of perjury")


@router.post("/api/rights/requests", summary="File a removal request (DMCA 512(c)(3) / DSA Art. 16)",
             status_code=201)
def api_submit(request: Request, body: TakedownIn) -> Response:
    state = request.app.state
    intake = uc.submit(state.store, state.settings, body.kind, body.target, body.requester, body.contact,
                       body.reason, body.statement, channel="api")  # TakedownError -> 422 (app handler)
    req = intake.request
    d = {**uc.request_dict(req, public=True), "duplicate": intake.duplicate}
    if not intake.duplicate:
        # the token goes only to whoever filed the request, and only now
        d["verify_with"] = _how(d, req.token)
    return JSONResponse(d, status_code=200 if intake.duplicate else 201, headers={"Cache-Control": "no-store"})


@router.get("/api/rights/requests/{request_id}", summary="Where a removal request stands")
def api_status(request: Request, request_id: int) -> Response:
    req = uc.get(request.app.state.store, request_id)
    return JSONResponse(uc.request_dict(req, public=True), headers={"Cache-Control": "no-store"})


@router.get("/rights/transparency.json", summary="Transparency report: requests by outcome, time to removal")
def transparency_json(request: Request) -> Response:
    return json_response(request, uc.transparency(request.app.state.store), max_age=60)


@router.get("/rights/transparency", summary="Transparency report (HTML; JSON with Accept: application/json)")
def transparency(request: Request) -> Response:
    report = uc.transparency(request.app.state.store)
    if "application/json" in request.headers.get("accept", ""):
        return json_response(request, report, max_age=60)
    return page(request, "rights_transparency.html", title="Transparency report", r=report, max_age=60)


@router.get("/admin/rights", include_in_schema=False)
def admin_rights(request: Request, msg: str | None = None) -> Response:
    if not is_admin(request):
        return RedirectResponse("/admin", status_code=303)
    store = request.app.state.store
    reqs = [uc.request_dict(r) for r in store.list_takedowns(("received", "verified"))]
    return page(request, "rights_admin.html", title="Removal requests", reqs=reqs,
                overdue=[r for r in reqs if r["overdue"]], msg=(msg or "")[:300], max_age=0)


def _back(msg: str) -> Response:
    return RedirectResponse(f"/admin/rights?msg={quote(msg[:280])}", status_code=303)


@router.post("/admin/rights/{request_id}/approve", include_in_schema=False, dependencies=[Depends(require_writer)])
def admin_approve(request: Request, request_id: int) -> Response:
    # approved here, carried out by `newsloom run` on its next pass (this process does not load
    # the stories stage's models)
    try:
        uc.approve(request.app.state.store, request.app.state.settings, request_id, "web admin", execute_now=False)
    except TakedownError as exc:
        return _back(f"error: {exc}")
    return _back(f"request {request_id} approved; `newsloom run` carries it out on its next pass")


@router.post("/admin/rights/{request_id}/reject", include_in_schema=False, dependencies=[Depends(require_writer)])
def admin_reject(request: Request, request_id: int, why: Annotated[str, Form(max_length=500)] = "") -> Response:
    try:
        uc.reject(request.app.state.store, request_id, why, "web admin")
    except TakedownError as exc:
        return _back(f"error: {exc}")
    return _back(f"request {request_id} rejected")
