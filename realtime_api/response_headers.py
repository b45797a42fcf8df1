"""What every answer says about itself: security headers on each response, and caching rules for the
dashboard's files (compression is Starlette's GZipMiddleware, added in app.py).

The Content-Security-Policy allows the dashboard what it uses and nothing else: its own scripts,
styles and API (the live feed's WebSocket is same-origin, which 'self' covers), inline style
attributes (the charts set them), data: images (the favicon). /api/docs is FastAPI's Swagger UI,
which loads its scripts from a CDN and starts them inline: it gets the other headers, not the policy.
"""

from __future__ import annotations

import os

from starlette.datastructures import MutableHeaders
from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'; object-src 'none'"
)
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
DOCS_PATH = "/api/docs"
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class SecurityHeaders:
    """ASGI middleware: SECURITY_HEADERS, and the policy outside /api/docs, on every HTTP answer."""

    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with_policy = not scope["path"].startswith(DOCS_PATH)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers.setdefault(name, value)
                if with_policy:
                    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
            await send(message)

        await self.app(scope, receive, send_with_headers)


class DashboardFiles(StaticFiles):
    """The built dashboard. Its assets carry a hash of their content in their names
    (assets/index-C_WyHfnN.js), so they are cached for a year as immutable; index.html, which names
    the current ones, is revalidated on every load."""

    def file_response(
        self, full_path: str | os.PathLike[str], stat_result: os.stat_result, scope: Scope, status_code: int = 200
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        hashed = scope["path"].startswith("/assets/")
        response.headers["Cache-Control"] = IMMUTABLE if hashed else REVALIDATE
        return response
