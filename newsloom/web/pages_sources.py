"""Sources: the list, a source's page (recent articles, feed health), and the admin pages (add a
feed, import/export OPML, enable/disable) behind an API token login."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Form, Query, Request, UploadFile
from fastapi.responses import RedirectResponse, Response

from newsloom.app import sources as src_uc
from newsloom.app.stories import snippet
from newsloom.errors import NewsloomError
from newsloom.web.codes import source_codes_problem
from newsloom.web.render import page
from newsloom.web.security import ADMIN_COOKIE, is_admin, require_writer, token_ok

router = APIRouter(include_in_schema=False)
_MAX_OPML = 5 * 1024 * 1024


@router.get("/sources")
def sources(request: Request) -> Response:
    store = request.app.state.store
    feeds = src_uc.list_feeds(store)
    by_source: dict[int, list] = {}
    for h in feeds:
        if h.source is not None:
            by_source.setdefault(int(h.source.id), []).append(h.feed)  # type: ignore[arg-type]
    items = sorted(store.list_sources(), key=lambda s: s.name.lower())
    return page(request, "sources.html", items=items, feeds=by_source, title="Sources")


@router.get("/sources/{source_id}")
def source(request: Request, source_id: int, page_no: Annotated[int, Query(alias="page", ge=1, le=1000)] = 1) -> Response:
    store = request.app.state.store
    src = store.get_source(source_id)
    arts = store.list_articles(limit=30, offset=(page_no - 1) * 30, source_id=source_id)
    chars = request.app.state.settings.snippet_chars
    return page(request, "source.html", src=src, feeds=store.list_feeds(source_id),
                arts=[(a, snippet(a, chars)) for a in arts if a.status != "removed"],
                page_no=page_no, more=len(arts) == 30, title=src.name)


@router.get("/admin")
def admin(request: Request, msg: Annotated[str | None, Query(max_length=300)] = None) -> Response:
    if not is_admin(request):
        return page(request, "login.html", title="Sign in", max_age=0)
    feeds = src_uc.list_feeds(request.app.state.store)
    resp = page(request, "admin.html", feeds=feeds, msg=msg, title="Sources admin", max_age=0)
    resp.headers["Cache-Control"] = "no-store"
    return resp


@router.post("/admin/login")
def login(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    if not token_ok(request.app.state.store, token.strip()):
        return page(request, "login.html", status_code=401, title="Sign in", error=True)
    resp = RedirectResponse("/admin", status_code=303)
    resp.set_cookie(ADMIN_COOKIE, token.strip(), httponly=True, samesite="strict",
                    secure=request.url.scheme == "https", max_age=7 * 86400)
    return resp


@router.post("/admin/logout")
def logout() -> Response:
    resp = RedirectResponse("/", status_code=303)
    resp.delete_cookie(ADMIN_COOKIE)
    return resp


def _back(msg: str) -> Response:
    from urllib.parse import quote

    return RedirectResponse(f"/admin?msg={quote(msg[:280])}", status_code=303)


@router.post("/admin/feeds")
def add_feed(request: Request, url: Annotated[str, Form(max_length=2000)],
             name: Annotated[str, Form(max_length=200)] = "", country: Annotated[str, Form(max_length=2)] = "",
             language: Annotated[str, Form(max_length=8)] = "") -> Response:
    require_writer(request)
    state = request.app.state
    if why := source_codes_problem(country.strip(), language.strip()):
        return _back(f"error: {why}")
    try:
        new = src_uc.check_new_feed(url.strip(), name=name.strip() or None, country=country.strip() or None,
                                    language=language.strip() or None)
        feed, src = src_uc.add_source(state.store, state.settings, new)
    except NewsloomError as exc:
        return _back(f"error: {exc}")
    return _back(f"added feed {feed.id} ({src.name})")


@router.post("/admin/feeds/{feed_id}/active")
def set_active(request: Request, feed_id: int, active: Annotated[bool, Form()]) -> Response:
    require_writer(request)
    feed, changed = src_uc.set_feed_active(request.app.state.store, feed_id, active)
    return _back(f"feed {feed_id} {'enabled' if feed.active else 'disabled'}" + ("" if changed else " (unchanged)"))


@router.post("/admin/opml")
async def import_opml(request: Request, file: Annotated[UploadFile, File()]) -> Response:
    require_writer(request)
    data = await file.read(_MAX_OPML + 1)
    if len(data) > _MAX_OPML:
        return _back(f"error: {file.filename}: larger than {_MAX_OPML // 1_000_000} MB")
    state = request.app.state
    try:
        result = src_uc.import_opml(state.store, state.settings, data, file.filename or "upload")
    except NewsloomError as exc:
        return _back(f"error: {exc}")
    return _back(f"imported {result.added} feeds, {result.skipped} already followed"
                 + (f"; {len(result.problems)} problems" if result.problems else ""))
