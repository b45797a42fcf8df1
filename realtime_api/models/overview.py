"""Answers of /api/overview and /api/platforms/{platform}/overview."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gamestream.core.contracts import Platform
from realtime_api.models.base import Answer
from realtime_api.models.live import LivePlatform


class LiveNow(LivePlatform):
    position: str


class HourTotal(Answer):
    avg_total: float | None
    peak_total: int | None
    hours_watched: float | None
    games: int | None
    coverage: float | None
    is_partial: bool | None


class HourGame(Answer):
    game_key: str
    name: str | None
    is_game: bool
    value: float | None = Field(description="Average viewers (Twitch, YouTube) or players (Steam) in the hour.")
    peak_viewers: int | None
    peak_players: int | None
    hours_watched: float | None
    change: float | None
    growth: float | None = Field(description="Over the latest complete hour (`growth_hour`) vs the hour before.")
    change_4h: float | None
    top_channel: str | None
    top_channel_viewers: int | None
    views: int | None
    views_change: int | None
    mature_share: float | None
    review_score: int | None
    positive_ratio: float | None


class LastHour(Answer):
    bucket_start: datetime | None
    growth_hour: datetime | None = Field(
        description="The hour each game's `growth` is for: the latest complete hour, against the hour before it."
    )
    total: HourTotal | None
    games: list[HourGame]


class RecentTotal(Answer):
    bucket_start: datetime
    avg_total: float | None
    peak_total: int | None
    coverage: float | None


class PlatformOverview(Answer):
    platform: Platform
    live: LiveNow
    last_hour: LastHour = Field(description="The platform's latest hourly bucket in gold.")
    recent: list[RecentTotal] = Field(description="5-minute totals over the last hour in gold.")


class Overview(Answer):
    platforms: list[PlatformOverview]
    non_games: list[str] = Field(description="Keys of non-game categories, for clients that filter the live feed.")
