"""Rendering: the Jinja2 environment (autoescape on for HTML and XML), the filters the templates
use, the reader's UI language, and responses with ETag + Cache-Control."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.datastructures import QueryParams

from newsloom.models import utcnow
from newsloom.web import i18n
from newsloom.web.templating import speed_up, ui_environment

TEMPLATES = Path(__file__).parent / "templates"
UI_COOKIE = "ui"

env = speed_up(Environment(
    loader=FileSystemLoader(str(TEMPLATES)),
    autoescape=select_autoescape(["html", "xml"], default_for_string=True),
    trim_blocks=True,
    lstrip_blocks=True,
    auto_reload=False,  # templates ship with the package: no stat() of each one per render
))


def safe_url(url: str | None) -> str | None:
    """The URL when it is http(s) (a crawled ``javascript:`` or ``data:`` link is dropped)."""
    if not url or not isinstance(url, str):
        return None
    return _safe_url(url)


# URLs recur on every page that shows their article (a story page asks two or three times per
# article): a split costs ~4 us, a cache hit ~0.1 us; the answers depend on the text alone. One
# entry an article shown (~100-150 bytes each, for good), so sized for the pages being read, not
# the archive (i18n._TIMES_CACHED says why)
_URLS_CACHED = 16_384


@lru_cache(maxsize=_URLS_CACHED)
def _safe_url(url: str) -> str | None:
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url


def host(url: str | None) -> str:
    return _host(url) if isinstance(url, str) else _host_of(url)


@lru_cache(maxsize=_URLS_CACHED)
def _host(url: str) -> str:
    return _host_of(url)


def _host_of(url: Any) -> str:
    try:
        return urlsplit(url or "").hostname or ""
    except ValueError:
        return ""


env.filters["safe_url"] = safe_url
env.filters["host"] = host


# one environment per UI language, its translations compiled in (newsloom/web/templating.py)
_UI_ENVS = {ui: ui_environment(env, lambda m, ui=ui: i18n.gettext(ui, m)) for ui in i18n.UI_LANGS}


def ui_lang(request: Request) -> str:
    """``?ui=`` (also remembered in a cookie by the middleware), the cookie, Accept-Language."""
    for value in (request.query_params.get("ui"), request.cookies.get(UI_COOKIE)):
        if value in i18n.UI_LANGS:
            return value  # type: ignore[return-value]
    return i18n.negotiate(request.headers.get("accept-language"))


def url_with(request: Request, **changes: Any) -> str:
    """The current path with query parameters changed (None removes one)."""
    return _url_with(request.url.path, request.scope.get("query_string", b""),
                     tuple((k, None if v is None else str(v)) for k, v in changes.items()))


# every page links its five UI languages (and a list page its filters): the same few URLs
@lru_cache(maxsize=4096)
def _url_with(path: str, query_string: bytes, changes: tuple[tuple[str, str | None], ...]) -> str:
    params = dict(QueryParams(query_string))  # what request.query_params holds
    for k, v in changes:
        if v is None:
            params.pop(k, None)
        else:
            params[k] = v
    q = urlencode(params)
    return path + ("?" + q if q else "")


def _when_text(value: object, ui: str) -> str:
    """A stored ISO time (timeline entries keep text) in the reader's format; anything else as is."""
    if isinstance(value, datetime):
        return i18n.when(value, ui)
    try:
        parsed = datetime.fromisoformat(str(value))
    except ValueError:
        return str(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(timezone.utc)
    return i18n.when(parsed, ui)


def context(request: Request, **extra: Any) -> dict[str, Any]:
    ui = ui_lang(request)
    now = utcnow()
    ctx: dict[str, Any] = {
        "request": request, "ui": ui, "ui_langs": i18n.UI_LANGS, "now": now,
        "_": lambda m: i18n.gettext(ui, m),
        "lang_name": lambda c: i18n.language_name(c, ui),
        "country_name": lambda c: i18n.country_name(c, ui),
        "when": lambda d: i18n.when(d, ui),
        "day": lambda d: i18n.day(d, ui),
        "ago": lambda d: i18n.ago(d, ui, now),
        "num": lambda n: i18n.number(n, ui),
        "url_with": lambda **kw: url_with(request, **kw),
        "iso": lambda d: d.isoformat() if isinstance(d, datetime) else "",
        "when_text": lambda t: _when_text(t, ui),
    }
    ctx.update(extra)
    return ctx


def cached(request: Request, body: bytes, media_type: str, max_age: int = 30,
           status_code: int = 200) -> Response:
    """A response with a strong ETag of its body; 304 when the client has it already."""
    etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
    headers = {"ETag": etag, "Cache-Control": f"public, max-age={max_age}", "Vary": "Accept-Language, Cookie"}
    inm = request.headers.get("if-none-match", "")
    if status_code == 200 and etag in [t.strip() for t in inm.split(",")]:
        return Response(status_code=304, headers=headers)
    return Response(body, status_code=status_code, media_type=media_type, headers=headers)


def page(request: Request, template: str, status_code: int = 200, max_age: int = 30, **extra: Any) -> Response:
    ctx = context(request, **extra)
    html = _UI_ENVS.get(ctx["ui"], env).get_template(template).render(ctx)
    resp = cached(request, html.encode("utf-8"), "text/html; charset=utf-8", max_age, status_code)
    if status_code >= 400 or max_age <= 0:
        resp.headers["Cache-Control"] = "no-store"
    return resp


def json_response(request: Request, data: Any, max_age: int = 30) -> Response:
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")
    return cached(request, body, "application/json", max_age)
