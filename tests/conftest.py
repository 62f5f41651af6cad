"""Fixtures shared by every test package."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def shared_path() -> Path:
    return Path(os.environ.get("NEWSLOOM_SHARED") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The evaluation material beside the repository; tests that need it skip on a user's clone."""
    path = shared_path()
    if not (path / "README.md").is_file():
        pytest.skip(f"shared data not found at {path} (set NEWSLOOM_SHARED); skipping")
    return path
