"""JSON-over-HTTP for the platform APIs: timeouts, retries with exponential backoff and jitter
(tenacity), rate-limit headers (Retry-After, Twitch's Ratelimit-*), 401 re-authentication."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import structlog
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential_jitter

from gamestream.core.clock import Clock
from producers.budget import SlidingWindowLimiter

log = structlog.get_logger(__name__)
MAX_SERVER_WAIT = 120.0


class ApiError(Exception):
    """A request that failed for good; the poll records it and carries on."""

    def __init__(self, url: str, reason: str, status: int | None = None):
        self.url, self.reason, self.status = url, reason, status
        super().__init__(f"{url}: {reason}")


class TransientError(ApiError):
    """Worth retrying: 429, 5xx, timeouts, connection errors, malformed bodies."""

    def __init__(self, url: str, reason: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(url, reason, status)
        self.retry_after = retry_after


class Unauthorized(ApiError):
    pass


@dataclass(frozen=True)
class Answer:
    """A successful answer: its parsed JSON, its body exactly as received, and when it arrived."""

    body: Any
    content: bytes
    fetched_at: datetime


class JsonApi:
    def __init__(
        self,
        base_url: str,
        clock: Clock,
        timeout: float,
        limiter: SlidingWindowLimiter | None = None,
        auth_headers: Callable[[bool], dict[str, str]] | None = None,
        attempts: int = 4,
        backoff_max: float = 30.0,
    ):
        self.base_url = base_url.rstrip("/")
        self.clock, self.limiter, self.auth_headers = clock, limiter, auth_headers
        self.attempts, self.backoff_max = attempts, backoff_max
        self.client = httpx.Client(
            timeout=timeout, headers={"Accept": "application/json", "User-Agent": "game-stream-trends/0.1"}
        )
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def get(self, path: str, params: dict[str, Any] | None = None) -> Any:
        return self._call("GET", path, params=params).body

    def get_answer(self, path: str, params: dict[str, Any] | None = None) -> Answer:
        """Like `get`, with the raw body bytes and the time they arrived (for the raw archive)."""
        return self._call("GET", path, params=params)

    def post_form(self, path: str, data: dict[str, Any]) -> Any:
        return self._call("POST", path, data=data).body

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        backoff = wait_exponential_jitter(initial=1, max=self.backoff_max)(state)
        if isinstance(error, TransientError) and error.retry_after is not None:
            return min(max(error.retry_after, 0.0), MAX_SERVER_WAIT) + min(backoff, 1.0)
        return backoff

    def _call(self, method: str, path: str, **kwargs: Any) -> Answer:
        retrying = Retrying(
            stop=stop_after_attempt(self.attempts),
            wait=self._wait,
            sleep=self.clock.sleep,
            retry=retry_if_exception_type(TransientError),
            reraise=True,
        )
        reauthenticated = False
        for attempt in retrying:
            with attempt:
                try:
                    return self._once(method, path, force_auth=False, **kwargs)
                except Unauthorized:
                    if reauthenticated or self.auth_headers is None:
                        raise
                    reauthenticated = True
                    return self._once(method, path, force_auth=True, **kwargs)
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, method: str, path: str, force_auth: bool, **kwargs: Any) -> Answer:
        url = f"{self.base_url}{path}"
        headers = self.auth_headers(force_auth) if self.auth_headers else {}
        if self.limiter is not None:
            self.limiter.acquire()
        self.requests += 1
        try:
            response = self.client.request(method, url, headers=headers, **kwargs)
        except httpx.TimeoutException:
            raise TransientError(url, "timed out") from None
        except httpx.TransportError as exc:
            raise TransientError(url, f"connection failed: {type(exc).__name__}") from None
        reset_in = self._read_rate_headers(response)
        if response.status_code == 429:
            raise TransientError(url, "HTTP 429 rate limited", 429, retry_after=reset_in)
        if response.status_code == 401:
            raise Unauthorized(url, "HTTP 401 unauthorized", 401)
        if response.status_code >= 500:
            raise TransientError(url, f"HTTP {response.status_code}", response.status_code, retry_after=reset_in)
        if response.status_code >= 400:
            raise ApiError(url, f"HTTP {response.status_code}: {response.text[:200]}", response.status_code)
        try:
            return Answer(response.json(), response.content, self.clock.now())
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise TransientError(url, f"malformed JSON body: {response.text[:80]!r}", response.status_code) from None

    def _read_rate_headers(self, response: httpx.Response) -> float | None:
        """Seconds until the server's window resets, if it says; defers the limiter when exhausted."""
        now = self.clock.now()
        reset_in = None
        reset = response.headers.get("Ratelimit-Reset")
        if reset and reset.strip().isdigit():
            reset_at = datetime.fromtimestamp(int(reset), UTC)
            reset_in = max((reset_at - now).total_seconds(), 0.0)
            remaining = response.headers.get("Ratelimit-Remaining", "")
            if self.limiter is not None and (response.status_code == 429 or remaining.strip() == "0"):
                self.limiter.defer_until(reset_at)
        retry_after = response.headers.get("Retry-After")
        if retry_after and retry_after.strip().isdigit():
            reset_in = float(retry_after)
        return reset_in
