"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

# Tests fetch from a server on 127.0.0.1, which the private-network guard refuses by default;
# commands run by the tests (in process or as subprocesses) read this through Settings.load.
# The guard's own tests build Settings with allow_private_networks=False explicitly.
os.environ.setdefault("NEWSLOOM_ALLOW_PRIVATE_NETWORKS", "true")


def shared_path() -> Path:
    return Path(os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The evaluation material beside the repository; tests that need it skip on a user's clone."""
    path = shared_path()
    if not (path / "README.md").is_file():
        pytest.skip(f"shared data not found at {path} (set NEWSLOOM_SHARED); skipping")
    return path
