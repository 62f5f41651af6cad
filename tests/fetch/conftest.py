"""Fixtures for the fetch tests: a real local HTTP server and fast, permissive settings."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from localserver import LocalServer
from store_backends import drop_schema, pg_schema_url, require_pg

from newsloom.config import Settings
from newsloom.store import Store, open_store

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """pytest-asyncio is not a dependency; each test drives its own event loop."""
    return asyncio.run(coro)


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with LocalServer() as srv:
        yield srv


@pytest.fixture
def settings() -> Settings:
    # high rate so tests that are not about politeness don't wait; small caps and timeouts
    # the test server is on loopback, which the private-network guard refuses by default
    return Settings(db="sqlite:///:memory:", requests_per_second_per_host=1000.0, timeout_s=3.0,
                    max_body_bytes=256 * 1024, max_redirects=3, concurrency=4,
                    allow_private_networks=True)


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        with open_store(f"sqlite:///{tmp_path / 'n.db'}") as s:
            yield s
        return
    require_pg()
    schema = f"newsloom_test_{uuid.uuid4().hex[:12]}"
    try:
        with open_store(pg_schema_url(schema)) as s:
            yield s
    finally:
        drop_schema(schema)
