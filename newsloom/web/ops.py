"""Operations: /healthz (the store answers) and /metrics (Prometheus text)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST

from newsloom.errors import StoreError
from newsloom.web import metrics

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Whether the store answers")
def healthz(request: Request) -> Response:
    try:
        n = request.app.state.store.count_stories()
    except StoreError as exc:
        return JSONResponse({"ok": False, "error": str(exc)}, status_code=503)
    return JSONResponse({"ok": True, "stories": n}, headers={"Cache-Control": "no-store"})


@router.get("/metrics", summary="Prometheus metrics")
def prometheus(request: Request) -> Response:
    return Response(metrics.exposition(request.app.state.store, request.app.state.settings), media_type=CONTENT_TYPE_LATEST,
                    headers={"Cache-Control": "no-store"})
