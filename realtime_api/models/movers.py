"""Answers of /api/movers."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gamestream.core.contracts import Platform
from realtime_api.models.base import Answer
from realtime_api.queries.vocabulary import Direction, MoverWindow


class Mover(Answer):
    game_key: str
    name: str | None
    is_game: bool
    current: float = Field(description="The platform's default metric over the window.")
    previous: float = Field(description="Over the window before.")
    change: float
    growth: float | None


class Movers(Answer):
    platform: Platform
    window: MoverWindow | None = Field(description="The trailing window; null when `from`/`to` asked for a range.")
    resolution: str | None = Field(None, description="The buckets a requested range was compared over.")
    direction: Direction
    window_start: datetime | None
    window_end: datetime | None
    metric: str
    items: list[Mover]
