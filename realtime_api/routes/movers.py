"""Movers: the games that rose or fell most over a window (or any from/to) vs the window before."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from gamestream.core.contracts import Platform
from realtime_api.deps import Answers, Store
from realtime_api.models.movers import Movers
from realtime_api.queries import rankings
from realtime_api.queries.vocabulary import MOVER_WINDOWS, Direction, MoverWindow
from realtime_api.routes.games import RangeFrom, RangeTo, requested_span

router = APIRouter(prefix="/api", tags=["movers"])


@router.get(
    "/movers",
    summary="Biggest risers or fallers (absolute change of the average), with growth",
    response_model=Movers,
)
def movers(
    store: Store,
    answers: Answers,
    platform: Platform = Platform.TWITCH,
    window: MoverWindow = MoverWindow.h24,
    direction: Direction = Direction.risers,
    include_non_games: bool = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    start: RangeFrom = None,
    end: RangeTo = None,
) -> dict[str, Any]:
    span = requested_span(start, end, MOVER_WINDOWS[window][1])
    # a trailing window (span None) is precomputed in gold.game_windows, a range is grouped from buckets
    result = answers.get(
        ("movers", platform, window if span is None else span, direction, include_non_games, limit),
        lambda: rankings.movers(store, platform, window, direction, include_non_games, limit, span),
    )
    shown: dict[str, Any] = {"window": window} if span is None else {"window": None, "resolution": span.bucket}
    return {"platform": platform, **shown, "direction": direction, **result}
