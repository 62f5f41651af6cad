"""One storage suite, two backends.

``store`` is a fresh SQLite store (in tmp_path) and a fresh PostgreSQL store at $NEWSLOOM_TEST_PG
(default postgresql://postgres@127.0.0.1:5432/test) inside a randomly named schema that is dropped
afterwards. PostgreSQL unreachable: the PostgreSQL half is skipped, or fails when $CI is set.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from store_backends import Backend, drop_schema, pg_schema_url, require_pg

from newsloom.store import Store


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    if request.param == "sqlite":
        b = Backend("sqlite", f"sqlite:///{tmp_path / 'newsloom.db'}")
        yield b
        b.close_all()
        return
    require_pg()
    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    b = Backend("postgres", pg_schema_url(schema))
    try:
        yield b
    finally:
        b.close_all()
        drop_schema(schema)


@pytest.fixture
def store(backend: Backend) -> Store:
    return backend.open()
