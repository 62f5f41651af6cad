"""newsloom upgraded on disk under a running daemon (``pip install -U``, ``git pull``).

A worker process must never run other code than its parent: the fork server imports every
module a worker uses (``newsloom.worker``, ``newsloom.worker_stories``), so a worker forked after
the files changed reads nothing from disk. The daemons (``run``, ``worker``) compare a stamp of
the package files taken at start (``newsloom.codeversion``) before each pass, before a worker
pool is created and every few minutes; a change is one log line, the pass (job) in hand is
finished and they exit with status 75, for the service manager to restart them on the new code.
Stamps here are taken over a temporary copy of the package, which the tests change."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from newsloom import codeversion
from newsloom.codeversion import EXIT_UPGRADED, CodeChanged, CodeWatch
from newsloom.config import Settings
from newsloom.pipeline import Pipeline
from newsloom.store import open_store

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def package(tmp_path: Path) -> Path:
    """A copy of the newsloom package's code (the files a stamp looks at)."""
    root = tmp_path / "site" / "newsloom"
    shutil.copytree(codeversion.PACKAGE_DIR, root,
                    ignore=lambda d, names: [n for n in names if n == "__pycache__" or
                                             (not n.endswith(".py") and not os.path.isdir(os.path.join(d, n)))])
    return root


@pytest.fixture
def watch(package: Path, monkeypatch: pytest.MonkeyPatch) -> CodeWatch:
    """The process's watch, over the copy, looking at the disk at most every 0.2 s."""
    w = CodeWatch(root=package, every_s=0.2, version=lambda: "0.1.0")
    monkeypatch.setattr(codeversion, "_watch", w)
    return w


def _add_module(package: Path, name: str = "brand_new.py") -> None:
    (package / "analyse" / name).write_text("VALUE = 1\n")


def test_the_stamp_sees_a_new_module_a_changed_file_and_a_new_version(package: Path) -> None:
    version = ["0.1.0"]
    w = CodeWatch(root=package, every_s=3600, version=lambda: version[0])
    assert len(w.started.files) > 100 and w.changed(force=True) is None
    _add_module(package)
    assert w.changed() is None  # not looked at again before every_s
    message = w.changed(force=True)
    assert message is not None and "\n" not in message
    assert message.startswith("newsloom was upgraded on disk since this process started (0.1.0, code ")
    assert message.endswith(": 1 file added (newsloom/analyse/brand_new.py))")
    assert w.changed() == message  # once seen, said the same way every time

    w2 = CodeWatch(root=package, every_s=0, version=lambda: version[0])
    with (package / "pipeline.py").open("a") as f:
        f.write("\n# changed\n")
    version[0] = "0.2.0"
    with pytest.raises(CodeChanged) as info:
        w2.check()
    assert info.value.exit_code == EXIT_UPGRADED == 75
    assert "(0.1.0, code " in str(info.value) and "-> 0.2.0, code " in str(info.value)
    assert "1 file changed (newsloom/pipeline.py)" in str(info.value)


def test_a_worker_pool_is_not_started_on_other_code(watch: CodeWatch, package: Path) -> None:
    from newsloom.parallel import process_pool

    _add_module(package)
    with pytest.raises(CodeChanged, match="upgraded on disk"):
        process_pool(2, preload=["newsloom.worker"])


def test_the_daemon_finishes_the_pass_then_stops_with_one_line(
        tmp_path: Path, package: Path, caplog: pytest.LogCaptureFixture) -> None:
    from newsloom.app.daemon import Daemon

    with open_store(f"sqlite:///{tmp_path / 'up.db'}") as store:
        pipeline = Pipeline(store, Settings(db=store.url, stories=False))
        real_fetch = pipeline.fetch_once

        def fetch_once(*args, **kwargs):  # type: ignore[no-untyped-def]
            _add_module(package)  # the upgrade lands during the first pass
            return real_fetch(*args, **kwargs)

        pipeline.fetch_once = fetch_once  # type: ignore[method-assign]
        daemon = Daemon(pipeline, idle_sleep_s=0.01,
                        code=CodeWatch(root=package, every_s=3600, version=lambda: "0.1.0"))
        caplog.set_level("INFO", logger="newsloom.run")
        start = time.monotonic()
        totals = daemon.run()
    assert time.monotonic() - start < 10
    assert totals.passes == 1  # the pass in hand was finished, no second one on other code
    assert daemon.stopped_by == "upgrade" and daemon.upgraded is not None
    lines = [r.getMessage() for r in caplog.records if "upgraded on disk" in r.getMessage()]
    assert len(lines) == 1
    assert "1 file added (newsloom/analyse/brand_new.py)" in lines[0]
    assert "finishing the pass in hand, then exiting with status 75" in lines[0]


@pytest.mark.parametrize("command", [["run", "--no-web", "--no-default-sources"], ["worker", "--no-schedule"]])
def test_run_and_worker_exit_75_when_the_code_changes_while_they_idle(
        tmp_path: Path, package: Path, watch: CodeWatch, monkeypatch: pytest.MonkeyPatch,
        command: list[str]) -> None:
    from newsloom.cli.main import cli

    monkeypatch.setenv("NEWSLOOM_STORIES", "false")
    db = tmp_path / "idle.db"
    timer = threading.Timer(1.5, _add_module, args=(package,))
    timer.start()
    start = time.monotonic()
    try:
        result = CliRunner().invoke(cli, [*command, "--db", str(db)], catch_exceptions=False)
    finally:
        timer.cancel()
    took = time.monotonic() - start
    output = result.output  # stdout and stderr, as a terminal shows them
    assert result.exit_code == EXIT_UPGRADED, output
    assert "Traceback" not in output
    lines = [ln for ln in output.splitlines() if "upgraded on disk since this process started" in ln]
    assert len(lines) == 1 and "status 75" in lines[0] and "brand_new.py" in lines[0], output
    assert "stopped on upgrade" in output, output
    assert took < 30


def test_main_exits_75_on_code_changed(monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]) -> None:
    """An ``ingest`` whose pool refuses to start: one error line, status 75 (not a traceback)."""
    import importlib

    main_mod = importlib.import_module("newsloom.cli.main")

    def refuse(*_a, **_k):  # type: ignore[no-untyped-def]
        raise CodeChanged("newsloom was upgraded on disk since this process started (0.1.0 -> 0.2.0)")

    monkeypatch.setattr(main_mod.cli, "main", refuse)
    with pytest.raises(SystemExit) as info:
        main_mod.main()
    assert info.value.code == 75
    assert "Error: newsloom was upgraded on disk" in capfd.readouterr().err


# Run in a fresh interpreter: the fork server is one a process, started with the preload of
# the first pool, so another test's pool must not decide what this one's workers have.
_PROBE = r'''
import subprocess, sys
from newsloom.config import Settings
from newsloom.models import RawDocument
from newsloom.parallel import process_pool
from newsloom.pipeline import _preload, analyse

LOADED = "sorted(__import__('sys').modules)"
embed = sys.argv[1] == "1"
preload = _preload(embed)
code = "".join(f"import {m}\n" for m in preload) + f"print(repr({LOADED}))"
fork_server = set(eval(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                      check=True).stdout))
settings = Settings.load(db=":memory:")
assert settings.stories
para = ("<p>The mayor of Oslo, Anna Berg, opened the new bridge on Monday. \"It is a great day for "
        "the city,\" she told reporters from Reuters and the BBC after the ceremony.</p>")
doc = RawDocument(url="https://example.com/bridge", content_type="text/html",
                  body=("<html><head><title>Mayor Anna Berg opens the bridge</title></head><body><article>"
                        + para * 8 + "</article></body></html>").encode())
pool = process_pool(1, preload=preload)
article = pool.submit(analyse, doc, settings, embed).result()
assert type(article).__name__ == "Article" and article.lang == "en", article
assert article.entities, "names extracted"
worker = set(pool.submit(eval, LOADED).result())
pool.shutdown()
print(repr(sorted(m for m in worker - fork_server if m.split(".")[0] not in ("multiprocessing", "concurrent"))))
'''


@pytest.mark.parametrize("embed", [False, True], ids=["analyse", "analyse+embed"])
def test_a_worker_imports_nothing_its_fork_server_had_not(embed: bool) -> None:
    """After analysing a page (extraction, language, fingerprints, names and quotes; with
    ``embed`` the story vectors too), a worker holds no module the fork server's preload did not
    import: a module added on disk since is never read by a worker. (Only the stdlib's
    process start-up modules differ.)"""
    env = {**os.environ, "NEWSLOOM_STORIES": "true"}
    r = subprocess.run([sys.executable, "-c", _PROBE, "1" if embed else "0"], capture_output=True, text=True,
                       timeout=300, env=env, cwd=REPO)
    assert r.returncode == 0, r.stderr[-3000:]
    extra = eval(r.stdout.strip().splitlines()[-1])
    assert not [m for m in extra if m.startswith("newsloom") or m == "psutil" or m.startswith("psutil.")], extra
    assert set(extra) <= {"runpy", "_posixshmem"}, extra


def test_a_real_newsloom_run_exits_75_when_its_package_changes(tmp_path: Path) -> None:
    """``python -m newsloom run`` imported from a whole copy of the package (PYTHONPATH), the
    copy changed while it idles: one warning line, the final line, exit 75, no traceback."""
    site = tmp_path / "whole"
    package = site / "newsloom"
    shutil.copytree(codeversion.PACKAGE_DIR, package, ignore=shutil.ignore_patterns("__pycache__"))
    env = {**os.environ, "PYTHONPATH": str(site), "NEWSLOOM_STORIES": "false", codeversion.CHECK_ENV: "0.3"}
    proc = subprocess.Popen([sys.executable, "-m", "newsloom", "run", "--no-web", "--no-default-sources",
                             "--db", str(tmp_path / "real.db")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, cwd=tmp_path)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()  # the process runs (and imported the copy: see below)
        assert first.startswith("newsloom running on"), first + proc.communicate(timeout=30)[1]
        time.sleep(1.0)
        _add_module(package)
        stdout, stderr = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == EXIT_UPGRADED, stdout + stderr
    assert "Traceback" not in stderr
    lines = [ln for ln in stderr.splitlines() if "upgraded on disk since this process started" in ln]
    assert len(lines) == 1 and "1 file added (newsloom/analyse/brand_new.py)" in lines[0], stderr
    assert "stopped on upgrade after 1 pass" in stdout, stdout


def test_a_bad_check_interval_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from newsloom.errors import ConfigError

    monkeypatch.setenv(codeversion.CHECK_ENV, "soon")
    with pytest.raises(ConfigError, match="NEWSLOOM_UPGRADE_CHECK_S='soon': expected seconds"):
        codeversion.check_every()
    monkeypatch.setenv(codeversion.CHECK_ENV, "30")
    assert codeversion.check_every() == 30.0
