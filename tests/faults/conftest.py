"""Fixtures of the fault tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

import crash_script  # noqa: E402


@pytest.fixture(scope="session")
def corpus_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, dict[str, Any]]]:
    """(the crash script, its corpus served on 127.0.0.1 for the session, the snapshot of one
    uninterrupted `newsloom run --once` of it): what a store that lived through a fault must equal.
    Ask for it (``request.getfixturevalue``) only once the test knows it will run: the reference
    run takes ~15 s."""
    crash = crash_script.load()
    site = crash.Site()
    try:
        yield crash, site, crash.uninterrupted(tmp_path_factory.mktemp("reference"), site)
    finally:
        site.close()
