"""Games: rankings, search, detail, time series and players vs viewers (gold)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from realtime_api import gold_queries as Q
from realtime_api.deps import Store, invalid
from realtime_api.gold_queries import Metric, Platform, Resolution, Window
from realtime_api.store import as_utc

router = APIRouter(prefix="/api/games", tags=["games"])
PRINTABLE = r"^[^\x00-\x1f\x7f]+$"  # no control characters (PostgreSQL refuses NUL in text)
GameKey = Annotated[
    str, Path(min_length=1, max_length=200, pattern=PRINTABLE, description="The game's normalised key, e.g. 'dota 2'.")
]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=10_000)]
NonGames = Annotated[bool, Query(description="Include non-game categories (Just Chatting, Music, ...).")]
From = Annotated[datetime | None, Query(alias="from", description="ISO time; default: `to` minus 24 hours.")]
To = Annotated[datetime | None, Query(alias="to", description="ISO time; default: the latest loaded bucket's end.")]


@router.get("/top", summary="Games ranked by a metric over a window, with the change vs the window before")
def top(
    store: Store,
    platform: Platform = Platform.TWITCH,
    metric: Metric | None = None,
    window: Window = Window.h24,
    include_non_games: NonGames = False,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    chosen = metric or Q.DEFAULT_METRIC[platform]
    result = Q.ranking(store, platform, chosen, window, include_non_games, limit, offset)
    return {"platform": platform, "metric": chosen, "window": window, "limit": limit, "offset": offset, **result}


@router.get("/search", summary="Find games by name")
def search(
    store: Store,
    q: Annotated[str, Query(min_length=1, max_length=100, pattern=PRINTABLE)],
    include_non_games: NonGames = True,
    limit: Limit = 20,
    offset: Offset = 0,
) -> dict[str, Any]:
    return {"q": q, "limit": limit, "offset": offset, **Q.search(store, q, include_non_games, limit, offset)}


def _known(store: Store, game_key: str) -> dict[str, Any]:
    found = Q.game(store, game_key)
    if found is None:
        raise HTTPException(status_code=404, detail=f"no game with key {game_key!r}")
    return found


@router.get(
    "/{game_key}",
    summary="A game: identity, Steam reviews and its latest hour per platform",
    responses={404: {"description": "Unknown game"}},
)
def game(store: Store, game_key: GameKey) -> dict[str, Any]:
    return _known(store, game_key)


def _range(store: Store, start: datetime | None, end: datetime | None) -> tuple[datetime, datetime]:
    if end is None:
        latest = [Q.latest_bucket(store, p, "5m") for p in Platform]
        known = [t for t in latest if t is not None]
        end = max(known) + timedelta(minutes=5) if known else datetime.now().astimezone()
    end = as_utc(end)
    start = as_utc(start) if start is not None else end - timedelta(hours=24)
    if end <= start:
        raise invalid("to", "must be after from")
    return start, end


def _resolution(resolution: Resolution, start: datetime, end: datetime) -> str:
    bucket = Q.choose_resolution(resolution, start, end)
    points = (end - start).total_seconds() / Q.BUCKET_SECONDS[bucket]
    if points > Q.MAX_POINTS:
        raise invalid(
            "resolution",
            f"{bucket} over this range is {points:.0f} points; at most {Q.MAX_POINTS}: "
            "choose a coarser resolution or a shorter range",
        )
    return bucket


@router.get(
    "/{game_key}/series",
    summary="A game's values per bucket, gaps included",
    responses={404: {"description": "Unknown game"}},
)
def series(
    store: Store,
    game_key: GameKey,
    start: From = None,
    end: To = None,
    resolution: Resolution = Resolution.auto,
    platform: Annotated[list[Platform] | None, Query(description="Platforms (repeat); default all.")] = None,
) -> dict[str, Any]:
    _known(store, game_key)
    first, last = _range(store, start, end)
    bucket = _resolution(resolution, first, last)
    platforms = list(dict.fromkeys(platform)) if platform else list(Platform)
    return {
        "game_key": game_key,
        "from": first,
        "to": last,
        "resolution": bucket,
        "series": Q.series(store, game_key, platforms, first, last, bucket),
    }


@router.get(
    "/{game_key}/players-vs-viewers",
    summary="Steam players beside Twitch and YouTube viewers",
    responses={404: {"description": "Unknown game"}},
)
def players_vs_viewers(
    store: Store, game_key: GameKey, start: From = None, end: To = None, resolution: Resolution = Resolution.auto
) -> dict[str, Any]:
    _known(store, game_key)
    first, last = _range(store, start, end)
    bucket = _resolution(resolution, first, last)
    return {
        "game_key": game_key,
        "from": first,
        "to": last,
        "resolution": bucket,
        "points": Q.players_vs_viewers(store, game_key, first, last, bucket),
    }
