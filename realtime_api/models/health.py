"""Answers of /healthz and /readyz."""

from __future__ import annotations

from typing import Literal

from realtime_api.models.base import Answer


class Alive(Answer):
    status: Literal["ok"]


class Readiness(Answer):
    status: Literal["ready", "warming", "degraded"]
    checks: dict[str, str]
