"""`newsloom run` when its web port is taken: one clear line naming the port, exit 1, at once
(before the store is opened or a model loaded), not after the 30 s the web thread used to get."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path


def test_run_on_a_port_in_use_fails_at_once_naming_it(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        db = tmp_path / "run.db"
        start = time.monotonic()
        out = subprocess.run([sys.executable, "-m", "newsloom", "run", "--no-default-sources",
                              "--db", f"sqlite:///{db}", "--port", str(port)],
                             capture_output=True, text=True, timeout=60, env={**os.environ})
        took = time.monotonic() - start
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stderr
    lines = [line for line in out.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and f"--port {port}" in lines[0] and "already in use" in lines[0], out.stderr
    assert not db.exists()  # refused before anything was created
    assert took < 20, f"took {took:.1f}s"  # a generous bound for a loaded machine: it used to wait 30 s


def test_start_web_stops_waiting_when_the_server_thread_dies(tmp_path: Path) -> None:
    """The in-process guard too: start_web on a taken port raises (naming it) without waiting."""
    import pytest

    from newsloom.app.daemon import start_web
    from newsloom.config import Settings

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(RuntimeError, match=f"--port {port}"):
            start_web(Settings(db=f"sqlite:///{tmp_path / 'x.db'}"), "127.0.0.1", port)
