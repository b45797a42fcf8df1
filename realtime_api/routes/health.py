"""Liveness, readiness (warehouse and Redis reachable) and Prometheus metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from realtime_api.deps import Feed, Store

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz", summary="The warehouse and Redis answer", responses={503: {"description": "A dependency is down"}}
)
async def readyz(store: Store, feed: Feed) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in (("warehouse", lambda: run_in_threadpool(store.ping)), ("redis", feed.ping)):
        try:
            await check()
            checks[name] = "ok"
        except Exception as exc:  # report, never raise: readiness is an answer, not an error
            checks[name] = f"unavailable: {exc}"
    ready = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ready" if ready else "degraded", "checks": checks}, status_code=200 if ready else 503
    )


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
