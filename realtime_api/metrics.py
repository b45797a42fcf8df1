"""Prometheus metrics of one API process (own registry, so several apps can live in one process)."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ApiMetrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("gst_api_requests_total", "HTTP requests", ["route", "status"], registry=self.registry)
        self.latency = Histogram(
            "gst_api_request_seconds",
            "HTTP request duration",
            ["route"],
            registry=self.registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
        )
        self.ws_clients = Gauge("gst_ws_clients", "Connected WebSocket clients", registry=self.registry)
        self.ws_dropped = Counter(
            "gst_ws_dropped_total", "WebSocket clients dropped for being too slow", registry=self.registry
        )
        self.ws_refused = Counter(
            "gst_ws_refused_total", "WebSocket connections refused", ["reason"], registry=self.registry
        )
        self.rate_limited = Counter(
            "gst_api_rate_limited_total", "REST requests refused with 429 by the rate limit", registry=self.registry
        )
        self.ws_sent = Counter(
            "gst_ws_messages_total", "Messages sent to WebSocket clients", ["type"], registry=self.registry
        )


class MetricsMiddleware:
    """Counts and times HTTP requests by route template (not by raw path: bounded label values)."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics):
        self.app, self.metrics = app, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started, status = time.perf_counter(), [500]

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            route = scope.get("route")
            name = getattr(route, "path", "unmatched")
            self.metrics.requests.labels(name, str(status[0])).inc()
            self.metrics.latency.labels(name).observe(time.perf_counter() - started)
