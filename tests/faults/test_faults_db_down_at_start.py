"""The database down when `newsloom worker`, `run` or `serve` starts: tried again with growing
pauses, one log line a try, for --connect-timeout seconds; then one error line naming the URL,
exit 1, no traceback. A database that comes up within the time is used; what no waiting cures (a
database that does not exist) fails at once."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import PG_URL, drop_schema, require_pg

from newsloom.app.connect import open_store_waiting
from newsloom.errors import StoreUnavailable

REPO = Path(__file__).resolve().parents[2]
DOWN = "postgresql://127.0.0.1:1/test"  # nothing listens on port 1: refused at once
ENV = {**os.environ, "NEWSLOOM_STORIES": "false"}


def _newsloom(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "newsloom", *args], capture_output=True, text=True,
                          timeout=timeout, env=ENV, cwd=REPO)


def test_back_off_then_one_error_naming_the_url() -> None:
    now = [0.0]
    pauses: list[float] = []

    def sleep(s: float) -> None:
        pauses.append(s)
        now[0] += s

    with pytest.raises(StoreUnavailable) as info:
        open_store_waiting(DOWN, timeout_s=30, backoff_s=(1.0, 8.0), sleep=sleep, clock=lambda: now[0])
    assert pauses == [1, 2, 4, 8, 8, 7]  # doubling up to the cap, the last one up to the limit
    msg = str(info.value)
    assert msg.startswith(f"{DOWN}: cannot connect to PostgreSQL") and "\n" not in msg
    assert "gave up after 7 tries in 30s (--connect-timeout 30)" in msg
    pauses.clear()
    with pytest.raises(StoreUnavailable, match="gave up after 1 try"):  # 0: one try
        open_store_waiting(DOWN, timeout_s=0, sleep=sleep)
    assert pauses == []


def test_a_database_that_does_not_exist_fails_at_once() -> None:
    require_pg()
    url = PG_URL.rsplit("/", 1)[0] + f"/newsloom_no_such_db_{uuid.uuid4().hex[:8]}"
    pauses: list[float] = []
    with pytest.raises(StoreUnavailable, match="does not exist"):
        open_store_waiting(url, timeout_s=60, sleep=pauses.append)
    assert pauses == []


@pytest.mark.parametrize("command", [["worker", "--exit-when-idle"], ["run", "--no-web", "--no-default-sources"],
                                     ["serve"]])
def test_worker_run_and_serve_give_up_with_one_line(command: list[str]) -> None:
    start = time.monotonic()
    r = _newsloom(*command, "--db", DOWN, "--connect-timeout", "3")
    took = time.monotonic() - start
    assert r.returncode == 1, r.stdout + r.stderr
    assert "Traceback" not in r.stderr
    lines = r.stderr.strip().splitlines()
    tries = [ln for ln in lines if "database not reachable (try" in ln]
    assert len(tries) >= 2 and all(DOWN in ln and "trying again in" in ln for ln in tries), r.stderr
    errors = [ln for ln in lines if ln.startswith("Error:")]
    assert len(errors) == 1 and errors[0].startswith(f"Error: {DOWN}: cannot connect") and "gave up after" in errors[0]
    assert lines[-1] == errors[0]
    assert 3 <= took < 30


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _LateProxy:
    """A TCP forwarder to the test PostgreSQL that comes up ``delay`` seconds after the first
    attempt to connect: until then it hangs up on every connection, as a server still starting
    up does. Counted from the first attempt, not from its own start, so a client slow to start
    (a loaded machine) still meets the database down first."""

    def __init__(self, port: int, delay: float) -> None:
        host_port = PG_URL.split("@")[-1].split("/")[0]
        host, _, target = host_port.partition(":")
        self.target = (host or "127.0.0.1", int(target or 5432))
        self.port, self.delay = port, delay
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        first_attempt: float | None = None
        while not self.stop.is_set():
            try:
                client, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            first_attempt = first_attempt or time.monotonic()
            if time.monotonic() - first_attempt < self.delay:
                client.close()  # still "starting up"
                continue
            upstream = socket.create_connection(self.target)
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.sock.close()


@pytest.fixture
def late_db() -> Iterator[str]:
    require_pg()
    port = _free_port()
    schema = f"newsloom_late_{uuid.uuid4().hex[:12]}"
    proxy = _LateProxy(port, delay=2.5)
    user = PG_URL.split("//", 1)[1].split("@")[0] + "@" if "@" in PG_URL else ""
    try:
        yield f"postgresql://{user}127.0.0.1:{port}/{PG_URL.rsplit('/', 1)[1]}?schema={schema}"
    finally:
        proxy.close()
        drop_schema(schema)


def test_worker_waits_for_a_database_that_comes_up(late_db: str) -> None:
    r = _newsloom("worker", "--exit-when-idle", "--no-schedule", "--db", late_db, "--connect-timeout", "60")
    assert r.returncode == 0, r.stderr
    assert "database not reachable (try 1)" in r.stderr and "database reachable after" in r.stderr
    assert "Traceback" not in r.stderr
    assert " idle: 0 jobs done" in r.stdout, r.stdout


def test_serve_waits_for_a_database_that_comes_up(late_db: str) -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "newsloom", "serve", "--db", late_db, "--port", str(port),
                             "--no-semantic", "--connect-timeout", "60"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV, cwd=REPO)
    body = b""
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.3)
    finally:
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=20)
    assert b'"ok":true' in body, stdout + stderr
    assert "database not reachable (try 1)" in stderr and "database reachable after" in stderr, stderr
    assert "Traceback" not in stderr
