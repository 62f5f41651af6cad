"""`newsloom run` on a store whose schema is newer than the code refuses to start with one line
(the worker's case is tests/jobs/test_workers.py); nothing is written to the store."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from newsloom.store import open_store


def test_run_on_a_newer_schema_refuses_to_start_saying_why(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    open_store(f"sqlite:///{path}").close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'future', 'x')")
    size = path.stat().st_size
    out = subprocess.run([sys.executable, "-m", "newsloom", "run", "--no-web", "--no-default-sources",
                          "--db", f"sqlite:///{path}"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 1
    assert "Traceback" not in out.stderr
    [line] = [x for x in out.stderr.splitlines() if x.strip()]
    assert line.startswith("Error:") and "newer than this newsloom knows" in line and "upgrade newsloom" in line
    assert path.stat().st_size == size
