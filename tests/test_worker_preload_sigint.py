"""Ctrl-C while the fork server preloads ``newsloom.worker`` / ``newsloom.worker_stories`` (the
models: seconds) printed a KeyboardInterrupt traceback under `fetch`'s "interrupted" line: the
terminal's SIGINT reaches the whole process group. The preload now ignores it, and puts the
usual handler back afterwards."""

from __future__ import annotations

import subprocess
import sys

import pytest

SCRIPT = """
import os, signal
from newsloom.analyse import embed, language

def interrupt():
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C in the middle of loading a model

if {stories}:
    class Embedder:
        def embed(self, texts):
            interrupt()
    embed.get_embedder = lambda name, threads=1: Embedder()
else:
    real = language.detect_article
    def detect(*args, **kwargs):
        interrupt()
        return real(*args, **kwargs)
    language.detect_article = detect
import {module}
print("preloaded", signal.getsignal(signal.SIGINT) is signal.default_int_handler)
"""


@pytest.mark.parametrize("module, stories", [("newsloom.worker", False), ("newsloom.worker_stories", True)])
def test_ctrl_c_during_the_preload_is_ignored(module: str, stories: bool) -> None:
    proc = subprocess.run([sys.executable, "-c", SCRIPT.format(module=module, stories=stories)],
                          capture_output=True, text=True, timeout=180)
    assert "Traceback" not in proc.stderr and "KeyboardInterrupt" not in proc.stderr, proc.stderr
    assert proc.returncode == 0 and proc.stdout.strip() == "preloaded True"
