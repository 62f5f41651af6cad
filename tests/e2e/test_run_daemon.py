"""`newsloom run` as a daemon, end to end on loopback: a subprocess fetches a local feed, serves
the web app, shows the fetched story on the front page; SIGTERM stops it with exit 0 and a last
line, the store holds the articles with their stories, and a restart carries on."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

from localserver import LocalServer
from test_cli_end_to_end import PARAS, invoke, page, rss

from newsloom.app.daemon import JsonFormatter, Totals, final_line, status_line


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:  # noqa: S310  (loopback, a test)
            return r.read().decode("utf-8", "replace")
    except OSError:
        return ""


def _start(db: str, port: int, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "true"}
    return subprocess.Popen([sys.executable, "-m", "newsloom", "run", "--no-default-sources", "--db", db,
                             "--port", str(port), *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def test_daemon_serves_fetches_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'run.db'}"
    with LocalServer() as srv:
        srv.route("/news/quake", page("Earthquake hits northern coast", PARAS["quake"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/news/budget", page("Parliament passes budget", PARAS["budget"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/feed.xml", rss(srv, [("Earthquake", "/news/quake"), ("Budget", "/news/budget")]),
                  headers={"Content-Type": "application/rss+xml"})
        invoke("init", "--db", db, "--no-default-sources")
        invoke("sources", "add", srv.url("/feed.xml"), "--name", "Example", "--db", db)
        port = _free_port()
        proc = _start(db, port, "--log-format", "json")
        # the log is read as it comes: the stop is sent once the first pass has ended (the story
        # can be on the front page while the pass still stores the other page: a stop then is a
        # cut-short pass, with no "pass" line, which is right but not what this test looks at)
        lines: list[str] = []
        reader = threading.Thread(target=lambda: lines.extend(iter(proc.stderr.readline, "")), daemon=True)
        reader.start()
        try:
            deadline = time.monotonic() + 120
            front = ""
            while time.monotonic() < deadline and proc.poll() is None:
                front = _get(f"http://127.0.0.1:{port}/")
                if "Earthquake hits northern coast" in front and any('"event": "pass"' in ln for ln in lines):
                    break
                time.sleep(0.5)
            assert "Earthquake hits northern coast" in front, "".join(lines) if proc.poll() is not None else front[:500]
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=60)
            stdout = proc.stdout.read()
            reader.join(timeout=10)
            stderr = "".join(lines)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, stderr
        assert "stopped on SIGTERM after" in stdout
        logs = [json.loads(line) for line in stderr.splitlines() if line.startswith("{")]
        passes = [r for r in logs if r.get("event") == "pass"]
        assert passes and passes[0]["feeds_due"] == 1 and passes[0]["articles"] == 2
        assert "articles_per_s" in passes[0] and "feeds_backing_off" in passes[0]
        assert any(r.get("event") == "stopped" and r["signal"] == "SIGTERM" for r in logs)
        arts = json.loads(invoke("articles", "list", "--json", "--db", db))
        assert sorted(a["title"] for a in arts) == ["Earthquake hits northern coast", "Parliament passes budget"]
        assert all(a["story_id"] for a in arts)  # stories given before it stopped

        # restart: nothing due, nothing stored twice; SIGINT stops it the same way
        proc = _start(db, port, "--no-web")
        try:
            time.sleep(4)
            proc.send_signal(signal.SIGINT)
            stdout, stderr = proc.communicate(timeout=60)
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, stderr
        assert "stopped on SIGINT" in stdout
        assert len(json.loads(invoke("articles", "list", "--json", "--db", db))) == 2


def test_status_and_last_lines() -> None:
    fields = {"feeds_due": 3, "feeds_fetched": 2, "feeds_in_flight": 0, "feeds_backing_off": 1,
              "articles": 7, "articles_per_s": 3.5, "errors": 0}
    assert status_line(fields) == ("status: feeds 3 due, 2 fetched, 0 in flight, 1 backing off; "
                                   "7 articles (3.5/s), 0 errors")
    totals = Totals(passes=2, counts={"new": 5, "duplicate": 1}, seconds=2.0)
    assert final_line(totals, "SIGTERM").startswith("stopped on SIGTERM after 2 passes: 1 duplicate, 5 new")


def test_json_formatter_carries_extra_fields() -> None:
    import logging

    record = logging.LogRecord("newsloom.run", logging.INFO, __file__, 1, "pass %d", (3,), None)
    record.event = "pass"
    doc = json.loads(JsonFormatter().format(record))
    assert doc["message"] == "pass 3" and doc["event"] == "pass" and doc["level"] == "info"


def test_bad_port_is_a_clear_error(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from newsloom.cli import cli

    result = CliRunner().invoke(cli, ["run", "--port", "70000", "--db", f"sqlite:///{tmp_path / 'x.db'}"])
    assert result.exit_code != 0 and "70000" in result.output


def test_sigterm_mid_pass_keeps_what_is_stored_and_a_restart_continues(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'mid.db'}"
    with LocalServer() as srv:
        srv.route("/news/quake", page("Earthquake hits northern coast", PARAS["quake"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        srv.route("/news/budget", page("Parliament passes budget", PARAS["budget"]),
                  headers={"Content-Type": "text/html; charset=utf-8"}, delay=30.0)  # in flight at SIGTERM
        srv.route("/feed.xml", rss(srv, [("Earthquake", "/news/quake"), ("Budget", "/news/budget")]),
                  headers={"Content-Type": "application/rss+xml"})
        invoke("init", "--db", db, "--no-default-sources")
        invoke("sources", "add", srv.url("/feed.xml"), "--name", "Example", "--db", db)
        proc = _start(db, _free_port(), "--no-web")
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline and not srv.requests_for("/news/budget"):
                time.sleep(0.2)
            time.sleep(1.0)
            proc.send_signal(signal.SIGTERM)
            stdout, stderr = proc.communicate(timeout=25)  # does not wait for the 30 s page
        finally:
            if proc.poll() is None:
                proc.kill()
        assert proc.returncode == 0, stderr
        assert "stopped on SIGTERM" in stdout
        titles = [a["title"] for a in json.loads(invoke("articles", "list", "--json", "--db", db))]
        assert "Parliament passes budget" not in titles

        srv.route("/news/budget", page("Parliament passes budget", PARAS["budget"]),
                  headers={"Content-Type": "text/html; charset=utf-8"})
        out = subprocess.run([sys.executable, "-m", "newsloom", "run", "--once", "--no-default-sources", "--db", db],
                             capture_output=True, text=True, timeout=120,
                             env={**os.environ, "NEWSLOOM_ALLOW_PRIVATE_NETWORKS": "true"})
        assert out.returncode == 0, out.stderr
        arts = json.loads(invoke("articles", "list", "--json", "--db", db))
        assert sorted(a["title"] for a in arts) == ["Earthquake hits northern coast", "Parliament passes budget"]
        assert all(a["story_id"] for a in arts)
