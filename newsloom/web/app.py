"""The reader's ASGI app: ``create_app(store)`` wires the routes of each page kind, the security
headers, the error pages and the metrics.

Routes are plain ``def`` functions: FastAPI runs them in its thread pool, and the store serves
each thread from its own reader connection (SQLite WAL) or a pool (PostgreSQL), so a request
never waits for the pipeline's write transaction.
"""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsloom.app.stories import BadQuery
from newsloom.config import Settings
from newsloom.errors import NewsloomError, NotFoundError
from newsloom.store.base import Store
from newsloom.web import metrics
from newsloom.web.microcache import MicroCache
from newsloom.web.render import UI_COOKIE, page, ui_lang
from newsloom.web.security import CSP, cross_site_refusal

STATIC = Path(__file__).parent / "static"


def create_app(store: Store, settings: Settings | None = None, *, semantic: bool = True,
               cache_seconds: float = 0.0) -> FastAPI:
    """The web app over an open store. ``semantic``: load the embedding model for cross-language
    search (off in tests that do not need it: loading takes a few seconds). ``cache_seconds``:
    keep rendered public pages this long (``MicroCache``; ``newsloom serve`` uses 2 s)."""
    from newsloom.app.search import SemanticIndex
    from newsloom.web import api, feeds, ops, pages_search, pages_sources, pages_stories

    settings = settings or Settings()
    store.use_reader_connections()
    index = getattr(store, "index_stories", None)
    if index is not None:
        index()  # stories saved before the reader's migration get their rank once
    app = FastAPI(title="newsloom", version="0.1.0", docs_url="/docs", redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Stories across languages, articles, sources and search. Public reads; "
                              "writes need `Authorization: Bearer <token>` (`newsloom tokens create`).")
    app.state.store = store
    app.state.settings = settings
    app.state.semantic = SemanticIndex(store) if semantic else None
    cache = MicroCache(cache_seconds)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    for module in (pages_stories, pages_search, pages_sources, feeds, api, ops):
        app.include_router(module.router)

    @app.middleware("http")
    async def headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        qs = request.scope.get("query_string", b"")
        if b"=&" in qs or qs.endswith(b"="):
            # a filter form sends its unchosen menus as "lang=&country=": the same as absent
            kept = [(k, v) for k, v in parse_qsl(qs.decode("latin-1"), keep_blank_values=True) if v != ""]
            request.scope["query_string"] = urlencode(kept).encode("latin-1")
        refusal = cross_site_refusal(request)
        key = cache.key(request, ui_lang(request)) if refusal is None else None
        response = cache.get(key, request) if key is not None else None
        if response is None:
            response = refusal if refusal is not None else await call_next(request)
            if key is not None and response.status_code == 200:
                body = b"".join([chunk async for chunk in response.body_iterator])  # type: ignore[attr-defined]
                cache.put(key, 200, list(response.headers.items()), body)
                response = Response(body, status_code=200, headers=dict(response.headers))
        h = response.headers
        # /docs (Swagger UI) loads its script and styles from a CDN; everything else is ours.
        if not request.url.path.startswith("/docs"):
            h.setdefault("Content-Security-Policy", CSP)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        h.setdefault("X-Frame-Options", "DENY")
        ui = request.query_params.get("ui")
        if ui and ui in ("en", "pt", "es", "fr", "de") and request.cookies.get(UI_COOKIE) != ui:
            response.set_cookie(UI_COOKIE, ui, max_age=365 * 86400, samesite="lax", httponly=True)
        route = request.scope.get("route")
        metrics.observe(getattr(route, "path", "other"), request.method, response.status_code,
                        time.perf_counter() - started)
        return response

    def wants_json(request: Request) -> bool:
        return request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", "")

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if wants_json(request) or exc.status_code not in (404, 405):
            return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                                headers=getattr(exc, "headers", None))
        return page(request, "error.html", status_code=exc.status_code, title="Page not found",
                    detail=str(exc.detail) if exc.status_code == 404 else "")

    @app.exception_handler(NotFoundError)
    async def not_found(request: Request, exc: NotFoundError) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": str(exc)}, status_code=404)
        return page(request, "error.html", status_code=404, title="Page not found", detail=str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        reasons = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "path", "body"))
            reasons.append(f"{where}: {e.get('msg')}")
        return _bad(request, "; ".join(reasons) or "invalid parameters")

    @app.exception_handler(BadQuery)
    async def bad_query(request: Request, exc: BadQuery) -> Response:
        return _bad(request, str(exc))

    @app.exception_handler(NewsloomError)
    async def bad_input(request: Request, exc: NewsloomError) -> Response:
        return _bad(request, str(exc))

    def _bad(request: Request, reason: str) -> Response:
        if wants_json(request):
            return JSONResponse({"detail": reason}, status_code=422)
        return page(request, "error.html", status_code=422, title="Bad request", detail=reason)

    return app
