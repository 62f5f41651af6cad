"""What wraps every request, as one plain ASGI middleware (Starlette's ``@app.middleware("http")``
wraps each response in a stream and costs ~1 ms a request): empty filter parameters dropped,
cross-site writes refused, the micro-cache, security headers, the UI-language cookie, metrics."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from newsloom.web import metrics
from newsloom.web.i18n import UI_LANGS
from newsloom.web.microcache import MicroCache
from newsloom.web.render import UI_COOKIE, ui_lang
from newsloom.web.apidocs import DOCS_CSP
from newsloom.web.security import CSP, cross_site_refusal


log = logging.getLogger("newsloom.web")


class ReaderMiddleware:
    def __init__(self, app: ASGIApp, cache: MicroCache) -> None:
        self.app = app
        self.cache = cache
        # pages being rendered for the cache (this process, this event loop): an expired page is
        # re-rendered once in the background; a page not cached yet is rendered once for all
        # who ask for it meanwhile
        self._refreshing: set[Any] = set()
        self._filling: dict[Any, asyncio.Event] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        qs: bytes = scope.get("query_string", b"")
        if b"=&" in qs or qs.endswith(b"="):
            # a filter form sends its unchosen menus as "lang=&country=": the same as absent
            kept = [(k, v) for k, v in parse_qsl(qs.decode("latin-1"), keep_blank_values=True) if v != ""]
            scope["query_string"] = urlencode(kept).encode("latin-1")
        request = Request(scope)
        extra = _extra_headers(scope["path"], request)
        status = {"code": 500}

        async def send_wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
                names = {k.lower() for k, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    (k, v) for k, v in extra if k not in names]
            await send(message)

        try:
            refusal = cross_site_refusal(request)
            if refusal is not None:
                await refusal(scope, receive, send_wrapped)
                return
            key = self.cache.key(request, ui_lang(request))
            if key is None:
                await self.app(scope, receive, send_wrapped)
                return
            hit, stale = self.cache.lookup(key, request)
            if hit is not None:
                if stale and key not in self._refreshing:
                    self._refreshing.add(key)
                    task = asyncio.get_running_loop().create_task(self._refresh(key, dict(scope)))
                    self._tasks.add(task)
                    task.add_done_callback(self._tasks.discard)
                await hit(scope, receive, send_wrapped)
                return
            filling = self._filling.get(key)
            if filling is not None:  # another request renders this page now: its answer serves both
                await filling.wait()
                hit, _ = self.cache.lookup(key, request)
                if hit is not None:
                    await hit(scope, receive, send_wrapped)
                    return
            event = self._filling.setdefault(key, asyncio.Event())
            try:
                await self._fill(key, scope, receive, send_wrapped)
            finally:
                if self._filling.get(key) is event:
                    del self._filling[key]
                event.set()
        finally:
            route = scope.get("route")
            metrics.observe(getattr(route, "path", "other"), scope["method"], status["code"],
                            time.perf_counter() - started)

    async def _refresh(self, key: Any, scope: Scope) -> None:
        """Render an expired page again for the cache, answering nobody (its readers got the
        expired copy). A failure leaves the expired copy to lapse; the next reader renders."""

        async def receive() -> Message:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def discard(message: Message) -> None:
            pass

        # the page whole, not "304 you have it" for the reader whose request started this
        scope["headers"] = [(k, v) for k, v in scope.get("headers", []) if k.lower() != b"if-none-match"]
        try:
            await self._fill(key, scope, receive, discard)
        except Exception as exc:  # noqa: BLE001 - a background render must not kill the loop
            log.warning("re-rendering %s for the cache failed: %s", scope.get("path"), exc)
        finally:
            self._refreshing.discard(key)

    async def _fill(self, key: Any, scope: Scope, receive: Receive, send: Send) -> None:
        """Run the app, pass its answer on, and keep a 200 in the cache."""
        start: dict[str, Any] = {}
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if not message.get("more_body"):
                    if start.get("status") == 200:
                        headers = [(k.decode("latin-1").lower(), v.decode("latin-1"))
                                   for k, v in start.get("headers", [])]
                        self.cache.put(key, 200, headers, b"".join(chunks))
                    elif start.get("status") != 304:  # gone, moved, refused: no stale copy either
                        self.cache.drop(key)
            await send(message)

        await self.app(scope, receive, capture)


def _extra_headers(path: str, request: Request) -> list[tuple[bytes, bytes]]:
    out = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"strict-origin-when-cross-origin"),
           (b"x-frame-options", b"DENY")]
    # the API docs run Swagger UI, served from here (web/apidocs.py): scripts from this origin
    out.append((b"content-security-policy", (DOCS_CSP if path.startswith("/docs") else CSP).encode()))
    ui = request.query_params.get("ui")
    if ui in UI_LANGS and request.cookies.get(UI_COOKIE) != ui:
        out.append((b"set-cookie", f"{UI_COOKIE}={ui}; Max-Age={365 * 86400}; Path=/; HttpOnly; SameSite=lax".encode()))
    return out
