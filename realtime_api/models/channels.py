"""Answers of the channel routes: a platform's channels in a month, a channel's page and series,
and a game's channels and languages."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gamestream.core.contracts import Platform
from realtime_api.models.base import Answer
from realtime_api.queries.vocabulary import ChannelMetric, LanguagePeriod


class ChannelMonthFigures(Answer):
    """A channel's calendar month (UTC), as the statistics sites' channel tables give it."""

    hours_watched: float
    hours_streamed: float
    avg_viewers: float | None = Field(description="Over the time it was live: hours_watched / hours_streamed.")
    peak_viewers: int
    streams: int
    games: int
    main_language: str | None
    is_partial: bool


class RankedChannel(ChannelMonthFigures):
    channel_id: str
    user_login: str | None = Field(description="The name in its Twitch URL; null on YouTube.")
    channel_name: str | None
    platform_rank: int = Field(description="By hours watched among the platform's channels that month.")
    rank: int = Field(description="In this table (its metric and filter).")


class ChannelMonthTable(Answer):
    platform: Platform
    metric: ChannelMetric
    language: str | None
    month: str = Field(description="YYYY-MM")
    month_start: datetime
    month_end: datetime
    limit: int
    offset: int
    items: list[RankedChannel]
    total: int


class ChannelName(Answer):
    user_login: str | None
    channel_name: str | None
    first_seen_at: datetime
    last_seen_at: datetime


class ChannelMonth(ChannelMonthFigures):
    month: str = Field(description="YYYY-MM")
    month_start: datetime
    rank: int = Field(description="By hours watched among the platform's channels that month.")


class ChannelGame(Answer):
    game_key: str
    slug: str | None
    name: str | None
    hours_streamed: float
    hours_watched: float
    avg_viewers: float | None
    peak_viewers: int
    days: int = Field(description="Days it streamed the game.")


class Channel(Answer):
    platform: Platform
    channel_id: str
    user_login: str | None
    channel_name: str | None
    language: str | None
    first_seen_at: datetime
    last_seen_at: datetime
    names: list[ChannelName] = Field(description="Every name it had, newest first.")
    months: list[ChannelMonth] = Field(description="Newest first.")
    games: list[ChannelGame] = Field(description="Its games over its months shown, most hours watched first.")


class ChannelPoint(Answer):
    bucket_start: datetime
    avg_viewers: float | None
    peak_viewers: int
    hours_streamed: float
    hours_watched: float
    streams: int
    rank: int
    is_partial: bool


class ChannelSeries(Answer):
    platform: Platform
    channel_id: str
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    resolution: str
    points: list[ChannelPoint] = Field(
        description="The buckets it was live in, oldest first; offline buckets are absent."
    )


class GameChannel(Answer):
    channel_id: str
    user_login: str | None
    channel_name: str | None
    hours_streamed: float
    hours_watched: float
    avg_viewers: float | None
    peak_viewers: int
    share_hours_watched: float | None = Field(description="Of the game's hours watched on the platform in the range.")
    rank: int


class GameChannels(Answer):
    game_key: str
    platform: Platform
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    limit: int
    offset: int
    hours_watched: float = Field(description="The game's hours watched on the platform in the range.")
    items: list[GameChannel]
    total: int = Field(description="Channels that streamed it in the range.")


class LanguageShare(Answer):
    language: str = Field(description="ISO 639-1, or 'unknown' where the platform gives none.")
    hours_watched: float
    channels: int
    share_hours_watched: float | None
    share_channels: float


class LanguagePeriodRow(Answer):
    period_start: datetime
    languages: list[LanguageShare]


class GameLanguages(Answer):
    game_key: str
    platform: Platform
    period: LanguagePeriod
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    periods: list[LanguagePeriodRow]
