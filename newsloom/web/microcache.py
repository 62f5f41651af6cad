"""A micro-cache of rendered public pages: the same URL in the same UI language is rendered at
most once every few seconds, whoever asks (nginx's "microcaching"). Anonymous readers of a busy
front page then cost a dictionary lookup; a story that just grew shows it within seconds.
Admin pages, writes, /metrics and /healthz, and requests carrying credentials are never cached.
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
    def __init__(self, seconds: float = 5.0, size: int = 4096) -> None:
        self.seconds = seconds
        self.size = size
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
        with self._lock:
            hit = self._items.get(key)
            if hit is None:
                return None
            if hit[0] < time.monotonic():
                del self._items[key]
                return None
            self._items.move_to_end(key)
        _, status, headers, body = hit
        etag = next((v for k, v in headers if k == "etag"), None)
        if etag and etag in [t.strip() for t in request.headers.get("if-none-match", "").split(",")]:
            return Response(status_code=304, headers={k: v for k, v in headers if k != "content-type"})
        return Response(body, status_code=status, headers=dict(headers))

    def put(self, key: tuple[str, str, str], status: int, headers: list[tuple[str, str]], body: bytes) -> None:
        kept = [(k, v) for k, v in headers if k in _KEEP_HEADERS]
        with self._lock:
            self._items[key] = (time.monotonic() + self.seconds, status, kept, body)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
