"""The reader: FastAPI routes per page kind with their Jinja2 templates (``templates/``), feeds
out, the JSON API, and operations endpoints. ``create_app(store)`` builds it; ``newsloom serve``
runs it with uvicorn."""

from newsloom.web.app import create_app

__all__ = ["create_app"]
