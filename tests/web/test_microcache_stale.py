"""The micro-cache serves an expired page while one background render refreshes it (stale while
revalidate), renders a page not cached yet once for concurrent readers, drops a page that
stopped being a 200, and renders afresh past the stale window."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

from fastapi.testclient import TestClient
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from newsloom.web.microcache import MicroCache
from newsloom.web.middleware import ReaderMiddleware


def _app(state: dict) -> tuple[Starlette, MicroCache]:
    lock = threading.Lock()

    def page(request: Request) -> PlainTextResponse:
        with lock:
            state["renders"] += 1
            n = state["renders"]
        time.sleep(state.get("render_s", 0.0))
        return PlainTextResponse(f"render {n}", status_code=state.get("status", 200))

    cache = MicroCache(0.2, stale_seconds=1.5)
    return Starlette(routes=[Route("/p", page)], middleware=[Middleware(ReaderMiddleware, cache=cache)]), cache


def _until(pred, timeout: float = 5.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.02)
    return False


def test_expired_page_served_while_refreshed_in_the_background() -> None:
    state = {"renders": 0}
    app, _ = _app(state)
    with TestClient(app) as c:
        assert c.get("/p").text == "render 1"
        assert c.get("/p").text == "render 1"  # fresh: not rendered again
        time.sleep(0.3)  # expired, within the stale window
        state["render_s"] = 0.3
        t0 = time.monotonic()
        assert c.get("/p").text == "render 1"  # the expired copy, at once ...
        assert c.get("/p").text == "render 1"  # ... for everyone, while one refresh runs
        assert time.monotonic() - t0 < 0.25
        assert _until(lambda: c.get("/p").text == "render 2")  # ... which then serves
        assert state["renders"] == 2
        state["render_s"] = 0.0
        time.sleep(1.8)  # past the stale window: the next reader waits for a fresh render
        assert c.get("/p").text == "render 3"


def test_a_page_not_cached_yet_is_rendered_once_for_concurrent_readers() -> None:
    state = {"renders": 0, "render_s": 0.3}
    app, _ = _app(state)
    with TestClient(app) as c, ThreadPoolExecutor(6) as pool:
        texts = list(pool.map(lambda _: c.get("/p").text, range(6)))
    assert texts == ["render 1"] * 6 and state["renders"] == 1


def test_a_page_that_is_no_longer_200_is_not_served_stale() -> None:
    state = {"renders": 0}
    app, cache = _app(state)
    with TestClient(app) as c:
        assert c.get("/p").status_code == 200
        time.sleep(0.3)
        state["status"] = 404  # taken down, merged away, ...
        assert c.get("/p").text == "render 1"  # the one expired answer while it is re-rendered
        assert _until(lambda: c.get("/p").status_code == 404)
        assert not cache._items  # nothing kept to serve stale


def test_revalidation_ignores_the_readers_etag() -> None:
    state = {"renders": 0}
    app, _ = _app(state)
    with TestClient(app) as c:
        c.get("/p")
        time.sleep(0.3)
        c.get("/p", headers={"If-None-Match": '"x"'})
        assert _until(lambda: c.get("/p").text == "render 2")


def test_pages_past_their_stale_window_do_not_stay_in_memory(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A long-running server meets thousands of story pages once each: a page nobody asked for
    again since its stale window ended is dropped at the next put, not kept until ``size``."""
    clock = {"t": 1000.0}
    monkeypatch.setattr("newsloom.web.microcache.time.monotonic", lambda: clock["t"])
    cache = MicroCache(2.0, size=4096)  # stale window 20 s
    for i in range(100):
        cache.put((f"/stories/{i}", "", "en"), 200, [], b"x" * 1000)
        clock["t"] += 0.5  # two pages a second, each read once
    assert len(cache._items) <= 45  # the last ~22 s of pages, not all 100
    clock["t"] += 60
    cache.put(("/", "", "en"), 200, [], b"front")
    assert list(cache._items) == [("/", "", "en")]
