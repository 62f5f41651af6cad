"""Running the reader under uvicorn: ``newsloom serve`` calls :func:`serve`; with several worker
processes uvicorn imports :func:`app_from_env` in each (the store URL and options travel in the
environment)."""

from __future__ import annotations

import os
import threading

from fastapi import FastAPI

from newsloom.config import Settings
from newsloom.store import open_store

_ENV_SEMANTIC = "NEWSLOOM_SERVE_SEMANTIC"
_ENV_CACHE = "NEWSLOOM_SERVE_CACHE_SECONDS"


def app_from_env() -> FastAPI:
    """The app over ``$NEWSLOOM_DB`` (settings from the usual places), for uvicorn's factory mode."""
    from newsloom.web import create_app

    settings = Settings.load()
    from newsloom.priority import reader_switch_interval

    reader_switch_interval(settings.reader_switch_interval_ms)  # requests share the interpreter
    store = open_store(settings.db)  # `newsloom serve` checked it exists before starting
    semantic = os.environ.get(_ENV_SEMANTIC, "1") == "1"
    app = create_app(store, settings, semantic=semantic, cache_seconds=float(os.environ.get(_ENV_CACHE, "2")))
    if app.state.semantic is not None:
        # load the model and the vectors in the background: the first search should not wait
        threading.Thread(target=app.state.semantic.warm, daemon=True).start()
    return app


def serve(settings: Settings, host: str = "127.0.0.1", port: int = 8080, workers: int = 1,
          semantic: bool = True, access_log: bool = False, cache_seconds: float = 2.0) -> None:
    import uvicorn

    os.environ["NEWSLOOM_DB"] = settings.db
    os.environ[_ENV_SEMANTIC] = "1" if semantic else "0"
    os.environ[_ENV_CACHE] = str(cache_seconds)
    uvicorn.run("newsloom.web.server:app_from_env", factory=True, host=host, port=port,
                workers=workers, access_log=access_log, log_level="info", proxy_headers=False)


def start_in_thread(settings: Settings, host: str = "127.0.0.1", port: int = 8080,
                    semantic: bool = True, cache_seconds: float = 2.0) -> "object":
    """Serve the reader from a daemon thread of this process (for ``newsloom run --serve``: one
    process that fetches and serves). It opens its own store connections; the caller's writes go
    on in its own. Returns the ``uvicorn.Server``: set ``should_exit = True`` to stop it."""
    import time

    import uvicorn

    from newsloom.priority import reader_switch_interval
    from newsloom.web import create_app

    # the processing thread of this process holds the interpreter most of the time
    reader_switch_interval(settings.reader_switch_interval_ms)
    store = open_store(settings.db)
    app = create_app(store, settings, semantic=semantic, cache_seconds=cache_seconds)
    if app.state.semantic is not None:
        threading.Thread(target=app.state.semantic.warm, daemon=True).start()
    server = uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]  # the caller owns Ctrl-C
    thread = threading.Thread(target=server.run, daemon=True, name="newsloom-web")
    thread.start()
    deadline = time.monotonic() + 30
    # a server that cannot bind ends its thread (uvicorn logs and exits): stop waiting then
    while not server.started and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.05)
    return server
