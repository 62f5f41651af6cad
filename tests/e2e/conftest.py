"""The end-to-end tests that take ``db`` run on both backends: a SQLite file and a fresh schema
in the test PostgreSQL (skipped when it is unreachable outside CI, like the storage suite)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import drop_schema, pg_schema_url, require_pg


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    require_pg()
    schema = f"newsloom_e2e_{uuid.uuid4().hex[:12]}"
    try:
        yield pg_schema_url(schema)
    finally:
        drop_schema(schema)
