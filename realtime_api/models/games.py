"""Answers of /api/games: rankings, search, a game's page, its series, months and players vs viewers."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field

from gamestream.core.contracts import Platform
from realtime_api.models.base import Answer
from realtime_api.queries.vocabulary import Metric, Window


class WindowFigures(Answer):
    """A game's time-weighted figures over a window (or a requested range)."""

    avg_viewers: float | None = None
    avg_channels: float | None = None
    avg_players: float | None = None
    peak_viewers: int | None = None
    peak_channels: int | None = None
    peak_players: int | None = None
    hours_watched: float | None = None


class RankedGame(WindowFigures):
    game_key: str
    name: str | None
    is_game: bool
    rank: int
    previous: float | None = Field(description="The metric over the window before.")
    change: float | None = Field(description="The metric minus `previous`.")
    growth: float | None = Field(description="`change` / `previous`, when both windows are covered alike.")


class Ranking(Answer):
    platform: Platform
    metric: Metric
    window: Window | None = Field(description="The trailing window; null when `from`/`to` asked for a range.")
    resolution: str | None = Field(None, description="The buckets a requested range was ranked over (5m, 1h, 1d, 1mo).")
    limit: int
    offset: int
    window_start: datetime | None
    window_end: datetime | None
    items: list[RankedGame]
    total: int = Field(description="Games ranked in all, for paging.")


class FoundGame(Answer):
    game_key: str
    slug: str | None
    name: str
    steam_app_id: int | None
    is_game: bool


class SearchResults(Answer):
    q: str
    limit: int
    offset: int
    items: list[FoundGame]
    total: int


class Reviews(Answer):
    """Steam's review summary of the game's app."""

    review_score: int | None
    review_score_desc: str | None
    total_positive: int | None
    total_negative: int | None
    total_reviews: int | None
    positive_ratio: float | None
    observed_at: datetime | None


class LatestHour(Answer):
    """The game's newest hourly bucket on a platform, with its change vs the hour before and over 4 hours."""

    bucket: str
    bucket_start: datetime
    is_game: bool | None
    avg_viewers: float | None
    peak_viewers: int | None
    hours_watched: float | None
    avg_channels: float | None
    peak_channels: int | None
    avg_viewer_ratio: float | None
    avg_players: float | None
    peak_players: int | None
    players_observed_seconds: float | None
    mature_share: float | None
    top_channel: str | None
    top_channel_viewers: int | None
    views: int | None
    samples: int | None = Field(description="Polls in the hour.")
    coverage: float | None
    is_partial: bool | None
    rank: int | None
    growth: float | None
    change: float | None
    change_4h: float | None
    views_change: int | None


class Game(FoundGame):
    reviews: Reviews | None
    platforms: dict[str, LatestHour] = Field(description="Per platform the game was seen on: its latest hour.")


class SeriesPoint(Answer):
    """One bucket: the game's values where the platform was polled (0 viewers when the game was absent);
    a gap (`gap` true, values null, coverage 0) where it was not, or where Steam never sampled the app."""

    bucket_start: datetime
    gap: bool
    coverage: float | None
    is_partial: bool | None
    covered_seconds: float | None
    observed_seconds: float | None
    avg_viewers: float | None
    peak_viewers: int | None
    hours_watched: float | None
    avg_channels: float | None
    peak_channels: int | None
    avg_players: float | None
    peak_players: int | None
    players_observed_seconds: float | None
    top_channel: str | None
    top_channel_viewers: int | None
    views: int | None
    rank: int | None
    growth: float | None


class GameRange(Answer):
    """A game's buckets over [from, to) at one resolution: what a series and players vs viewers share."""

    game_key: str
    start: datetime = Field(alias="from")
    end: datetime = Field(alias="to")
    resolution: str


class Series(GameRange):
    series: dict[str, list[SeriesPoint]] = Field(description="Per platform, one point per bucket in [from, to).")


class PlayersVsViewersPoint(Answer):
    bucket_start: datetime
    avg_players: float | None
    peak_players: int | None
    twitch_avg_viewers: float | None
    twitch_peak_viewers: int | None
    youtube_avg_viewers: float | None
    viewers_per_player: float | None
    steam_coverage: float | None
    twitch_coverage: float | None


class PlayersVsViewers(GameRange):
    points: list[PlayersVsViewersPoint]


class MonthFigures(Answer):
    """A game's calendar month (UTC) on a platform, as the statistics sites show it."""

    avg_viewers: float | None
    peak_viewers: int | None
    gain: float | None
    growth: float | None
    hours_watched: float | None
    avg_channels: float | None
    peak_channels: int | None
    avg_viewer_ratio: float | None
    avg_players: float | None
    peak_players: int | None
    coverage: float | None
    is_partial: bool


class GameMonth(MonthFigures):
    month: str = Field(description="YYYY-MM")
    month_start: datetime
    rank: int | None = Field(description="Among every category of the platform's month.")


class GameMonths(Answer):
    game_key: str
    slug: str | None
    name: str
    months: dict[str, list[GameMonth]] = Field(description="Per platform, newest first.")
