"""A real HTTP server on 127.0.0.1 (ephemeral port) for tests that fetch.

    with LocalServer() as srv:
        srv.route("/feed.xml", body=RSS, headers={"Content-Type": "application/rss+xml"})
        srv.redirect("/old", "/feed.xml")
        url = srv.url("/old")
        ...
        assert srv.requests_for("/feed.xml")[0].headers["If-None-Match"] == '"v1"'

Unregistered paths answer 404 (so /robots.txt means "allow all" unless a test registers one).
Each route can set status, headers, body, a delay before answering, an endless or huge streamed
body, or a handler ``(Request) -> (status, headers, body)`` for conditional answers.
Responses are HTTP/1.0-style (connection closes after the body) so a streamed body needs no
length. Every request is logged with its headers and a monotonic timestamp.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    at: float  # time.monotonic() when the request line arrived


@dataclass
class Route:
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    stream_bytes: int | None = None  # stream this many bytes (0 < n), -1 = endless
    declare_length: bool = False  # with stream_bytes: send a Content-Length up front
    handler: Callable[[Request], Answer] | None = None
    raw: bytes | None = None  # written as-is instead of an HTTP response (protocol garbage)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # keep pytest output clean

    def do_GET(self) -> None:
        req = Request("GET", self.path, {k: v for k, v in self.headers.items()}, time.monotonic())
        owner = self.server.owner
        with owner.lock:
            owner.requests.append(req)
            route = owner.routes.get(self.path) or owner.routes.get(self.path.split("?", 1)[0])
        if route is None:
            self._answer(404, {"Content-Type": "text/plain"}, b"not found")
            return
        if route.delay:
            time.sleep(route.delay)
        if route.raw is not None:
            self.wfile.write(route.raw)
            self.close_connection = True
        elif route.handler is not None:
            self._answer(*route.handler(req))
        elif route.stream_bytes is not None:
            self._stream(route)
        else:
            self._answer(route.status, route.headers, route.body)

    def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            if not any(k.lower() == "content-length" for k in headers):
                self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def _stream(self, route: Route) -> None:
        chunk = b"x" * 65536
        total = route.stream_bytes if route.stream_bytes and route.stream_bytes > 0 else None
        try:
            self.send_response(route.status)
            for k, v in route.headers.items():
                self.send_header(k, v)
            if route.declare_length and total is not None:
                self.send_header("Content-Length", str(total))
            self.end_headers()
            sent = 0
            while total is None or sent < total:
                n = len(chunk) if total is None else min(len(chunk), total - sent)
                self.wfile.write(chunk[:n])
                sent += n
                with self.server.owner.lock:
                    self.server.owner.streamed[self.path] = sent
        except (BrokenPipeError, ConnectionResetError, OSError):
            pass  # the client hung up, as it should past its size cap


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    owner: LocalServer


class LocalServer:
    def __init__(self) -> None:
        self.routes: dict[str, Route] = {}
        self.requests: list[Request] = []
        self.streamed: dict[str, int] = {}  # path -> bytes written before the client hung up
        self.lock = threading.Lock()
        self._httpd = _Server(("127.0.0.1", 0), _Handler)
        self._httpd.owner = self
        self.port: int = self._httpd.server_address[1]
        # short poll interval: shutdown() waits for it, and tests start many servers
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)

    # --- life cycle -----------------------------------------------------------------------
    def start(self) -> LocalServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- routes ---------------------------------------------------------------------------
    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, path: str) -> str:
        return self.base + path

    def route(self, path: str, body: bytes | str = b"", *, status: int = 200,
              headers: dict[str, str] | None = None, content_type: str | None = None,
              **kw: Any) -> Route:
        hdrs = dict(headers or {})
        if content_type:
            hdrs["Content-Type"] = content_type
        r = Route(status=status, headers=hdrs,
                  body=body.encode("utf-8") if isinstance(body, str) else body, **kw)
        with self.lock:
            self.routes[path] = r
        return r

    def redirect(self, path: str, to: str, status: int = 302) -> Route:
        return self.route(path, status=status, headers={"Location": to})

    def robots(self, text: str, status: int = 200) -> Route:
        return self.route("/robots.txt", text, status=status, content_type="text/plain")

    # --- request log ----------------------------------------------------------------------
    def requests_for(self, path: str) -> list[Request]:
        with self.lock:
            return [r for r in self.requests if r.path == path]


def closed_port_url(path: str = "/") -> str:
    """A URL on 127.0.0.1 where nothing listens (connection refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}{path}"
