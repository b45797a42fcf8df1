"""`gst api`: the REST API, the WebSocket live feed and the dashboard."""

from __future__ import annotations

import gc

from gamestream.cli.common import app, console, load_settings
from gamestream.core.settings import redact_url


@app.command()
def api() -> None:
    """Serve the REST API, the WebSocket live feed and the dashboard (GST_API_HOST:GST_API_PORT)."""
    # lazy (start-up time): FastAPI and the API load only for `gst api`
    from realtime_api.app import create_app
    from realtime_api.server import server

    settings = load_settings()
    console.print(
        f"API on http://{settings.api_host}:{settings.api_port}/ (docs at /api/docs), "
        f"warehouse {settings.warehouse_kind}, Redis {redact_url(settings.redis_url)}"
    )
    served = create_app(settings)
    gc.freeze()  # what starting loaded stays out of later collections: a large answer's dicts set them off
    # a young collection every 50,000 allocations, not 700: the live feed's objects of a poll (a frame, a
    # send, a wake-up per client) are freed before one finds them alive and promotes them, and those
    # promoted set off a full collection over every connection's objects every few seconds, which held
    # the feed's 5,000 clients up to 800 ms (p95 196 ms after, 670 ms before)
    gc.set_threshold(50_000, 10, 10)
    server(served, settings).run()
