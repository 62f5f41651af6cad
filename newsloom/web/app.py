"""The reader's ASGI app: ``create_app(store)`` wires the routes of each page kind, the security
headers, the error pages and the metrics.

Routes are plain ``def`` functions: FastAPI runs them in its thread pool, and the store serves
each thread from its own reader connection (SQLite WAL) or a pool (PostgreSQL), so a request
never waits for the pipeline's write transaction.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException

from newsloom.app.stories import BadQuery
from newsloom.config import Settings
from newsloom.errors import NewsloomError, NotFoundError
from newsloom.store.base import Store
from newsloom.web.microcache import MicroCache
from newsloom.web.middleware import ReaderMiddleware
from newsloom.web.render import page

STATIC = Path(__file__).parent / "static"


def create_app(store: Store, settings: Settings | None = None, *, semantic: bool = True,
               cache_seconds: float = 0.0) -> FastAPI:
    """The web app over an open store. ``semantic``: load the embedding model for cross-language
    search (off in tests that do not need it: loading takes a few seconds). ``cache_seconds``:
    keep rendered public pages this long (``MicroCache``; ``newsloom serve`` uses 2 s)."""
    from newsloom.app.search import SemanticIndex
    from newsloom.web import api, apidocs, feeds, ops, pages_search, pages_sources, pages_stories, rights

    settings = settings or Settings()
    store.use_reader_connections()
    index = getattr(store, "index_stories", None)
    if index is not None:
        index()  # stories saved before the reader's migration get their rank once
    app = FastAPI(title="newsloom", version="0.1.0", docs_url=None, redoc_url=None,
                  openapi_url="/openapi.json",
                  description="Stories across languages, articles, sources and search. Public reads; "
                              "writes need `Authorization: Bearer <token>` (`newsloom tokens create`).")
    app.state.store = store
    app.state.settings = settings
    app.state.semantic = SemanticIndex(store, limit=settings.search_semantic_articles) if semantic else None
    cache = MicroCache(cache_seconds)
    app.mount("/static", StaticFiles(directory=str(STATIC)), name="static")
    apidocs.mount(app)  # /docs from this machine, not a CDN
    for module in (pages_stories, pages_search, pages_sources, feeds, api, ops, rights):
        app.include_router(module.router)

    app.add_middleware(ReaderMiddleware, cache=cache)

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
