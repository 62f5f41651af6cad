"""`newsloom status` beside a running `newsloom run`, as an operator uses it from a second terminal:
the daemon appears with its state while it runs, the live view refreshes until Ctrl-C, and a
stopped daemon is no longer listed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from localserver import LocalServer
from test_cli_end_to_end import PARAS, invoke, page, rss
from test_run_daemon import _free_port, _start


def _wait_until_it_opens(pid: int, path: Path, timeout: float = 60.0) -> None:
    """Until process ``pid`` has ``path`` open (so it runs the command, its Ctrl-C handling in
    place: a SIGINT while Python still imports is a traceback in any program)."""
    fds = Path(f"/proc/{pid}/fd")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if any(os.path.realpath(fd) == str(path.resolve()) for fd in fds.iterdir()):
                return
        except OSError:  # no /proc, or a descriptor closed while read
            pass
        time.sleep(0.1)


def test_status_shows_the_running_daemon_live(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'run.db'}"
    with LocalServer() as srv:
        srv.route("/news/quake", page("Earthquake hits northern coast", PARAS["quake"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/feed.xml", rss(srv, [("Earthquake", "/news/quake")]),
                  headers={"Content-Type": "application/rss+xml"})
        invoke("init", "--db", db, "--no-default-sources")
        invoke("sources", "add", srv.url("/feed.xml"), "--name", "Example", "--db", db)
        proc = _start(db, _free_port(), "--no-web")
        try:
            deadline = time.monotonic() + 120
            snap: dict = {}
            while time.monotonic() < deadline and proc.poll() is None:
                snap = json.loads(invoke("status", "--json", "--db", db))
                runs = [p for p in snap["processes"] if p["role"] == "run"]
                if runs and snap["articles"] >= 1 and "sleeping" in runs[0]["fields"].get("state", ""):
                    break
                time.sleep(0.5)
            [run] = [p for p in snap["processes"] if p["role"] == "run"]
            assert run["pid"] == proc.pid and not run["silent"], snap
            assert run["fields"]["feeds_in_flight"] == 0 and run["fields"]["passes"] >= 1
            text = invoke("status", "--db", db)
            assert "feeds: 1 active" in text and f":{proc.pid}" in text and "run" in text
            watch = subprocess.Popen([sys.executable, "-m", "newsloom", "status", "--watch", "--interval", "0.3",
                                      "--db", db], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                     env={**os.environ, "COLUMNS": "160"})
            _wait_until_it_opens(watch.pid, tmp_path / "run.db")  # past its imports, on a loaded machine too
            time.sleep(1.5)  # a few refreshes
            watch.send_signal(signal.SIGINT)
            w_out, w_err = watch.communicate(timeout=30)
            assert watch.returncode == 0, w_err
            assert "articles: 1" in w_out and "Traceback" not in w_err
            proc.send_signal(signal.SIGTERM)
            proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0
        after = json.loads(invoke("status", "--json", "--db", db))
        assert after["processes"] == []  # a clean stop removes its heartbeat
