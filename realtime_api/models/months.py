"""Answers of /api/{platform}/months: a platform's months and one month's table of games."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gamestream.core.contracts import Platform
from realtime_api.models.base import Answer
from realtime_api.models.games import MonthFigures
from realtime_api.queries.vocabulary import MonthMetric


class PlatformMonthFigures(Answer):
    """The platform's total over a calendar month (UTC)."""

    month_start: datetime
    month_end: datetime
    avg_total: float | None
    peak_total: int | None
    gain: float | None
    growth: float | None
    hours_watched: float | None
    games: int | None
    coverage: float | None
    covered_seconds: float | None
    observed_seconds: float | None
    is_partial: bool


class PlatformMonth(PlatformMonthFigures):
    month: str = Field(description="YYYY-MM")


class PlatformMonths(Answer):
    platform: Platform
    months: list[PlatformMonth] = Field(description="Newest first.")


class MonthRow(MonthFigures):
    game_key: str
    slug: str | None
    name: str | None
    is_game: bool
    platform_rank: int | None = Field(description="Among every category of the platform's month.")
    rank: int = Field(description="In this table (its metric, games only unless asked).")


class MonthTable(Answer):
    platform: Platform
    metric: MonthMetric
    month_start: datetime
    month_end: datetime
    limit: int
    offset: int
    month: str = Field(description="YYYY-MM")
    summary: PlatformMonthFigures
    items: list[MonthRow]
    total: int
