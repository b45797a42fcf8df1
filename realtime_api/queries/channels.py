"""Channels: a platform's month ranked by a channel column, a channel found by id, login or name
(its names now and before), its page (months, games), its series, and a game's channels and
languages over whole UTC days."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from gamestream.core.contracts import Platform
from realtime_api.queries.months import month_label
from realtime_api.queries.spans import month_floor
from realtime_api.queries.vocabulary import MONTH, ChannelMetric, LanguagePeriod
from realtime_api.store import GoldStore

CHANNEL_MONTH_COLUMNS = (
    "hours_watched",
    "hours_streamed",
    "avg_viewers",
    "peak_viewers",
    "streams",
    "games",
    "main_language",
    "is_partial",
)
IDENTITY = "c.channel_id, c.user_login, c.channel_name, c.language, c.first_seen_at, c.last_seen_at"
SUGGESTIONS = 5


def channel_month(
    store: GoldStore,
    platform: Platform,
    month_start: datetime,
    metric: ChannelMetric,
    language: str | None,
    limit: int,
    offset: int,
) -> dict[str, Any] | None:
    """A platform's channels in a calendar month ranked by `metric` (None: no channel that month)."""
    rows = store.rows(
        f"""SELECT m.channel_id, m.user_login, m.channel_name, {", ".join("m." + c for c in CHANNEL_MONTH_COLUMNS)},
                   m.rank AS platform_rank, COUNT(*) OVER () AS total_count
            FROM gold.channel_months m
            WHERE m.platform = :platform AND m.month_start = :month_start
              AND (CAST(:language AS TEXT) IS NULL OR m.main_language = :language)
            ORDER BY m.{metric.value} DESC NULLS LAST, m.channel_id
            LIMIT :limit OFFSET :offset""",
        {
            "platform": platform.value,
            "month_start": month_start,
            "language": language,
            "limit": limit,
            "offset": offset,
        },
    )
    if not rows and offset == 0 and language is None:
        return None
    total = int(rows[0]["total_count"]) if rows else 0
    items = [
        {
            **{k: v for k, v in r.items() if k != "total_count"},
            "rank": offset + i + 1,
            "is_partial": bool(r["is_partial"]),
        }
        for i, r in enumerate(rows)
    ]
    return {"month": month_label(month_start), "items": items, "total": total}


def find_channel(store: GoldStore, platform: Platform, text: str) -> dict[str, Any] | None:
    """The channel `text` names on `platform`: its id, else its login or display name now (any
    case), else a name it had (the most recently held wins)."""
    params = {"platform": platform.value, "text": text, "lower": text.strip().lower()}
    rows = store.rows(
        f"""SELECT {IDENTITY}, 0 AS preference FROM gold.channels c
            WHERE c.platform = :platform AND c.channel_id = :text
            UNION ALL
            SELECT {IDENTITY}, 1 FROM gold.channels c
            WHERE c.platform = :platform AND (lower(c.user_login) = :lower OR lower(c.channel_name) = :lower)
            ORDER BY preference, last_seen_at DESC, channel_id
            LIMIT 1""",
        params,
    )
    if not rows:
        rows = store.rows(
            f"""SELECT {IDENTITY} FROM gold.channels c
                JOIN gold.channel_names n ON n.platform = c.platform AND n.channel_id = c.channel_id
                WHERE c.platform = :platform AND (lower(n.user_login) = :lower OR lower(n.channel_name) = :lower)
                ORDER BY n.last_seen_at DESC, c.channel_id
                LIMIT 1""",
            params,
        )
    if not rows:
        return None
    found = rows[0]
    found.pop("preference", None)
    names = store.rows(
        """SELECT user_login, channel_name, first_seen_at, last_seen_at FROM gold.channel_names
           WHERE platform = :platform AND channel_id = :channel_id ORDER BY last_seen_at DESC""",
        {"platform": platform.value, "channel_id": found["channel_id"]},
    )
    return {**found, "names": names}


def close_channels(store: GoldStore, platform: Platform, text: str) -> list[dict[str, Any]]:
    """Channels whose login or name starts with (else contains) `text`, for a 404's suggestions."""
    lower = text.strip().lower()
    pattern = lower.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return store.rows(
        """SELECT channel_id, user_login, channel_name FROM gold.channels
           WHERE platform = :platform
             AND (lower(user_login) LIKE :contains ESCAPE '\\' OR lower(channel_name) LIKE :contains ESCAPE '\\')
           ORDER BY CASE WHEN lower(user_login) LIKE :prefix ESCAPE '\\'
                          OR lower(channel_name) LIKE :prefix ESCAPE '\\' THEN 0 ELSE 1 END,
                    last_seen_at DESC, channel_id
           LIMIT :limit""",
        {"platform": platform.value, "contains": f"%{pattern}%", "prefix": f"{pattern}%", "limit": SUGGESTIONS},
    )


def channel_months(store: GoldStore, platform: Platform, channel_id: str, limit: int) -> list[dict[str, Any]]:
    rows = store.rows(
        f"""SELECT month_start, {", ".join(CHANNEL_MONTH_COLUMNS)}, rank FROM gold.channel_months
            WHERE platform = :platform AND channel_id = :channel_id
            ORDER BY month_start DESC LIMIT :limit""",
        {"platform": platform.value, "channel_id": channel_id, "limit": limit},
    )
    return [{"month": month_label(r["month_start"]), **r, "is_partial": bool(r["is_partial"])} for r in rows]


def channel_games(
    store: GoldStore, platform: Platform, channel_id: str, start: datetime, end: datetime, limit: int
) -> list[dict[str, Any]]:
    """The games a channel streamed over [start, end) (whole UTC days), most hours watched first."""
    return store.rows(
        """SELECT d.game_key, gm.slug, MAX(d.game_name) AS name, SUM(d.hours_streamed) AS hours_streamed,
                  SUM(d.hours_watched) AS hours_watched,
                  SUM(d.hours_watched) / NULLIF(SUM(d.hours_streamed), 0) AS avg_viewers,
                  MAX(d.peak_viewers) AS peak_viewers, COUNT(*) AS days
           FROM gold.channel_game_days d
           LEFT JOIN gold.games gm ON gm.game_key = d.game_key
           WHERE d.platform = :platform AND d.channel_id = :channel_id
             AND d.day_start >= :start AND d.day_start < :end
           GROUP BY d.game_key, gm.slug
           ORDER BY hours_watched DESC, d.game_key
           LIMIT :limit""",
        {"platform": platform.value, "channel_id": channel_id, "start": start, "end": end, "limit": limit},
    )


def channel_series(
    store: GoldStore, platform: Platform, channel_id: str, start: datetime, end: datetime, bucket: str
) -> list[dict[str, Any]]:
    """The channel's buckets (or months, from the month holding `start`) in [start, end) in which it
    was live, oldest first."""
    if bucket == MONTH:
        start = month_floor(start)
        rows = store.rows(
            """SELECT month_start AS bucket_start, avg_viewers, peak_viewers, hours_streamed, hours_watched, streams,
                      rank, is_partial
               FROM gold.channel_months
               WHERE platform = :platform AND channel_id = :channel_id AND month_start >= :start AND month_start < :end
               ORDER BY month_start""",
            {"platform": platform.value, "channel_id": channel_id, "start": start, "end": end},
        )
    else:
        rows = store.rows(
            """SELECT bucket_start, avg_viewers, peak_viewers, hours_streamed, hours_watched, streams, rank, is_partial
               FROM gold.channel_buckets
               WHERE platform = :platform AND channel_id = :channel_id AND bucket = :bucket
                 AND bucket_start >= :start AND bucket_start < :end
               ORDER BY bucket_start""",
            {"platform": platform.value, "channel_id": channel_id, "bucket": bucket, "start": start, "end": end},
        )
    return [dict(r, is_partial=bool(r["is_partial"])) for r in rows]


def game_channels(
    store: GoldStore, game_key: str, platform: Platform, start: datetime, end: datetime, limit: int, offset: int
) -> dict[str, Any]:
    """The channels that streamed a game over [start, end) (whole UTC days), most hours watched on
    it first, with their share of the game's hours watched there."""
    params = {"platform": platform.value, "game_key": game_key, "start": start, "end": end}
    where = """d.platform = :platform AND d.game_key = :game_key AND d.day_start >= :start AND d.day_start < :end"""
    [totals] = store.rows(
        f"""SELECT SUM(d.hours_watched) AS hours_watched, COUNT(DISTINCT d.channel_id) AS channels
            FROM gold.channel_game_days d WHERE {where}""",
        params,
    )
    rows = store.rows(
        f"""SELECT d.channel_id, MAX(c.user_login) AS user_login, MAX(c.channel_name) AS channel_name,
                   SUM(d.hours_streamed) AS hours_streamed, SUM(d.hours_watched) AS hours_watched,
                   SUM(d.hours_watched) / NULLIF(SUM(d.hours_streamed), 0) AS avg_viewers,
                   MAX(d.peak_viewers) AS peak_viewers
            FROM gold.channel_game_days d
            LEFT JOIN gold.channels c ON c.platform = d.platform AND c.channel_id = d.channel_id
            WHERE {where}
            GROUP BY d.channel_id
            ORDER BY hours_watched DESC, d.channel_id
            LIMIT :limit OFFSET :offset""",
        {**params, "limit": limit, "offset": offset},
    )
    game_hours = totals["hours_watched"] or 0.0
    items = [
        {**r, "rank": offset + i + 1, "share_hours_watched": r["hours_watched"] / game_hours if game_hours else None}
        for i, r in enumerate(rows)
    ]
    return {"hours_watched": game_hours, "total": int(totals["channels"] or 0), "items": items}


def game_languages(
    store: GoldStore, game_key: str, platform: Platform, period: LanguagePeriod, start: datetime, end: datetime
) -> list[dict[str, Any]]:
    """Per day or month in [start, end), the game's languages, most hours watched first."""
    rows = store.rows(
        """SELECT period_start, language, hours_watched, channels, share_hours_watched, share_channels
           FROM gold.game_languages
           WHERE platform = :platform AND game_key = :game_key AND period = :period
             AND period_start >= :start AND period_start < :end
           ORDER BY period_start, hours_watched DESC, language""",
        {"platform": platform.value, "game_key": game_key, "period": period.value, "start": start, "end": end},
    )
    periods: dict[datetime, list[dict[str, Any]]] = {}
    for row in rows:
        periods.setdefault(row.pop("period_start"), []).append(row)
    return [{"period_start": start_, "languages": languages} for start_, languages in periods.items()]
