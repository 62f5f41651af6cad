"""`newsloom tokens` and `newsloom serve` through the real command."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from click.testing import CliRunner

from newsloom.cli import cli
from newsloom.store import open_store
from newsloom.web.security import token_ok


def test_tokens_create_list_revoke(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    open_store(db).close()
    r = CliRunner().invoke(cli, ["tokens", "create", "ci", "--db", db])
    assert r.exit_code == 0, r.output
    token = r.output.strip()
    with open_store(db) as store:
        assert token.startswith("nl_") and token_ok(store, token)
    listed = CliRunner().invoke(cli, ["tokens", "list", "--db", db]).output
    tid, name, _ = listed.split()
    assert name == "ci"
    assert CliRunner().invoke(cli, ["tokens", "revoke", tid, "--db", db]).exit_code == 0
    with open_store(db) as store:
        assert not token_ok(store, token)
    bad = CliRunner().invoke(cli, ["tokens", "revoke", "999", "--db", db])
    # a NewsloomError: main() prints "Error: token 999: not found ...", like every other error
    assert bad.exit_code == 1 and "token 999: not found" in str(bad.exception)


def test_tokens_list_json(tmp_path: Path) -> None:
    """README: every listing command takes --json; `tokens list --json` was "No such option"."""
    import json

    db = f"sqlite:///{tmp_path / 's.db'}"
    open_store(db).close()
    assert CliRunner().invoke(cli, ["tokens", "list", "--json", "--db", db]).output.strip() == "[]"
    assert CliRunner().invoke(cli, ["tokens", "create", "ci", "--db", db]).exit_code == 0
    r = CliRunner().invoke(cli, ["tokens", "list", "--json", "--db", db])
    assert r.exit_code == 0, r.output
    [row] = json.loads(r.output)
    assert row["id"] == 1 and row["name"] == "ci" and row["created"] and "token" not in row


def test_serve_answers_and_refuses_a_missing_store(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 's.db'}"
    open_store(db).close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "newsloom", "serve", "--db", db, "--port", str(port),
                             "--no-semantic"], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            env={**os.environ})
    try:
        body = b""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                body = urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2).read()
                break
            except OSError:
                time.sleep(0.2)
        assert b'"ok":true' in body
        assert urllib.request.urlopen(f"http://127.0.0.1:{port}/").status == 200
    finally:
        proc.terminate()
        proc.wait(10)
    missing = subprocess.run([sys.executable, "-m", "newsloom", "serve", "--db",
                              f"sqlite:///{tmp_path / 'nope.db'}"], capture_output=True, text=True, timeout=60)
    assert missing.returncode != 0 and "Traceback" not in missing.stderr
    assert "does not exist" in (missing.stdout + missing.stderr)
