"""A loopback HTTP server for the fetch benchmarks, in a process of its own (so its work never
holds the measured process's GIL): serves the files under a folder (read at each request),
HTTP/1.1 with keep-alive, as a small news site does. ``python -m newsloom.bench.loopback DIR`` prints the port, then
serves until killed; :class:`Loopback` starts and stops it.
"""

from __future__ import annotations

import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

TYPES = {".html": "text/html; charset=utf-8", ".xml": "application/rss+xml"}


def serve(root: Path) -> None:
    root = root.resolve()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            file = (root / self.path.split("?")[0].lstrip("/")).resolve()
            found = file.is_file() and file.is_relative_to(root)
            body, ctype = (file.read_bytes(), TYPES.get(file.suffix, "text/plain")) if found else (
                b"not found", "text/plain")
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", ctype)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.daemon_threads = True
    print(httpd.server_address[1], flush=True)
    httpd.serve_forever()


class Loopback:
    """``with Loopback(folder) as srv: srv.base`` -> ``http://127.0.0.1:PORT``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.proc: subprocess.Popen[str] | None = None
        self.base = ""

    def __enter__(self) -> "Loopback":
        self.proc = subprocess.Popen([sys.executable, "-m", "newsloom.bench.loopback", str(self.root)],
                                     stdout=subprocess.PIPE, text=True)
        assert self.proc.stdout is not None
        self.base = f"http://127.0.0.1:{int(self.proc.stdout.readline())}"
        return self

    def cpu_seconds(self) -> float:
        """CPU seconds the server has used so far (user + system)."""
        import psutil

        t = psutil.Process(self.proc.pid).cpu_times() if self.proc is not None else None
        return (t.user + t.system) if t is not None else 0.0

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(10)


if __name__ == "__main__":
    serve(Path(sys.argv[1]))
