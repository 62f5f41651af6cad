"""A micro-cache of rendered public pages: the same URL in the same UI language is rendered at
most once every few seconds, whoever asks (nginx's "microcaching"). Anonymous readers of a busy
front page then cost a dictionary lookup; a story that just grew shows it within seconds.
Admin pages, writes, /metrics and /healthz, and requests carrying credentials are never cached.

Stale while revalidate (RFC 5861; nginx's ``proxy_cache_use_stale updating`` with
``proxy_cache_background_update``): for ``stale_seconds`` after a page expires, requests are
answered from the expired copy while one re-render runs in the background (the middleware), so no
reader waits for a render of a page already cached, and a page is re-rendered at most once per
expiry however many readers ask at that moment (no herd of identical renders). A page that nobody
asked for during its stale window is rendered afresh by the next request, as before.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict

from fastapi import Request
from fastapi.responses import Response

_NEVER = ("/admin", "/metrics", "/healthz", "/docs", "/openapi.json", "/static")
_KEEP_HEADERS = ("content-type", "etag", "cache-control", "vary", "content-security-policy",
                 "x-content-type-options", "referrer-policy", "x-frame-options")


class MicroCache:
    def __init__(self, seconds: float = 5.0, size: int = 4096, stale_seconds: float | None = None) -> None:
        self.seconds = seconds
        self.size = size
        # served while re-rendered: ten lifetimes, at most a minute (2 s pages: 20 s)
        self.stale_seconds = min(60.0, 10 * seconds) if stale_seconds is None else stale_seconds
        self._items: OrderedDict[tuple[str, str, str], tuple[float, int, list[tuple[str, str]], bytes]] = OrderedDict()
        self._lock = threading.Lock()

    def key(self, request: Request, ui: str) -> tuple[str, str, str] | None:
        if self.seconds <= 0 or request.method != "GET":
            return None
        path = request.url.path
        if path.startswith(_NEVER) or "authorization" in request.headers or "nl_admin" in request.cookies:
            return None
        return (path, request.url.query, ui)

    def get(self, key: tuple[str, str, str], request: Request) -> Response | None:
        """The cached response while it is fresh."""
        hit, stale = self.lookup(key, request)
        return None if stale else hit

    def lookup(self, key: tuple[str, str, str], request: Request) -> tuple[Response | None, bool]:
        """The cached response and whether it has expired (then it is still in its stale window
        and the caller should have it re-rendered); (None, False) when there is none."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None, False
            if hit[0] + self.stale_seconds < now:
                del self._items[key]
                return None, False
            self._items.move_to_end(key)
        return self._response(hit, request), hit[0] < now

    @staticmethod
    def _response(hit: tuple[float, int, list[tuple[str, str]], bytes], request: Request) -> Response:
        _, status, headers, body = hit
        etag = next((v for k, v in headers if k == "etag"), None)
        if etag and etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={k: v for k, v in headers if k != "content-type"})
        return Response(body, status_code=status, headers=dict(headers))

    def drop(self, key: tuple[str, str, str]) -> None:
        with self._lock:
            self._items.pop(key, None)

    def put(self, key: tuple[str, str, str], status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        kept = [(k, v) for k, v in headers if k in _KEEP_HEADERS]
        now = time.monotonic()
        with self._lock:
            self._items[key] = (now + self.seconds, status, kept, body)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
            # pages nobody asked for again since their stale window ended: least recently used
            # first, so the sweep stops at the first one still usable (a long-running server
            # would otherwise hold ``size`` pages, ~100 MB of story pages, for good)
            while self._items:
                oldest = next(iter(self._items.values()))
                if oldest[0] + self.stale_seconds >= now:
                    break
                self._items.popitem(last=False)
