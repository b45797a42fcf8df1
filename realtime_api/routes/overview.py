"""Overview per platform: live totals and top games now (Redis) beside the latest hour and the last
hour's 5-minute totals (gold)."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from gamestream.core.contracts import Platform
from realtime_api.deps import Answers, Feed, Games, Store
from realtime_api.models.overview import Overview, PlatformOverview
from realtime_api.queries import overview as overview_reads

router = APIRouter(prefix="/api", tags=["overview"])
RECENT = timedelta(hours=1)  # the span of each platform's recent totals (5-minute gold buckets)
NonGames = Annotated[bool, Query(description="Include non-game categories (Just Chatting, Music, ...).")]


async def _overview(
    store: Store,
    answers: Answers,
    feed: Feed,
    platform: Platform,
    include_non_games: bool,
    limit: int,
    non_games: frozenset[str],
) -> tuple[dict[str, Any], set[str]]:
    """The platform's overview, and the live games flagged as no games (for the list clients filter by)."""
    live = await feed.snapshot([platform.value], limit * 3)
    hour, recent = await run_in_threadpool(
        answers.get,
        ("overview", platform, include_non_games, limit),
        lambda: overview_reads.platform_overview(store, platform, include_non_games, limit, RECENT),
    )
    now = live["platforms"].get(platform.value, {"total": None, "observed_at": None, "games": []})
    games = [g for g in now.get("games", []) if include_non_games or is_game(g, non_games)][:limit]
    flagged = {g["game"] for g in now.get("games", []) if not g.get("is_game", True)}
    return {
        "platform": platform,
        "live": {**now, "games": games, "position": live["position"]},
        "last_hour": hour,
        "recent": recent,
    }, flagged


def is_game(live: dict[str, Any], non_games: frozenset[str]) -> bool:
    """Gold's list of non-games, or the live state's own flag (set from a game's first poll, before gold
    has the game)."""
    return live.get("is_game", True) and live["game"] not in non_games


@router.get(
    "/overview", summary="Every platform's live totals, top 10 now and the latest hour", response_model=Overview
)
async def overview(
    store: Store,
    answers: Answers,
    feed: Feed,
    games: Games,
    include_non_games: NonGames = False,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    non_games = await run_in_threadpool(games.non_games)  # read once for every platform
    overviews = [await _overview(store, answers, feed, p, include_non_games, limit, non_games) for p in Platform]
    flagged = set().union(*(live for _, live in overviews))
    # for clients that filter the live feed
    return {"platforms": [o for o, _ in overviews], "non_games": sorted(non_games | flagged)}


@router.get(
    "/platforms/{platform}/overview",
    summary="One platform's live totals, top games now and the latest hour",
    response_model=PlatformOverview,
)
async def platform_overview(
    platform: Platform,
    store: Store,
    answers: Answers,
    feed: Feed,
    games: Games,
    include_non_games: NonGames = False,
    limit: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    non_games = await run_in_threadpool(games.non_games)
    return (await _overview(store, answers, feed, platform, include_non_games, limit, non_games))[0]
