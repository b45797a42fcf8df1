"""Monthly tables per platform, as the statistics sites show them: calendar months (UTC) from
gold.platform_months and gold.game_months."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query

from gamestream.core.contracts import Platform
from realtime_api.deps import Answers, Store
from realtime_api.models.months import MonthTable, PlatformMonths
from realtime_api.queries import months as month_reads
from realtime_api.queries.spans import add_months
from realtime_api.queries.vocabulary import DEFAULT_METRIC, MonthMetric

router = APIRouter(prefix="/api/platforms", tags=["months"])
Month = Annotated[
    str, Path(pattern=r"^(19[7-9]\d|[2-8]\d{3})-(0[1-9]|1[0-2])$", description="A calendar month (UTC), e.g. 2016-01.")
]


def month_start(month: str) -> datetime:
    """A path's YYYY-MM as its first instant (UTC)."""
    year, number = (int(part) for part in month.split("-"))
    return datetime(year, number, 1, tzinfo=UTC)


@router.get(
    "/{platform}/months",
    summary="The platform's months in gold, newest first, with its total per month",
    response_model=PlatformMonths,
)
def months(platform: Platform, store: Store, answers: Answers) -> dict[str, Any]:
    rows = answers.get(("platform-months", platform), lambda: month_reads.platform_months(store, platform))
    return {"platform": platform, "months": rows}


@router.get(
    "/{platform}/months/{month}",
    summary="One month's games ranked by a monthly column (average, peak, gain, hours watched, ...)",
    responses={404: {"description": "No data for this platform and month"}},
    response_model=MonthTable,
)
def month_table(
    platform: Platform,
    month: Month,
    store: Store,
    answers: Answers,
    metric: MonthMetric | None = None,
    include_non_games: Annotated[bool, Query(description="Include non-game categories (Just Chatting, ...).")] = False,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    offset: Annotated[int, Query(ge=0, le=10_000)] = 0,
) -> dict[str, Any]:
    start = month_start(month)
    chosen = metric or MonthMetric(DEFAULT_METRIC[platform].value)
    table = answers.get(
        ("month-table", platform, start, chosen, include_non_games, limit, offset),
        lambda: month_reads.month_table(store, platform, start, chosen, include_non_games, limit, offset),
    )
    if table is None:
        raise HTTPException(status_code=404, detail=f"no {platform.value} data in {month}")
    return {
        "platform": platform,
        "metric": chosen,
        "month_start": start,
        "month_end": add_months(start, 1),
        "limit": limit,
        "offset": offset,
        **table,
    }
