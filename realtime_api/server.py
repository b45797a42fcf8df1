"""Running the API: in the foreground (`gst api`) or in a thread beside the demo's other stages."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from fastapi import FastAPI

from gamestream.core.settings import Settings


def server(app: FastAPI, settings: Settings) -> uvicorn.Server:
    return uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.api_host,
            port=settings.api_port,
            log_config=None,
            access_log=False,
            ws="websockets-sansio",
            ws_max_queue=64,
            ws_per_message_deflate=settings.api_ws_compression,
            timeout_graceful_shutdown=3,
            proxy_headers=True,
            forwarded_allow_ips=settings.api_forwarded_allow_ips,
        )
    )


@contextmanager
def background_api(app: FastAPI, settings: Settings, ready_timeout: float = 30.0) -> Iterator[uvicorn.Server]:
    """Serve `app` in a thread until the block exits; waits until it accepts connections."""
    running = server(app, settings)
    thread = threading.Thread(target=running.run, name="api", daemon=True)
    thread.start()
    deadline = time.monotonic() + ready_timeout
    while not running.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the API did not start on {settings.api_host}:{settings.api_port}")
        time.sleep(0.05)
    try:
        yield running
    finally:
        running.should_exit = True
        thread.join(timeout=10)
