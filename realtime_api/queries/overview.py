"""The home page's gold part per platform: the latest hour's total and top games, and the recent
5-minute totals the live feed then extends."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import sqlalchemy as sa

from gamestream.core.clock import as_utc
from gamestream.core.contracts import Platform
from realtime_api.store import GoldStore


def platform_overview(
    store: GoldStore, platform: Platform, include_non_games: bool, limit: int, recent: timedelta
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The overview's gold part: the latest hour's summary and the recent 5-minute totals."""
    return platform_summary(store, platform, include_non_games, limit), recent_totals(store, platform, recent)


def platform_summary(store: GoldStore, platform: Platform, include_non_games: bool, limit: int = 10) -> dict[str, Any]:
    """The home page's summary per platform, from gold: the platform's latest hourly bucket's total and
    top games with their change and their change over 4 hours, and their growth over the latest
    complete hour (growth_hour): the hour in progress is covered too little to compare with a whole
    one, so its own growth is mostly empty."""
    total = store.rows(
        """SELECT p.bucket_start, p.avg_total, p.peak_total, p.hours_watched, p.games, p.coverage, p.is_partial,
                  h.complete AS growth_hour
           FROM gold.platform_buckets p
           JOIN (SELECT MAX(bucket_start) AS latest,
                        MAX(CASE WHEN is_partial THEN NULL ELSE bucket_start END) AS complete
                 FROM gold.platform_buckets WHERE platform = :platform AND bucket = '1h') h
             ON p.bucket_start = h.latest
           WHERE p.platform = :platform AND p.bucket = '1h'""",
        {"platform": platform.value},
    )
    if not total:
        return {"bucket_start": None, "growth_hour": None, "total": None, "games": []}
    latest = total[0].pop("bucket_start")
    growth_hour = total[0].pop("growth_hour")
    value = "COALESCE(g.avg_viewers, g.avg_players)"
    games = store.rows(  # the top games first (the newest hour's rows are its games'), then their names
        f"""SELECT g.game_key, g.game_name AS name, g.is_game, {value} AS value,
                  g.peak_viewers, g.peak_players, g.hours_watched, g.change, g.growth, g.change_4h, g.top_channel,
                  g.top_channel_viewers, g.views, g.views_change, g.mature_share, r.review_score, r.positive_ratio
           FROM (SELECT * FROM gold.game_latest_hours g
                 WHERE g.platform = :platform AND g.bucket_start = :latest AND (g.is_game OR :include_non_games)
                 ORDER BY {value} DESC NULLS LAST, g.game_key LIMIT :limit) g
           LEFT JOIN gold.games gm ON gm.game_key = g.game_key
           LEFT JOIN gold.game_reviews r ON r.app_id = gm.steam_app_id
           ORDER BY {value} DESC NULLS LAST, g.game_key""",
        {"platform": platform.value, "latest": latest, "include_non_games": include_non_games, "limit": limit},
    )
    if growth_hour is not None and growth_hour != latest and games:
        grown = dict(
            (r["game_key"], r["growth"])
            for r in store.rows(
                sa.text(
                    """SELECT game_key, growth FROM gold.game_buckets
                       WHERE platform = :platform AND bucket = '1h' AND bucket_start = :hour AND game_key IN :keys"""
                ).bindparams(sa.bindparam("keys", expanding=True)),
                {"platform": platform.value, "hour": growth_hour, "keys": [g["game_key"] for g in games]},
            )
        )
        games = [dict(g, growth=grown.get(g["game_key"])) for g in games]
    return {
        "bucket_start": as_utc(latest),
        "growth_hour": as_utc(growth_hour) if growth_hour is not None else None,
        "total": total[0],
        "games": [dict(g, is_game=bool(g["is_game"])) for g in games],
    }


def recent_totals(store: GoldStore, platform: Platform, span: timedelta) -> list[dict[str, Any]]:
    """The platform's total per 5-minute bucket over the `span` that ends with its latest 5-minute
    bucket (the home page's last-hour chart, which the live feed's totals then extend)."""
    since = f"INTERVAL '{int(span.total_seconds())} seconds'"  # the code's own span: a literal every warehouse reads
    return store.rows(
        f"""SELECT bucket_start, avg_total, peak_total, coverage FROM gold.platform_buckets
            WHERE platform = :platform AND bucket = '5m'
              AND bucket_start > (SELECT MAX(bucket_start) FROM gold.platform_buckets
                                  WHERE platform = :platform AND bucket = '5m') - {since}
            ORDER BY bucket_start""",
        {"platform": platform.value},
    )
