"""Games ranked over a trailing window (gold.game_windows) or a requested span (its buckets, time
weighted as game_windows is), and the movers between a window and the one before it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from gamestream.core.contracts import Platform
from gamestream.core.gold_vocabulary import BUCKET_SECONDS
from realtime_api.queries.freshness import latest_bucket
from realtime_api.queries.spans import Span
from realtime_api.queries.vocabulary import (
    AVERAGED,
    DEFAULT_METRIC,
    MONTH,
    MOVER_WINDOWS,
    PEAKS,
    WINDOWS,
    ZERO_FILLED,
    Direction,
    Metric,
    MoverWindow,
    Window,
    per_game,
)
from realtime_api.store import GoldStore

WINDOW_COLUMNS = ", ".join(("game_key", "name", "is_game", *AVERAGED, *PEAKS, "hours_watched"))


def _window_bounds(store: GoldStore, platform: Platform, bucket: str, span: int) -> tuple[datetime, datetime] | None:
    """The window ending after the platform's latest bucket of this size: (start, end)."""
    latest = latest_bucket(store, platform, bucket)
    if latest is None:
        return None
    end = latest + timedelta(seconds=BUCKET_SECONDS[bucket])
    return end - timedelta(seconds=span), end


def _windowed(span: Span, table: str) -> str:
    """A query over one platform's buckets in the span (and the span before it) shaped like
    gold.game_windows' rows, with the same time weighting: for viewers and channels a bucket weighs
    its covered seconds (a game absent from a covered bucket counts 0) over the span's covered
    seconds; for players a bucket weighs the share of its covered seconds that sampled the app
    (players_observed_seconds x covered / observed seconds) over those weights of the app's own
    buckets, so polls and buckets without the app are gaps, not 0 players. `table` holds the game
    buckets (game_buckets' rows).

    One pass over the game rows, grouped by game and span; the platform's covered seconds per span
    divide the viewers' sums after grouping, not per row."""
    if span.bucket == MONTH:
        weights = """SELECT month_start AS bucket_start, covered_seconds AS weight,
                            covered_seconds / NULLIF(observed_seconds, 0) AS covered_per_observed
                     FROM gold.platform_months
                     WHERE platform = :platform AND month_start >= :previous_start AND month_start < :end"""
        games = f"""SELECT g.month_start AS bucket_start, g.game_key, g.game_name, g.is_game, g.avg_viewers,
                          g.avg_channels, g.avg_players, g.peak_viewers, g.peak_channels, g.peak_players,
                          g.hours_watched, w.weight, g.players_observed_seconds * w.covered_per_observed AS players_weight
                   FROM gold.game_months g JOIN ({weights}) w ON w.bucket_start = g.month_start
                   WHERE g.platform = :platform AND g.month_start >= :previous_start AND g.month_start < :end"""
    else:
        seconds = BUCKET_SECONDS[span.bucket]
        weights = f"""SELECT bucket_start, coverage * {seconds} AS weight,
                             coverage * {seconds} / NULLIF(observed_seconds, 0) AS covered_per_observed
                      FROM gold.platform_buckets
                      WHERE platform = :platform AND bucket = :bucket
                        AND bucket_start >= :previous_start AND bucket_start < :end"""
        games = f"""SELECT g.bucket_start, g.game_key, g.game_name, g.is_game, g.avg_viewers, g.avg_channels,
                          g.avg_players, g.peak_viewers, g.peak_channels, g.peak_players, g.hours_watched, w.weight,
                          g.players_observed_seconds * w.covered_per_observed AS players_weight
                   FROM {table} g JOIN ({weights}) w ON w.bucket_start = g.bucket_start
                   WHERE g.platform = :platform AND g.bucket = :bucket
                     AND g.bucket_start >= :previous_start AND g.bucket_start < :end"""
    sums = ", ".join(f"SUM({c} * weight) AS {c}" for c in ZERO_FILLED)
    peaks = ", ".join(f"MAX({c}) AS {c}" for c in PEAKS)

    def averages(alias: str, weight: str, prefix: str = "") -> str:
        """Viewers and channels over the span's covered seconds, players over the app's own weights."""
        viewers = [f"{alias}.{c} / t.{weight} AS {prefix}{c}" for c in ZERO_FILLED]
        players = f"{alias}.avg_players / NULLIF({alias}.players_weight, 0) AS {prefix}avg_players"
        return ", ".join([*viewers, players])

    return f"""WITH t AS (
            SELECT SUM(CASE WHEN bucket_start >= :start THEN weight END) AS current_weight,
                   SUM(CASE WHEN bucket_start < :start THEN weight END) AS previous_weight
            FROM ({weights}) w),
        per_game AS (
            SELECT bucket_start >= :start AS is_current, game_key, MAX(game_name) AS name,
                   MAX(CASE WHEN is_game THEN 1 ELSE 0 END) AS is_game, {sums},
                   SUM(avg_players * players_weight) AS avg_players, SUM(players_weight) AS players_weight, {peaks},
                   SUM(hours_watched) AS hours_watched
            FROM ({games}) g
            GROUP BY bucket_start >= :start, game_key)
        SELECT c.game_key, c.name, c.is_game, {averages("c", "current_weight")}, {", ".join(f"c.{c}" for c in PEAKS)},
               c.hours_watched, t.current_weight AS covered_seconds, {averages("p", "previous_weight", "prev_")},
               {", ".join(f"p.{c} AS prev_{c}" for c in PEAKS)}, p.hours_watched AS prev_hours_watched,
               CASE WHEN p.game_key IS NOT NULL THEN t.previous_weight END AS prev_covered_seconds
        FROM per_game c
        CROSS JOIN t
        LEFT JOIN per_game p ON p.game_key = c.game_key AND NOT p.is_current
        WHERE c.is_current"""


def _window_source(
    store: GoldStore, platform: Platform, window: str, trailing: tuple[str, int], span: Span | None
) -> tuple[str, dict[str, Any], tuple[datetime, datetime] | None]:
    """Where a ranking reads its windows: gold.game_windows for a trailing window, or the span's
    buckets; with the bound values and the window's (start, end)."""
    params: dict[str, Any] = {"platform": platform.value}
    if span is None:
        params["window"] = window
        source = "gold.game_windows WHERE platform = :platform AND time_window = :window AND"
        return source, params, _window_bounds(store, platform, *trailing)
    params.update(start=span.start, end=span.end, previous_start=span.previous_start, bucket=span.bucket)
    # days from game_series on DuckDB: a month's days of every game sit in a row group or two there,
    # while game_buckets holds each day's few thousand daily rows among that day's 5-minute ones
    table = per_game(store) if span.bucket == "1d" else "gold.game_buckets"
    return f"({_windowed(span, table)}) windowed WHERE", params, (span.start, span.end)


def ranking(
    store: GoldStore,
    platform: Platform,
    metric: Metric,
    window: Window,
    include_non_games: bool,
    limit: int,
    offset: int,
    span: Span | None = None,
) -> dict[str, Any]:
    """Games ranked by `metric` over the window ending at the latest bucket (or over `span`), with
    the change vs the window before it (growth only when both windows are covered alike). The
    trailing windows' figures are gold.game_windows (the dbt project computes them at every build)."""
    source, params, bounds = _window_source(store, platform, window.value, WINDOWS[window], span)
    if bounds is None:
        return {"window_start": None, "window_end": None, "items": [], "total": 0}
    start, end = bounds
    m = metric.value
    sql = f"""SELECT {WINDOW_COLUMNS}, prev_{m} AS previous, {m} - prev_{m} AS change,
               CASE WHEN prev_{m} > 0 AND ABS(covered_seconds - prev_covered_seconds) <= 0.2 * covered_seconds
                    THEN ({m} - prev_{m}) / prev_{m} END AS growth,
               COUNT(*) OVER () AS total_count
        FROM {source} (is_game = 1 OR :include_non_games)
        ORDER BY {m} DESC NULLS LAST, game_key
        LIMIT :limit OFFSET :offset"""
    params.update(include_non_games=include_non_games, limit=limit, offset=offset)
    rows = store.rows(sql, params)
    total = int(rows[0]["total_count"]) if rows else 0
    items = [game_row(r, offset + i + 1) for i, r in enumerate(rows)]
    return {"window_start": start, "window_end": end, "items": items, "total": total}


def game_row(row: dict[str, Any], rank: int) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k != "total_count"}
    out["is_game"] = bool(out.get("is_game"))
    out["rank"] = rank
    return out


def movers(
    store: GoldStore,
    platform: Platform,
    window: MoverWindow,
    direction: Direction,
    include_non_games: bool,
    limit: int,
    span: Span | None = None,
) -> dict[str, Any]:
    metric = DEFAULT_METRIC[platform].value
    source, params, bounds = _window_source(store, platform, window.value, MOVER_WINDOWS[window], span)
    if bounds is None:
        return {"window_start": None, "window_end": None, "metric": metric, "items": []}
    start, end = bounds
    order = "DESC" if direction is Direction.risers else "ASC"
    sql = f"""SELECT game_key, name, is_game, {metric} AS current, prev_{metric} AS previous,
               {metric} - prev_{metric} AS change,
               CASE WHEN prev_{metric} > 0 THEN ({metric} - prev_{metric}) / prev_{metric} END AS growth
        FROM {source} (is_game = 1 OR :include_non_games)
          AND ABS(covered_seconds - prev_covered_seconds) <= 0.2 * covered_seconds
          AND {metric} IS NOT NULL AND prev_{metric} IS NOT NULL
        ORDER BY {metric} - prev_{metric} {order}, game_key
        LIMIT :limit"""
    params.update(include_non_games=include_non_games, limit=limit)
    rows = store.rows(sql, params)
    items = [dict(r, is_game=bool(r["is_game"])) for r in rows]
    keep = (lambda r: r["change"] > 0) if direction is Direction.risers else (lambda r: r["change"] < 0)
    return {"window_start": start, "window_end": end, "metric": metric, "items": [r for r in items if keep(r)]}
