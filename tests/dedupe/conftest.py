"""Stores for the near-duplicate tests: ``db`` on both backends (a SQLite file, a fresh
PostgreSQL schema), ``pg`` on PostgreSQL only."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import drop_schema, pg_schema_url, require_pg


def _schema() -> Iterator[str]:
    require_pg()
    schema = f"newsloom_nd_{uuid.uuid4().hex[:12]}"
    try:
        yield pg_schema_url(schema)
    finally:
        drop_schema(schema)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    yield from _schema()


@pytest.fixture
def pg() -> Iterator[str]:
    yield from _schema()
