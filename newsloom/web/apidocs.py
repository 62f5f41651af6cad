"""The API's interactive documentation at ``/docs``, served from this machine: Swagger UI's
files (5.x, which reads OpenAPI 3.1) come from the ``fastapi-offline`` package, used only for
those files (FastAPI's default page loads them from a CDN,
which a self-hosted reader without internet access, or with a strict CSP, cannot use). The page
has no inline script: the start-up script is a static file, so the page keeps a
Content-Security-Policy that allows scripts from this origin only (``DOCS_CSP``)."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; base-uri 'none'; frame-ancestors 'none'")
_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>newsloom API</title>
<link rel="stylesheet" href="/docs/files/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/docs/files/swagger-ui-bundle.js"></script>
<script src="/docs/start.js"></script></body></html>
"""
_START = """window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis], layout: "BaseLayout", deepLinking: true});
"""

router = APIRouter(include_in_schema=False)


@router.get("/docs")
def docs() -> HTMLResponse:
    return HTMLResponse(_PAGE)


@router.get("/docs/start.js")
def start() -> Response:
    return Response(_START, media_type="text/javascript")


def mount(app: FastAPI) -> None:
    """Add ``/docs`` (page, start-up script, Swagger UI's files) to ``app``."""
    from importlib.resources import files

    assets = files("fastapi_offline") / "static"
    app.mount("/docs/files", StaticFiles(directory=str(assets)), name="docs-files")
    app.include_router(router)
