"""Channels: a platform's channels in a month ranked by a monthly column, a channel's page and
series, and a game's channels and languages over whole UTC days. A channel is addressed by its
platform id, its login or its display name (now or before, any case); an unknown one gets a 404
with suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from gamestream.core.clock import as_utc
from gamestream.core.contracts import Platform
from realtime_api.deps import CHANNEL_NOT_FOUND, NOT_FOUND, Answers, Games, Store, UnknownChannel, invalid
from realtime_api.models.channels import Channel, ChannelMonthTable, ChannelSeries, GameChannels, GameLanguages
from realtime_api.queries import channels as channel_reads
from realtime_api.queries.spans import add_months, month_floor
from realtime_api.queries.vocabulary import ChannelMetric, LanguagePeriod, Resolution
from realtime_api.routes.games import (
    PRINTABLE,
    GameKey,
    Limit,
    Offset,
    in_years,
    known_game,
    series_range,
    series_resolution,
)
from realtime_api.routes.months import Month, month_start

router = APIRouter(prefix="/api", tags=["channels"])
ChannelRef = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=PRINTABLE,
        description="The channel's platform id (Twitch user id, YouTube channel id), its login or its display "
        "name, now or one it had, in any case.",
    ),
]
WatchedPlatform = Annotated[Platform, Query(description="twitch or youtube (Steam has no channels).")]
DayFrom = Annotated[
    datetime | None,
    Query(alias="from", description="ISO date or time (UTC when no offset), rounded down to its UTC day."),
]
DayTo = Annotated[
    datetime | None,
    Query(alias="to", description="ISO date or time, rounded up to a UTC day; default: the end of today (UTC)."),
]
MAX_RANGE_DAYS = 366
LANGUAGE = r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$|^unknown$"


def _watched(platform: Platform, where: str = "query") -> Platform:
    if platform is Platform.STEAM:
        raise invalid("platform", "Steam has no channels: twitch or youtube", where)
    return platform


def _channel(store: Store, platform: Platform, text: str) -> dict[str, Any]:
    found = channel_reads.find_channel(store, platform, text)
    if found is None:
        raise UnknownChannel(platform.value, text, channel_reads.close_channels(store, platform, text))
    return found


def _day(value: datetime) -> datetime:
    return value.replace(hour=0, minute=0, second=0, microsecond=0)


def whole_days(start: datetime | None, end: datetime | None, default_days: int) -> tuple[datetime, datetime]:
    """[from, to) rounded out to whole UTC days, at most a year; a 422 naming the parameter."""
    last = in_years("to", as_utc(end)) if end is not None else datetime.now(UTC)
    last = _day(last) + (timedelta(days=1) if last != _day(last) else timedelta())
    first = _day(in_years("from", as_utc(start))) if start is not None else last - timedelta(days=default_days)
    if last <= first:
        raise invalid("to", "must be after from")
    if last - first > timedelta(days=MAX_RANGE_DAYS):
        raise invalid("from", f"a range is at most {MAX_RANGE_DAYS} days")
    return first, last


@router.get(
    "/platforms/{platform}/channels/{month}",
    summary="One month's channels ranked by a monthly column (hours watched, average viewers, ...)",
    responses={404: {"description": "No channel data for this platform and month"}},
    response_model=ChannelMonthTable,
)
def channel_month(
    platform: Platform,
    month: Month,
    store: Store,
    answers: Answers,
    metric: ChannelMetric = ChannelMetric.hours_watched,
    language: Annotated[
        str | None, Query(pattern=LANGUAGE, description="Only channels of this main language (ISO 639-1).")
    ] = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> dict[str, Any]:
    _watched(platform, "path")
    start = month_start(month)
    table = answers.get(
        ("channel-month", platform, start, metric, language, limit, offset),
        lambda: channel_reads.channel_month(store, platform, start, metric, language, limit, offset),
    )
    if table is None:
        raise HTTPException(status_code=404, detail=f"no {platform.value} channels in {month}")
    return {
        "platform": platform,
        "metric": metric,
        "language": language,
        "month_start": start,
        "month_end": add_months(start, 1),
        "limit": limit,
        "offset": offset,
        **table,
    }


@router.get(
    "/channels/{platform}/{channel}",
    summary="A channel: its names, its months and the games it streamed in them",
    responses=CHANNEL_NOT_FOUND,
    response_model=Channel,
)
def channel(
    platform: Platform,
    channel: ChannelRef,
    store: Store,
    months: Annotated[int, Query(ge=1, le=120, description="At most this many months, newest first.")] = 12,
    games: Annotated[int, Query(ge=1, le=100, description="At most this many games.")] = 20,
) -> dict[str, Any]:
    found = _channel(store, _watched(platform, "path"), channel)
    rows = channel_reads.channel_months(store, platform, found["channel_id"], months)
    played: list[dict[str, Any]] = []
    if rows:
        first, last = rows[-1]["month_start"], add_months(month_floor(rows[0]["month_start"]), 1)
        played = channel_reads.channel_games(store, platform, found["channel_id"], first, last, games)
    return {"platform": platform, **found, "months": rows, "games": played}


@router.get(
    "/channels/{platform}/{channel}/series",
    summary="A channel's values per bucket it was live in (5m, 1h, 1d) or per month",
    responses=CHANNEL_NOT_FOUND,
    response_model=ChannelSeries,
)
def channel_series(
    platform: Platform,
    channel: ChannelRef,
    store: Store,
    start: Annotated[
        datetime | None, Query(alias="from", description="ISO time; default: `to` minus 24 hours.")
    ] = None,
    end: Annotated[
        datetime | None, Query(alias="to", description="ISO time; default: the latest bucket's end.")
    ] = None,
    resolution: Resolution = Resolution.auto,
) -> dict[str, Any]:
    found = _channel(store, _watched(platform, "path"), channel)
    first, last = series_range(store, start, end)
    bucket = series_resolution(resolution, first, last)
    points = channel_reads.channel_series(store, platform, found["channel_id"], first, last, bucket)
    return {
        "platform": platform,
        "channel_id": found["channel_id"],
        "from": first,
        "to": last,
        "resolution": bucket,
        "points": points,
    }


@router.get(
    "/games/{game_key}/channels",
    summary="The channels that streamed a game over whole UTC days, most hours watched first",
    responses=NOT_FOUND,
    response_model=GameChannels,
)
def game_channels(
    store: Store,
    answers: Answers,
    games: Games,
    game_key: GameKey,
    platform: WatchedPlatform = Platform.TWITCH,
    start: DayFrom = None,
    end: DayTo = None,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    _watched(platform)
    key = known_game(games, game_key)["game_key"]
    first, last = whole_days(start, end, 30)
    found = answers.get(
        ("game-channels", key, platform, first, last, limit, offset),
        lambda: channel_reads.game_channels(store, key, platform, first, last, limit, offset),
    )
    return {"game_key": key, "platform": platform, "from": first, "to": last, "limit": limit, "offset": offset, **found}


@router.get(
    "/games/{game_key}/languages",
    summary="A game's audience by language per UTC day or calendar month",
    responses=NOT_FOUND,
    response_model=GameLanguages,
)
def game_languages(
    store: Store,
    answers: Answers,
    games: Games,
    game_key: GameKey,
    platform: WatchedPlatform = Platform.TWITCH,
    period: LanguagePeriod = LanguagePeriod.d1,
    start: DayFrom = None,
    end: DayTo = None,
) -> dict[str, Any]:
    _watched(platform)
    key = known_game(games, game_key)["game_key"]
    first, last = whole_days(start, end, 30 if period is LanguagePeriod.d1 else MAX_RANGE_DAYS)
    if period is LanguagePeriod.mo1:
        first = month_floor(first)
    periods = answers.get(
        ("game-languages", key, platform, period, first, last),
        lambda: channel_reads.game_languages(store, key, platform, period, first, last),
    )
    return {"game_key": key, "platform": platform, "period": period, "from": first, "to": last, "periods": periods}
