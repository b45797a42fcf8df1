"""The FastAPI app: REST trend queries over gold, the WebSocket live feed over Redis, health and
metrics, and the built dashboard at /.

Read-only by construction: the warehouse is reached only through realtime_api/queries/
(bound parameters, names from enums) and Redis only through reads. CORS and WebSocket origins come
from GST_API_ALLOWED_ORIGINS. OpenAPI docs at /api/docs.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from html import escape
from importlib.resources import files
from pathlib import Path
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.middleware.gzip import GZipMiddleware
from fastapi.openapi.utils import get_openapi
from fastapi.responses import HTMLResponse, JSONResponse

from gamestream.core.settings import Settings
from realtime_api.answer_cache import AnswerCache
from realtime_api.cache_warmer import CacheWarmer
from realtime_api.deps import UnknownChannel, UnknownGame, not_found_with_suggestions
from realtime_api.game_directory import GameDirectory
from realtime_api.live_feed import LiveFeed, RedisUnavailable
from realtime_api.metrics import ApiMetrics, MetricsMiddleware
from realtime_api.models.live import live_message_schema
from realtime_api.rate_limit import RateLimiter, RequestLimits
from realtime_api.response_headers import DashboardFiles, SecurityHeaders
from realtime_api.routes import channels, games, health, live, months, movers, overview
from realtime_api.store import GoldStore, WarehouseUnavailable

log = structlog.get_logger(__name__)
# The dashboard's built files: package data of realtime_api, written by `npm run build` in frontend/
# (`make install` runs it) and carried by the wheel. A folder on disk: StaticFiles serves files.
DASHBOARD = Path(str(files("realtime_api") / "dashboard"))
BUILD_DASHBOARD = "cd frontend && npm ci && npm run build"  # in a checkout; `make install` runs it


def openapi_document(app: FastAPI) -> dict[str, Any]:
    """FastAPI's document of the routes, with the WebSocket /ws/live's messages (`LiveMessage`, one
    of its four kinds by `type`) among its schemas: OpenAPI has no place for a WebSocket's messages."""
    if app.openapi_schema is None:
        document = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        messages = live_message_schema(ref_template="#/components/schemas/{model}")
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        schemas.update(messages.pop("$defs"))
        schemas["LiveMessage"] = messages
        app.openapi_schema = document
    return app.openapi_schema


def create_app(settings: Settings, store: GoldStore | None = None, dashboard: Path | None = DASHBOARD) -> FastAPI:
    """`store` may be shared with a gold loader in the same process (the demo's DuckDB). Without a
    built dashboard (or with dashboard=None) the API still starts and / says how to build it."""
    served = dashboard is not None and (dashboard / "index.html").is_file()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await app.state.feed.start()
        directory = asyncio.create_task(app.state.games.keep_fresh())
        warming = asyncio.create_task(app.state.warmer.run())
        log.info("api_started", warehouse=settings.warehouse_kind, dashboard=served)
        if dashboard is not None and not served:
            log.warning("dashboard_not_built", folder=str(dashboard), build=BUILD_DASHBOARD)
        try:
            yield
        finally:
            directory.cancel()
            warming.cancel()
            await app.state.feed.stop()
            await app.state.limiter.close()
            if store is None:
                app.state.store.close()

    app = FastAPI(
        title="Game Stream Trends API",
        version="0.1.0",
        lifespan=lifespan,
        docs_url="/api/docs",
        redoc_url=None,
        openapi_url="/api/openapi.json",
        description="Players (Steam) and viewers (Twitch, YouTube) per game: live and historical.",
    )
    app.state.settings = settings
    app.state.store = store or GoldStore(
        settings.warehouse, read_only=True, timeout_seconds=settings.api_query_timeout_seconds
    )
    app.state.games = GameDirectory(app.state.store, settings.api_game_directory_seconds)
    app.state.answers = AnswerCache(app.state.store, settings.api_answer_cache_entries)
    app.state.warmer = CacheWarmer(app.state.store, settings.api_prewarm_days)
    app.state.feed = LiveFeed(
        settings.redis_url,
        settings.api_ws_queue_size,
        settings.api_ws_max_clients,
        settings.api_ws_max_per_address,
        settings.api_ws_heartbeat_seconds,
    )
    app.state.metrics = ApiMetrics()
    app.state.limiter = RateLimiter(settings.redis_url, settings.api_rate_per_second, settings.api_rate_burst)
    # the last added runs first: every request is counted (refusals too), every answer gets its
    # headers and is compressed when the client accepts it (level 6: a 285 KB series in a few ms),
    # then requests are bounded, then CORS
    app.add_middleware(
        CORSMiddleware, allow_origins=settings.api_allowed_origins, allow_methods=["GET"], allow_headers=["*"]
    )
    app.add_middleware(RequestLimits, limiter=app.state.limiter, metrics=app.state.metrics)
    app.add_middleware(GZipMiddleware, minimum_size=1024, compresslevel=6)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(MetricsMiddleware, metrics=app.state.metrics)

    @app.exception_handler(WarehouseUnavailable)
    async def warehouse_down(_: Request, exc: WarehouseUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    @app.exception_handler(RedisUnavailable)
    async def redis_down(_: Request, exc: RedisUnavailable) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=503, headers={"Retry-After": "5"})

    app.add_exception_handler(UnknownGame, not_found_with_suggestions)
    app.add_exception_handler(UnknownChannel, not_found_with_suggestions)
    for module in (health, overview, months, games, movers, live, channels):
        app.include_router(module.router)
    app.openapi = lambda: openapi_document(app)  # type: ignore[method-assign]
    if served:
        app.mount("/", DashboardFiles(directory=dashboard, html=True), name="dashboard")
    else:

        @app.get("/", include_in_schema=False)
        def index() -> HTMLResponse:
            return HTMLResponse(
                "<h1>Game Stream Trends API</h1><p>The dashboard is not built here. In a checkout, "
                f"<code>make install</code> or <code>{escape(BUILD_DASHBOARD)}</code> builds it into the "
                "package (realtime_api/dashboard/); then restart <code>gst api</code>. "
                "API docs: <a href='/api/docs'>/api/docs</a></p>"
            )

    return app
