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
    """A platform's channels in a calendar month ranked by `metric` (None: no channel that month). The
    page is chosen from the ranked column and the id alone, and its rows read after: sorting whole
    rows of 100,000 channels took twice as long."""
    where = """m.platform = :platform AND m.month_start = :month_start
               AND (CAST(:language AS TEXT) IS NULL OR m.main_language = :language)"""
    params = {"platform": platform.value, "month_start": month_start, "language": language}
    [counted] = store.rows(f"SELECT COUNT(*) AS total_count FROM gold.channel_months m WHERE {where}", params)
    rows = store.rows(
        f"""WITH page AS (
                SELECT m.channel_id, m.{metric.value} AS sort_value FROM gold.channel_months m WHERE {where}
                ORDER BY m.{metric.value} DESC NULLS LAST, m.channel_id
                LIMIT :limit OFFSET :offset
            )
            SELECT m.channel_id, m.user_login, m.channel_name, {", ".join("m." + c for c in CHANNEL_MONTH_COLUMNS)},
                   m.rank AS platform_rank
            FROM page p
            JOIN gold.channel_months m
              ON m.platform = :platform AND m.month_start = :month_start AND m.channel_id = p.channel_id
            ORDER BY p.sort_value DESC NULLS LAST, p.channel_id""",
        {**params, "limit": limit, "offset": offset},
    )
    if not rows and offset == 0 and language is None:
        return None
    total = int(counted["total_count"])
    items = [
        {
            **r,
            "rank": offset + i + 1,
            "is_partial": bool(r["is_partial"]),
        }
        for i, r in enumerate(rows)
    ]
    return {"month": month_label(month_start), "items": items, "total": total}


def find_channel(store: GoldStore, platform: Platform, text: str) -> dict[str, Any] | None:
    """The channel `text` names on `platform`: its id, else its login now (any case), else its
    display name now, else a name it had (the most recently held wins). One equality a read, each
    answered from an index (DuckDB's lookup indexes, PostgreSQL's)."""
    params = {"platform": platform.value, "text": text, "lower": text.strip().lower()}
    rows: list[dict[str, Any]] = []
    for where in ("c.channel_id = :text", "lower(c.user_login) = :lower", "lower(c.channel_name) = :lower"):
        # no ORDER BY ... LIMIT: DuckDB answers a top-N from a scan, an equality alone from the index
        rows = store.rows(f"SELECT {IDENTITY} FROM gold.channels c WHERE {where} AND c.platform = :platform", params)
        if rows:
            rows.sort(key=lambda r: r["channel_id"])
            rows.sort(key=lambda r: r["last_seen_at"], reverse=True)
            break
    else:
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
    names = store.rows(
        """SELECT user_login, channel_name, first_seen_at, last_seen_at FROM gold.channel_names
           WHERE channel_id = :channel_id AND platform = :platform ORDER BY last_seen_at DESC""",
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
            WHERE channel_id = :channel_id AND platform = :platform
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
           WHERE d.channel_id = :channel_id AND d.platform = :platform
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
    was live, oldest first. DuckDB reads hours and days from channel_series by the channel's hash."""
    params = {"platform": platform.value, "channel_id": channel_id, "start": start, "end": end, "bucket": bucket}
    if bucket == MONTH:
        params["start"] = month_floor(start)
        rows = store.rows(
            """SELECT month_start AS bucket_start, avg_viewers, peak_viewers, hours_streamed, hours_watched, streams,
                      rank, is_partial
               FROM gold.channel_months
               WHERE channel_id = :channel_id AND platform = :platform AND month_start >= :start AND month_start < :end
               ORDER BY month_start""",
            params,
        )
    else:
        # DuckDB: channel_series by the channel's hash alone, never reading channel_id (decompressing
        # that column for the vectors holding the channel's rows cost 10 ms); no two channels of a
        # platform share a hash (the data test channel_keys_are_unique)
        hashed = store.kind == "duckdb" and bucket != "5m"
        rows = store.rows(
            f"""SELECT bucket_start, avg_viewers, peak_viewers, hours_streamed, hours_watched, streams, rank, is_partial
               FROM {"gold.channel_series" if hashed else "gold.channel_buckets"}
               WHERE {"channel_key = hash(CAST(:channel_id AS VARCHAR))" if hashed else "channel_id = :channel_id"}
                 AND platform = :platform AND bucket = :bucket AND bucket_start >= :start AND bucket_start < :end
               ORDER BY bucket_start""",
            params,
        )
    return [dict(r, is_partial=bool(r["is_partial"])) for r in rows]


def game_channels(
    store: GoldStore, game_key: str, platform: Platform, start: datetime, end: datetime, limit: int, offset: int
) -> dict[str, Any]:
    """The channels that streamed a game over [start, end) (whole UTC days), most hours watched on
    it first, with their share of the game's hours watched there: one pass over the game's days."""
    params = {"platform": platform.value, "game_key": game_key, "start": start, "end": end}
    # DuckDB groups game_channel_days by the channel's hash and names the page's channels after (its
    # channel_id column is costly to read scattered over a month of days); the others group by the id
    keyed = store.kind == "duckdb"
    days, channel = ("gold.game_channel_days", "channel_key") if keyed else ("gold.channel_game_days", "channel_id")
    rows = store.rows(
        f"""WITH per_channel AS (
               SELECT {channel}, SUM(hours_streamed) AS hours_streamed, SUM(hours_watched) AS hours_watched,
                      MAX(peak_viewers) AS peak_viewers
               FROM {days}
               WHERE game_key = :game_key AND platform = :platform AND day_start >= :start AND day_start < :end
               GROUP BY {channel}
           ),
           named AS (
               SELECT {"c" if keyed else "p"}.channel_id, c.user_login, c.channel_name, p.hours_streamed,
                      p.hours_watched, p.peak_viewers, COUNT(*) OVER () AS total_count,
                      SUM(p.hours_watched) OVER () AS game_hours
               FROM per_channel p
               LEFT JOIN gold.channels c
                 ON c.platform = :platform AND {"hash(c.channel_id)" if keyed else "c.channel_id"} = p.{channel}
           )
           SELECT channel_id, user_login, channel_name, hours_streamed, hours_watched,
                  hours_watched / NULLIF(hours_streamed, 0) AS avg_viewers, peak_viewers, total_count, game_hours
           FROM named
           ORDER BY hours_watched DESC, channel_id
           LIMIT :limit OFFSET :offset""",
        {**params, "limit": limit, "offset": offset},
    )
    if rows:
        game_hours, total = rows[0]["game_hours"] or 0.0, int(rows[0]["total_count"])
    else:  # no channel, or a page past the last: the totals alone
        [totals] = store.rows(
            """SELECT SUM(hours_watched) AS hours_watched, COUNT(DISTINCT channel_id) AS channels
               FROM gold.channel_game_days
               WHERE game_key = :game_key AND platform = :platform AND day_start >= :start AND day_start < :end""",
            params,
        )
        game_hours, total = totals["hours_watched"] or 0.0, int(totals["channels"] or 0)
    items = [
        {
            **{k: v for k, v in r.items() if k not in ("total_count", "game_hours")},
            "rank": offset + i + 1,
            "share_hours_watched": r["hours_watched"] / game_hours if game_hours else None,
        }
        for i, r in enumerate(rows)
    ]
    return {"hours_watched": game_hours, "total": total, "items": items}


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
