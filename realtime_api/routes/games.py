"""Games: rankings, search, detail, time series, months and players vs viewers (gold). A game is
addressed by its key, its slug or its name as people write it; an unknown one gets a 404 with
suggestions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from gamestream.core.clock import as_utc
from gamestream.core.contracts import Platform
from gamestream.core.gold_vocabulary import BUCKET_SECONDS
from realtime_api.deps import NOT_FOUND, Answers, Games, Store, UnknownGame, invalid
from realtime_api.json_response import FastJSONResponse
from realtime_api.models.games import Game, GameMonths, PlayersVsViewers, Ranking, SearchResults, Series
from realtime_api.queries import games as game_reads
from realtime_api.queries import series as series_reads
from realtime_api.queries.freshness import latest_bucket_of_any
from realtime_api.queries.months import game_months
from realtime_api.queries.rankings import ranking
from realtime_api.queries.spans import Span, choose_resolution, end_aligned_with, plan_span
from realtime_api.queries.vocabulary import (
    DEFAULT_METRIC,
    MAX_POINTS,
    MONTH,
    MONTH_SECONDS,
    WINDOWS,
    Metric,
    Resolution,
    Window,
)

router = APIRouter(prefix="/api/games", tags=["games"])
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL in text)
FIRST_YEAR, LAST_YEAR = 1970, 9000
GameKey = Annotated[
    str,
    Path(
        min_length=1,
        max_length=200,
        pattern=PRINTABLE,
        description="The game's slug ('counter-strike-2'), key ('counter strike 2') or name in any case and "
        "punctuation ('Counter-Strike 2').",
    ),
]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
NonGames = Annotated[bool, Query(description="Include non-game categories (Just Chatting, Music, ...).")]
From = Annotated[datetime | None, Query(alias="from", description="ISO time; default: `to` minus 24 hours.")]
To = Annotated[datetime | None, Query(alias="to", description="ISO time; default: the latest loaded bucket's end.")]
RangeFrom = Annotated[
    datetime | None,
    Query(
        alias="from",
        description="ISO time or date (UTC when no offset): rank over [from, to) instead of the trailing `window`; "
        "rounded out to whole 5 minutes, at most 366 days. Default with `to`: `to` minus the window's span.",
    ),
]
RangeTo = Annotated[
    datetime | None,
    Query(alias="to", description="ISO time or date; with `from`, the end of the range (default: now)."),
]


def in_years(parameter: str, value: datetime) -> datetime:
    """Times gold can hold (and month arithmetic can move by a year either way), else a 422."""
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise invalid(parameter, f"must lie in the years {FIRST_YEAR} to {LAST_YEAR}")
    return value


def requested_span(start: datetime | None, end: datetime | None, span_seconds: int) -> Span | None:
    """The span a ranking's from/to ask for (None: the trailing window), or a 422 naming the parameter."""
    if start is None and end is None:
        return None
    if end is None and start is not None:
        first = in_years("from", as_utc(start))
        last = end_aligned_with(first, datetime.now(UTC))
    else:
        last = in_years("to", as_utc(end)) if end is not None else datetime.now(UTC)
        first = in_years("from", as_utc(start) if start is not None else last - timedelta(seconds=span_seconds))
    if last <= first:
        raise invalid("to", "must be after from")
    try:
        return plan_span(first, last)
    except ValueError as exc:
        raise invalid("from", str(exc)) from None


@router.get(
    "/top",
    summary="Games ranked by a metric over a window, with the change vs the window before",
    response_model=Ranking,
)
def top(
    store: Store,
    answers: Answers,
    platform: Platform = Platform.TWITCH,
    metric: Metric | None = None,
    window: Window = Window.h24,
    include_non_games: NonGames = False,
    limit: Limit = 20,
    offset: Offset = 0,
    start: RangeFrom = None,
    end: RangeTo = None,
) -> dict[str, Any]:
    span = requested_span(start, end, WINDOWS[window][1])
    chosen = metric or DEFAULT_METRIC[platform]
    # a trailing window (span None) is precomputed in gold.game_windows, a range is grouped from buckets
    result = answers.get(
        ("top", platform, chosen, window if span is None else span, include_non_games, limit, offset),
        lambda: ranking(store, platform, chosen, window, include_non_games, limit, offset, span),
    )
    shown: dict[str, Any] = {"window": window} if span is None else {"window": None, "resolution": span.bucket}
    return {"platform": platform, "metric": chosen, **shown, "limit": limit, "offset": offset, **result}


@router.get("/search", summary="Find games by name", response_model=SearchResults)
def search(
    store: Store,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=PRINTABLE)],
    include_non_games: NonGames = True,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    return {"q": q, "limit": limit, "offset": offset, **game_reads.search(store, q, include_non_games, limit, offset)}


def known_game(games: Games, text: str) -> dict[str, Any]:
    """The game a path names (by key, slug or name): game_key, slug, name; or UnknownGame with close
    matches."""
    found = games.resolve(text)
    if found is None:
        raise UnknownGame(text, games.close_matches(text))
    return found


@router.get(
    "/{game_key}",
    summary="A game: identity, Steam reviews and its latest hour per platform",
    responses=NOT_FOUND,
    response_model=Game,
)
def game(store: Store, answers: Answers, games: Games, game_key: GameKey) -> dict[str, Any]:
    key = known_game(games, game_key)["game_key"]
    found = answers.get(("game", key), lambda: game_reads.game(store, key))
    if found is None:  # gone between the two reads (a rebuild)
        raise UnknownGame(game_key, [])
    return found


def series_range(store: Store, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    if end is None:
        latest = latest_bucket_of_any(store, "5m")
        end = latest + timedelta(minutes=5) if latest is not None else datetime.now().astimezone()
    end = in_years("to", as_utc(end))
    start = in_years("from", as_utc(start) if start is not None else end - timedelta(hours=24))
    if end <= start:
        raise invalid("to", "must be after from")
    return start, end


def series_resolution(resolution: Resolution, start: datetime, end: datetime) -> str:
    bucket = choose_resolution(resolution, start, end)
    points = (end - start).total_seconds() / (BUCKET_SECONDS.get(bucket) or MONTH_SECONDS)
    if points > MAX_POINTS:
        raise invalid(
            "resolution",
            f"{bucket} over this range is {points:.0f} points; at most {MAX_POINTS}: "
            "choose a coarser resolution or a shorter range",
        )
    return bucket


@router.get(
    "/{game_key}/series",
    summary="A game's values per bucket, gaps included",
    responses=NOT_FOUND,
    response_model=Series,  # documents the answer; the route writes it with orjson itself
)
def series(
    store: Store,
    games: Games,
    game_key: GameKey,
    start: From = None,
    end: To = None,
    resolution: Resolution = Resolution.auto,
    platform: Annotated[list[Platform] | None, Query(description="Platforms (repeat); default all.")] = None,
) -> FastJSONResponse:  # up to thousands of points: written by orjson
    key = known_game(games, game_key)["game_key"]
    first, last = series_range(store, start, end)
    bucket = series_resolution(resolution, first, last)
    platforms = list(dict.fromkeys(platform)) if platform else list(Platform)
    return FastJSONResponse(
        {
            "game_key": key,
            "from": first,
            "to": last,
            "resolution": bucket,
            "series": series_reads.series(store, key, platforms, first, last, bucket),
        }
    )


@router.get(
    "/{game_key}/players-vs-viewers",
    summary="Steam players beside Twitch and YouTube viewers",
    responses=NOT_FOUND,
    response_model=PlayersVsViewers,
)
def players_vs_viewers(
    store: Store,
    games: Games,
    game_key: GameKey,
    start: From = None,
    end: To = None,
    resolution: Resolution = Resolution.auto,
) -> dict[str, Any]:
    key = known_game(games, game_key)["game_key"]
    first, last = series_range(store, start, end)
    bucket = series_resolution(resolution, first, last)
    if bucket == MONTH:
        raise invalid("resolution", "players vs viewers come in 5m, 1h or 1d buckets")
    return {
        "game_key": key,
        "from": first,
        "to": last,
        "resolution": bucket,
        "points": series_reads.players_vs_viewers(store, key, first, last, bucket),
    }


@router.get(
    "/{game_key}/months",
    summary="A game's calendar months (UTC) per platform, newest first, with the monthly columns",
    responses=NOT_FOUND,
    response_model=GameMonths,
)
def months(
    store: Store,
    answers: Answers,
    games: Games,
    game_key: GameKey,
    platform: Annotated[list[Platform] | None, Query(description="Platforms (repeat); default all.")] = None,
    limit: Annotated[int, Query(ge=1, le=600, description="At most this many months per platform.")] = 120,
) -> dict[str, Any]:
    found = known_game(games, game_key)
    platforms = tuple(dict.fromkeys(platform)) if platform else tuple(Platform)
    rows = answers.get(
        ("game-months", found["game_key"], platforms, limit),
        lambda: game_months(store, found["game_key"], list(platforms), limit),
    )
    return {"game_key": found["game_key"], "slug": found["slug"], "name": found["name"], "months": rows}
