"""The API's vocabulary of gold: bucket sizes, the enums a request may name (tables and columns
come only from these, never from a request), the trailing windows and which table holds a game's
own buckets."""

from __future__ import annotations

from enum import StrEnum

from gamestream.core.contracts import Platform
from realtime_api.store import GoldStore

MONTH = "1mo"  # calendar months (UTC): gold.game_months and gold.platform_months
MONTH_SECONDS = 2_629_746  # an average Gregorian month, for counting points only


class Metric(StrEnum):
    avg_viewers = "avg_viewers"
    peak_viewers = "peak_viewers"
    hours_watched = "hours_watched"
    avg_channels = "avg_channels"
    peak_channels = "peak_channels"
    avg_players = "avg_players"
    peak_players = "peak_players"


class Window(StrEnum):
    now = "now"
    h24 = "24h"
    d7 = "7d"
    d30 = "30d"


class MoverWindow(StrEnum):
    h1 = "1h"
    h24 = "24h"
    d7 = "7d"


class Resolution(StrEnum):
    auto = "auto"
    m5 = "5m"
    h1 = "1h"
    d1 = "1d"
    mo1 = "1mo"


class MonthMetric(StrEnum):
    avg_viewers = "avg_viewers"
    peak_viewers = "peak_viewers"
    hours_watched = "hours_watched"
    avg_channels = "avg_channels"
    peak_channels = "peak_channels"
    avg_viewer_ratio = "avg_viewer_ratio"
    avg_players = "avg_players"
    peak_players = "peak_players"
    gain = "gain"
    growth = "growth"


class ChannelMetric(StrEnum):
    hours_watched = "hours_watched"
    hours_streamed = "hours_streamed"
    avg_viewers = "avg_viewers"
    peak_viewers = "peak_viewers"
    streams = "streams"
    games = "games"


class LanguagePeriod(StrEnum):
    d1 = "1d"
    mo1 = "1mo"


class Direction(StrEnum):
    risers = "risers"
    fallers = "fallers"


WINDOWS = {
    Window.now: ("5m", 300),
    Window.h24: ("1h", 86400),
    Window.d7: ("1h", 7 * 86400),
    Window.d30: ("1d", 30 * 86400),
}
MOVER_WINDOWS = {MoverWindow.h1: ("5m", 3600), MoverWindow.h24: ("1h", 86400), MoverWindow.d7: ("1h", 7 * 86400)}
DEFAULT_METRIC = {
    Platform.STEAM: Metric.avg_players,
    Platform.TWITCH: Metric.avg_viewers,
    Platform.YOUTUBE: Metric.avg_viewers,
}
AVERAGED = ("avg_viewers", "avg_channels", "avg_players")  # time-weighted over the window
ZERO_FILLED = ("avg_viewers", "avg_channels")  # a game absent from a covered bucket counts 0 (players: a gap)
PEAKS = ("peak_viewers", "peak_channels", "peak_players")
MAX_POINTS = 5000


def per_game(store: GoldStore) -> str:
    """The table a game's own buckets are read from (the same rows on every warehouse)."""
    return "gold.game_series" if store.kind == "duckdb" else "gold.game_buckets"
