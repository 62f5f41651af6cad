"""The reader's fixtures: one demo store per session (five languages through the real pipeline,
plus articles and a story carrying hostile markup), the ASGI app over it, and a live server."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from reader_world import hostile_articles, plant_hostile_story

from newsloom.config import Settings
from newsloom.store import open_store
from newsloom.store.base import Store
from newsloom.web import create_app, demo


@pytest.fixture(scope="session")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict:
    path = tmp_path_factory.mktemp("reader") / "reader.db"
    url = f"sqlite:///{path}"
    with open_store(url) as store:
        demo.fill(store, Settings(db=url, workers=1), extra=hostile_articles(store))
        hostile = plant_hostile_story(store)
    return {"url": url, "hostile_story": hostile}


@pytest.fixture(scope="session")
def app_store(world: dict) -> Iterator[Store]:
    with open_store(world["url"]) as store:
        yield store


@pytest.fixture(scope="session")
def app(app_store: Store):  # type: ignore[no-untyped-def]
    return create_app(app_store, Settings(db=app_store.url), semantic=True)


@pytest.fixture(scope="session")
def client(app):  # type: ignore[no-untyped-def]
    from fastapi.testclient import TestClient

    with TestClient(app) as c:
        yield c


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="session")
def live_server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app under uvicorn on a free loopback port, in a thread."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(5)


