"""Per-client limits on the public API: a token bucket per client address in Redis, shared by every API
process, and bounds on a request's size.

Each REST request (`/api/...`) takes a token from its address's bucket, which holds at most
`api_rate_burst` tokens and refills at `api_rate_per_second`; an empty bucket answers 429 with
`Retry-After` (whole seconds until a token is back), and the process remembers until when, so a
flood's further requests are refused without asking Redis. The bucket lives in Redis, so a client spread
over several API processes meets one limit; Redis' own clock (TIME) is the bucket's, so the
processes' clocks play no part. If Redis cannot be reached the API serves without limits (its
answers come from the warehouse, not Redis) and tries Redis again after RETRY_SECONDS; readiness
reports the outage. The client's address is uvicorn's, which takes X-Forwarded-For only from the
addresses in `api_forwarded_allow_ips` (the load balancer).

Health, metrics and the dashboard's files are not limited; a request line longer than
MAX_QUERY_BYTES gets 414 and a body larger than MAX_BODY_BYTES 413 (every route is a GET).
"""

from __future__ import annotations

import math
import time
from typing import Any

import structlog
from redis import asyncio as aioredis
from redis.exceptions import RedisError
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from gamestream.core.live_keys import RATE_PREFIX
from realtime_api.metrics import ApiMetrics

log = structlog.get_logger(__name__)

MAX_QUERY_BYTES = 4096
MAX_BODY_BYTES = 16_384
RETRY_SECONDS = 5.0
MAX_REMEMBERED = 10_000  # empty buckets held in memory before the expired ones are dropped
LIMITED_PREFIX = "/api/"

# KEYS[1] the bucket; ARGV rate (tokens/s), burst. Returns {1, 0} when a token was taken, else
# {0, seconds until one is back}. Idle buckets expire once they would be full again.
TAKE_TOKEN = """
local rate, burst = tonumber(ARGV[1]), tonumber(ARGV[2])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local held = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(held[1]) or burst
local at = tonumber(held[2]) or now
tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
local taken, wait = 0, 0
if tokens >= 1 then
  tokens = tokens - 1
  taken = 1
else
  wait = (1 - tokens) / rate
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('EXPIRE', KEYS[1], math.ceil(burst / rate) + 1)
return {taken, tostring(wait)}
"""


class RateLimiter:
    """Token buckets per client address in Redis (see the module's docstring)."""

    def __init__(self, redis_url: str, per_second: float, burst: int):
        self.per_second, self.burst = per_second, burst
        self.client: Any = aioredis.Redis.from_url(redis_url, socket_connect_timeout=1, socket_timeout=1)
        self._take = self.client.register_script(TAKE_TOKEN)
        self._paused_until = 0.0  # after a Redis failure: serve without limits until then
        # addresses whose bucket Redis found empty, until a token is back: a flood's further requests
        # are refused from memory, without a Redis round trip each
        self._empty_until: dict[str, float] = {}

    async def wait_seconds(self, address: str) -> float:
        """0 when `address` may make a request now (a token taken), else how long until it may."""
        now = time.monotonic()
        if self.per_second <= 0 or now < self._paused_until:
            return 0.0
        if now < self._empty_until.get(address, 0.0):
            return self._empty_until[address] - now
        try:
            taken, wait = await self._take(keys=[RATE_PREFIX + address], args=[self.per_second, self.burst])
        except (RedisError, OSError) as exc:
            self._paused_until = time.monotonic() + RETRY_SECONDS
            log.warning("rate_limit_unavailable", error=str(exc), retry_seconds=RETRY_SECONDS)
            return 0.0
        if int(taken):
            return 0.0
        if len(self._empty_until) > MAX_REMEMBERED:  # forget the addresses whose wait is over
            self._empty_until = {a: until for a, until in self._empty_until.items() if until > now}
        self._empty_until[address] = now + float(wait)
        return float(wait)

    async def close(self) -> None:
        await self.client.aclose()


class RequestLimits:
    """ASGI middleware: size bounds on every request, the rate limit on REST requests."""

    def __init__(self, app: ASGIApp, limiter: RateLimiter, metrics: ApiMetrics):
        self.app, self.limiter, self.metrics = app, limiter, metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = await self.refusal(scope)
        if refused is not None:
            await refused(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def refusal(self, scope: Scope) -> JSONResponse | None:
        if len(scope.get("raw_path", b"")) + len(scope.get("query_string", b"")) > MAX_QUERY_BYTES:
            return JSONResponse({"detail": f"request line over {MAX_QUERY_BYTES} bytes"}, status_code=414)
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            return JSONResponse({"detail": f"request body over {MAX_BODY_BYTES} bytes"}, status_code=413)
        if not scope["path"].startswith(LIMITED_PREFIX):
            return None
        address = scope["client"][0] if scope.get("client") else "unknown"
        wait = await self.limiter.wait_seconds(address)
        if wait <= 0:
            return None
        self.metrics.rate_limited.inc()
        return JSONResponse(
            {"detail": f"too many requests: {self.limiter.per_second:g}/s sustained, bursts of {self.limiter.burst}"},
            status_code=429,
            headers={"Retry-After": str(max(1, math.ceil(wait)))},
        )
