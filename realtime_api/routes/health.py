"""Liveness, readiness (warehouse and Redis reachable, the warehouse cache warmed) and Prometheus
metrics."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from realtime_api.deps import Feed, Store
from realtime_api.models.health import Alive, Readiness

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="The process is up", response_model=Alive)
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get(
    "/readyz",
    summary="The warehouse and Redis answer and the warehouse cache is warm",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "A dependency is down, or the cache is still warming"}},
)
async def readyz(request: Request, store: Store, feed: Feed) -> JSONResponse:
    checks: dict[str, str] = {}
    for name, check in (("warehouse", lambda: run_in_threadpool(store.ping)), ("redis", feed.ping)):
        try:
            await check()
            checks[name] = "ok"
        except Exception as exc:  # report, never raise: readiness is an answer, not an error
            checks[name] = f"unavailable: {exc}"
    reachable = all(v == "ok" for v in checks.values())
    warmer = request.app.state.warmer  # warm, warming, off (GST_API_PREWARM_DAYS=0) or failed (serving cold)
    checks["warehouse_cache"] = warmer.state
    ready = reachable and warmer.done
    status = "ready" if ready else "warming" if reachable else "degraded"
    answer = Readiness(status=status, checks=checks)
    return JSONResponse(answer.model_dump(), status_code=200 if ready else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
def metrics(request: Request) -> Response:
    return Response(generate_latest(request.app.state.metrics.registry), media_type=CONTENT_TYPE_LATEST)
