"""Fixtures of the stories tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from newsloom.store import open_store
from newsloom.store.base import Store


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A fresh SQLite store (the stories service's logic is backend-independent; the storage
    suite and tests/e2e run both backends)."""
    with open_store(f"sqlite:///{tmp_path / 'stories.db'}") as s:
        yield s
