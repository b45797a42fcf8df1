"""Calendar months as the statistics sites show them: a platform's months, one month's games
ranked by a monthly column, and a game's months."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from gamestream.core.clock import as_utc
from gamestream.core.contracts import Platform
from realtime_api.queries.rankings import game_row
from realtime_api.queries.vocabulary import MonthMetric
from realtime_api.store import GoldStore

MONTH_COLUMNS = (
    "avg_viewers",
    "peak_viewers",
    "gain",
    "growth",
    "hours_watched",
    "avg_channels",
    "peak_channels",
    "avg_viewer_ratio",
    "avg_players",
    "peak_players",
    "coverage",
    "is_partial",
)
PLATFORM_MONTH_COLUMNS = (
    "month_start",
    "month_end",
    "avg_total",
    "peak_total",
    "gain",
    "growth",
    "hours_watched",
    "games",
    "coverage",
    "covered_seconds",
    "observed_seconds",
    "is_partial",
)


def month_label(month_start: datetime) -> str:
    return as_utc(month_start).strftime("%Y-%m")


def platform_months(store: GoldStore, platform: Platform) -> list[dict[str, Any]]:
    """The platform's months in gold, newest first, with its total's monthly figures."""
    rows = store.rows(
        f"""SELECT {", ".join(PLATFORM_MONTH_COLUMNS)} FROM gold.platform_months WHERE platform = :platform
            ORDER BY month_start DESC""",
        {"platform": platform.value},
    )
    return [{"month": month_label(r["month_start"]), **r, "is_partial": bool(r["is_partial"])} for r in rows]


def month_table(
    store: GoldStore,
    platform: Platform,
    month_start: datetime,
    metric: MonthMetric,
    include_non_games: bool,
    limit: int,
    offset: int,
) -> dict[str, Any] | None:
    """One platform's month as the statistics sites show it: games ranked by `metric`, with the
    monthly columns; None when gold holds no such month for the platform."""
    summary = store.rows(
        f"""SELECT {", ".join(PLATFORM_MONTH_COLUMNS)} FROM gold.platform_months
            WHERE platform = :platform AND month_start = :month_start""",
        {"platform": platform.value, "month_start": month_start},
    )
    if not summary:
        return None
    rows = store.rows(
        f"""SELECT m.game_key, gm.slug, m.game_name AS name, m.is_game, {", ".join("m." + c for c in MONTH_COLUMNS)},
                   m.rank AS platform_rank, COUNT(*) OVER () AS total_count
            FROM gold.game_months m
            LEFT JOIN gold.games gm ON gm.game_key = m.game_key
            WHERE m.platform = :platform AND m.month_start = :month_start AND (m.is_game OR :include_non_games)
            ORDER BY m.{metric.value} DESC NULLS LAST, m.game_key
            LIMIT :limit OFFSET :offset""",
        {
            "platform": platform.value,
            "month_start": month_start,
            "include_non_games": include_non_games,
            "limit": limit,
            "offset": offset,
        },
    )
    total = int(rows[0]["total_count"]) if rows else 0
    items = [dict(game_row(r, offset + i + 1), is_partial=bool(r["is_partial"])) for i, r in enumerate(rows)]
    month = dict(summary[0], is_partial=bool(summary[0]["is_partial"]))
    return {"month": month_label(month_start), "summary": month, "items": items, "total": total}


def game_months(store: GoldStore, game_key: str, platforms: list[Platform], limit: int) -> dict[str, list[dict]]:
    """Per platform, the game's months newest first (at most `limit` each), with the monthly columns
    and its rank among every category of the platform's month."""
    query = sa.text(
        f"""SELECT platform, month_start, {", ".join(MONTH_COLUMNS)}, rank FROM gold.game_months
            WHERE game_key = :game_key AND platform IN :platforms
            ORDER BY platform, month_start DESC"""
    ).bindparams(sa.bindparam("platforms", expanding=True))
    rows = store.rows(query, {"game_key": game_key, "platforms": [p.value for p in platforms]})
    out: dict[str, list[dict]] = {p.value: [] for p in platforms}
    for row in rows:
        line = out[row.pop("platform")]
        if len(line) < limit:
            line.append({"month": month_label(row["month_start"]), **row, "is_partial": bool(row["is_partial"])})
    return out
