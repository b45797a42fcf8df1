"""The API's SQL over gold, with the names it may use.

Table and column names come only from the enums below (never from a request); every value is a
bound `:name` parameter (SQLAlchemy binds them for each driver). The same text runs on DuckDB,
PostgreSQL and Redshift. Read shapes that need no request values live in the dbt project:
gold.game_windows (the ranking windows), gold.game_latest_hours (each game's newest hour) and
gold.players_vs_viewers. Windows end at the platform's latest loaded bucket, so history and the demo
read alike. A game's own buckets are read from gold.game_series on
DuckDB (game_buckets' rows clustered by game, which its zone maps prune) and from gold.game_buckets
elsewhere (by its game_key index on PostgreSQL, its sort keys on Redshift).
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from gamestream.contracts import Platform
from gamestream.names import normalize_game_name
from realtime_api.store import GoldStore, as_utc

BUCKET_SECONDS = {"5m": 300, "1h": 3600, "1d": 86400}
MONTH = "1mo"  # calendar months (UTC): gold.game_months and gold.platform_months
MONTH_SECONDS = 2_629_746  # an average Gregorian month, for counting points only


class Metric(StrEnum):
    avg_viewers = "avg_viewers"
    peak_viewers = "peak_viewers"
    hours_watched = "hours_watched"
    avg_channels = "avg_channels"
    peak_channels = "peak_channels"
    avg_players = "avg_players"
    peak_players = "peak_players"


class Window(StrEnum):
    now = "now"
    h24 = "24h"
    d7 = "7d"
    d30 = "30d"


class MoverWindow(StrEnum):
    h1 = "1h"
    h24 = "24h"
    d7 = "7d"


class Resolution(StrEnum):
    auto = "auto"
    m5 = "5m"
    h1 = "1h"
    d1 = "1d"
    mo1 = "1mo"


class MonthMetric(StrEnum):
    avg_viewers = "avg_viewers"
    peak_viewers = "peak_viewers"
    hours_watched = "hours_watched"
    avg_channels = "avg_channels"
    peak_channels = "peak_channels"
    avg_viewer_ratio = "avg_viewer_ratio"
    avg_players = "avg_players"
    peak_players = "peak_players"
    gain = "gain"
    growth = "growth"


class Direction(StrEnum):
    risers = "risers"
    fallers = "fallers"


WINDOWS = {
    Window.now: ("5m", 300),
    Window.h24: ("1h", 86400),
    Window.d7: ("1h", 7 * 86400),
    Window.d30: ("1d", 30 * 86400),
}
MOVER_WINDOWS = {MoverWindow.h1: ("5m", 3600), MoverWindow.h24: ("1h", 86400), MoverWindow.d7: ("1h", 7 * 86400)}
DEFAULT_METRIC = {
    Platform.STEAM: Metric.avg_players,
    Platform.TWITCH: Metric.avg_viewers,
    Platform.YOUTUBE: Metric.avg_viewers,
}
AVERAGED = ("avg_viewers", "avg_channels", "avg_players")  # time-weighted over the window
ZERO_FILLED = ("avg_viewers", "avg_channels")  # a game absent from a covered bucket counts 0 (players: a gap)
PEAKS = ("peak_viewers", "peak_channels", "peak_players")
MAX_POINTS = 5000


def per_game(store: GoldStore) -> str:
    """The table a game's own buckets are read from (the same rows on every warehouse)."""
    return "gold.game_series" if store.kind == "duckdb" else "gold.game_buckets"


SERIES_PLATFORMS = {"steam": 0, "twitch": 1, "youtube": 2}  # the codes of macro series_key
SERIES_BUCKETS = {"5m": 0, "1h": 1, "1d": 2}
MAX_SERIES_KEYS = 64  # beyond that (daily buckets over years), the scan filters on game_key alone


def series_keys(game_key: str, platforms: list[str], bucket: str, first: datetime, end: datetime) -> list[int]:
    """gold.game_series' series_key (macro series_key) of the game's rows in [first, end): one per
    period (UTC day for 5-minute buckets, UTC month otherwise) and platform. Filtering on them lets
    DuckDB's zone maps skip the row groups without the game."""
    prefix = int.from_bytes(game_key.encode()[:8].ljust(8, b"\0"), "big")
    period = month_floor(first) if bucket != "5m" else first.replace(hour=0, minute=0, second=0, microsecond=0)
    periods = []
    while period < end:
        periods.append(int(period.timestamp()) // 86400)
        period = period + timedelta(days=1) if bucket == "5m" else add_months(period, 1)
    return [
        ((day * 16 + SERIES_PLATFORMS[platform] * 4 + SERIES_BUCKETS[bucket]) << 64) + prefix
        for day in periods
        for platform in platforms
    ]


def latest_bucket(store: GoldStore, platform: Platform, bucket: str) -> datetime | None:
    rows = store.rows(
        "SELECT MAX(bucket_start) AS latest FROM gold.platform_buckets WHERE platform = :platform AND bucket = :bucket",
        {"platform": platform.value, "bucket": bucket},
    )
    return as_utc(rows[0]["latest"]) if rows and rows[0]["latest"] is not None else None


def prewarm(store: GoldStore, days: int, five_minute_days: int = 2) -> int:
    """Read the per-game table's recent rows, every column, once: DuckDB keeps the blocks it read in
    its buffer pool, so a game's first series or players-vs-viewers read after a restart does not
    fetch and check them from the file first (11 row groups for a 30-day hourly series). Hourly and
    daily rows of the last `days`, 5-minute rows of the last `five_minute_days`; returns the rows read.
    PostgreSQL and Redshift keep their own caches on the server: nothing to do there."""
    columns = store.warehouse.columns(per_game(store)) if store.kind == "duckdb" else []
    latest = latest_bucket_of_any(store, "1h") if columns else None
    if latest is None:
        return 0
    every = ", ".join(f'MIN("{c}")' for c in columns)  # names from the catalog
    read = 0
    for buckets, span in ((["1h", "1d"], days), (["5m"], min(days, five_minute_days))):
        query = sa.text(
            f"SELECT COUNT(*) AS n, {every} FROM {per_game(store)} WHERE bucket IN :buckets AND bucket_start >= :since"
        ).bindparams(sa.bindparam("buckets", expanding=True))
        read += store.rows(query, {"buckets": buckets, "since": latest - timedelta(days=span)})[0]["n"]
    return read


def gold_loaded_at(store: GoldStore) -> datetime | None:
    """When gold's latest load committed (its load state is written after `dbt build` succeeds)."""
    return store.rows("SELECT MAX(loaded_at) AS loaded_at FROM gold.load_state")[0]["loaded_at"]


def latest_bucket_of_any(store: GoldStore, bucket: str) -> datetime | None:
    """The latest bucket of this size on any platform (one query, not one per platform)."""
    rows = store.rows(
        "SELECT MAX(bucket_start) AS latest FROM gold.platform_buckets WHERE bucket = :bucket", {"bucket": bucket}
    )
    return as_utc(rows[0]["latest"]) if rows and rows[0]["latest"] is not None else None


WINDOW_COLUMNS = ", ".join(("game_key", "name", "is_game", *AVERAGED, *PEAKS, "hours_watched"))


def _window_bounds(store: GoldStore, platform: Platform, bucket: str, span: int) -> tuple[datetime, datetime] | None:
    """The window ending after the platform's latest bucket of this size: (start, end)."""
    latest = latest_bucket(store, platform, bucket)
    if latest is None:
        return None
    end = latest + timedelta(seconds=BUCKET_SECONDS[bucket])
    return end - timedelta(seconds=span), end


@dataclass(frozen=True)
class Span:
    """A requested [start, end) read from whole buckets of one size (months from the month tables),
    beside the same number of buckets just before it (`previous_start`)."""

    start: datetime
    end: datetime
    previous_start: datetime
    bucket: str


def months_between(start: datetime, end: datetime) -> int:
    return (end.year - start.year) * 12 + end.month - start.month


def add_months(month: datetime, months: int) -> datetime:
    index = month.year * 12 + month.month - 1 + months
    return month.replace(year=index // 12, month=index % 12 + 1, day=1)


def month_floor(t: datetime) -> datetime:
    return as_utc(t).replace(day=1, hour=0, minute=0, second=0, microsecond=0)


MAX_SPAN_DAYS = 366
MAX_SPAN_BUCKETS = 400


def end_aligned_with(start: datetime, now: datetime) -> datetime:
    """A range's end when only its start is given: now, rounded up to the largest unit the start falls
    on (a month, day, hour or 5 minutes), so `from=2026-11-01` reads months and `from=2026-11-20`
    days, not hundreds of 5-minute buckets."""
    if start == month_floor(start):
        floor = month_floor(now)
        return floor if floor == now else add_months(floor, 1)
    for seconds in (86_400, 3_600, 300):
        if int(start.timestamp()) % seconds == 0:
            return datetime.fromtimestamp(-(-int(now.timestamp()) // seconds) * seconds, UTC)
    return now


def plan_span(start: datetime, end: datetime) -> Span:
    """The buckets a requested [start, end) is read from: rounded out to whole 5 minutes, then the
    month tables when both ends are month starts, else the largest bucket both ends fall on. Raises
    ValueError (the API's 422) for a span longer than MAX_SPAN_DAYS or of more than
    MAX_SPAN_BUCKETS buckets."""
    first = datetime.fromtimestamp(int(as_utc(start).timestamp()) // 300 * 300, UTC)
    last = datetime.fromtimestamp(-(-int(as_utc(end).timestamp()) // 300) * 300, UTC)
    days = (last - first).total_seconds() / 86400
    if days > MAX_SPAN_DAYS:
        raise ValueError(f"from..to spans {days:.1f} days; at most {MAX_SPAN_DAYS}")
    if first == month_floor(first) and last == month_floor(last):
        return Span(first, last, add_months(first, -months_between(first, last)), MONTH)
    for bucket, coarser in (("1d", "months"), ("1h", "days"), ("5m", "hours")):
        seconds = BUCKET_SECONDS[bucket]
        if first.timestamp() % seconds == 0 and last.timestamp() % seconds == 0:
            count = (last - first).total_seconds() / seconds
            if count > MAX_SPAN_BUCKETS:
                raise ValueError(
                    f"from..to is {count:.0f} {bucket} buckets; at most {MAX_SPAN_BUCKETS}: "
                    f"align from and to to whole {coarser} for a longer range"
                )
            return Span(first, last, first - (last - first), bucket)
    raise AssertionError("every 5-minute boundary is a 5m bucket's")


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
    items = [_game_row(r, offset + i + 1) for i, r in enumerate(rows)]
    return {"window_start": start, "window_end": end, "items": items, "total": total}


def _game_row(row: dict[str, Any], rank: int) -> dict[str, Any]:
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


def search(store: GoldStore, q: str, include_non_games: bool, limit: int, offset: int) -> dict[str, Any]:
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = store.rows(
        """SELECT game_key, slug, name, steam_app_id, is_game, COUNT(*) OVER () AS total_count FROM gold.games
           WHERE (LOWER(name) LIKE :pattern ESCAPE '\\' OR game_key LIKE :pattern ESCAPE '\\')
             AND (is_game OR :include_non_games)
           ORDER BY CASE WHEN LOWER(name) = :exact THEN 0 WHEN LOWER(name) LIKE :prefix ESCAPE '\\' THEN 1 ELSE 2 END,
                    name
           LIMIT :limit OFFSET :offset""",
        {
            "pattern": pattern,
            "include_non_games": include_non_games,
            "exact": q.lower(),
            "prefix": pattern[1:],
            "limit": limit,
            "offset": offset,
        },
    )
    total = int(rows[0]["total_count"]) if rows else 0
    return {"items": [{k: v for k, v in r.items() if k != "total_count"} for r in rows], "total": total}


def resolve_game(store: GoldStore, text: str) -> dict[str, Any] | None:
    """The game `text` names (game_key, slug, name): by its key, its slug, its name written any way
    that normalises to its key ('Counter-Strike 2', 'counter strike 2', 'counter-strike-2') or its
    display name in any case; a key present in gold's buckets but not (yet) in gold.games is
    accepted as written or normalised."""
    params = {"text": text, "normal": normalize_game_name(text), "lower": text.strip().lower()}
    rows = store.rows(
        """SELECT game_key, slug, name FROM gold.games
           WHERE game_key = :text OR slug = :lower OR game_key = :normal OR LOWER(name) = :lower
           ORDER BY CASE WHEN game_key = :text THEN 0 WHEN slug = :lower THEN 1 WHEN game_key = :normal THEN 2 ELSE 3 END,
                    game_key
           LIMIT 1""",
        params,
    )
    if not rows:
        rows = store.rows(
            f"""SELECT game_key, NULL AS slug, MAX(game_name) AS name FROM {per_game(store)}
                WHERE bucket = '1d' AND game_key IN (:text, :normal)
                GROUP BY game_key ORDER BY CASE WHEN game_key = :text THEN 0 ELSE 1 END LIMIT 1""",
            params,
        )
    return rows[0] if rows else None


def games(store: GoldStore) -> list[dict[str, Any]]:
    """Every game in gold.games: game_key, slug, name, is_game."""
    return store.rows("SELECT game_key, slug, name, is_game FROM gold.games")


def close_keys(text: str, keys: list[str], limit: int = 5) -> list[str]:
    """The keys that come close to `text` normalised (difflib's ratio), closest first."""
    return difflib.get_close_matches(normalize_game_name(text) or text.lower(), keys, n=limit, cutoff=0.6)


REVIEW_COLUMNS = (
    "review_score",
    "review_score_desc",
    "total_positive",
    "total_negative",
    "total_reviews",
    "positive_ratio",
    "observed_at",
)


def game(store: GoldStore, game_key: str) -> dict[str, Any] | None:
    identity = store.rows(  # with its Steam reviews in the same read
        f"""SELECT g.game_key, g.slug, g.name, g.steam_app_id, g.is_game, r.app_id AS reviewed_app_id,
                   {", ".join("r." + c for c in REVIEW_COLUMNS)}
            FROM gold.games g LEFT JOIN gold.game_reviews r ON r.app_id = g.steam_app_id
            WHERE g.game_key = :game_key""",
        {"game_key": game_key},
    )
    latest = store.rows(
        "SELECT * FROM gold.game_latest_hours WHERE game_key = :game_key ORDER BY platform", {"game_key": game_key}
    )
    if not identity and not latest:
        return None
    reviews = None
    if identity:
        row = identity[0]
        found = {k: row[k] for k in ("game_key", "slug", "name", "steam_app_id", "is_game")}
        if row["reviewed_app_id"] is not None:
            reviews = {c: row[c] for c in REVIEW_COLUMNS}
    else:
        found = {
            "game_key": game_key,
            "slug": None,
            "name": latest[0]["game_name"],
            "steam_app_id": None,
            "is_game": latest[0]["is_game"],
        }
    return {
        **found,
        "is_game": bool(found["is_game"]),
        "reviews": reviews,
        "platforms": {
            r["platform"]: {k: v for k, v in r.items() if k not in ("platform", "game_key", "game_name")}
            for r in latest
        },
    }


def choose_resolution(resolution: Resolution, start: datetime, end: datetime) -> str:
    if resolution is not Resolution.auto:
        return resolution.value
    span = (end - start).total_seconds()
    return "5m" if span <= 36 * 3600 else "1h" if span <= 45 * 86400 else "1d"


SERIES_VALUES = (
    "avg_viewers",
    "peak_viewers",
    "hours_watched",
    "avg_channels",
    "peak_channels",
    "avg_players",
    "peak_players",
    "players_observed_seconds",
    "top_channel",
    "top_channel_viewers",
    "views",
    "rank",
    "growth",
)


MONTH_ABSENT = ("top_channel", "top_channel_viewers", "views")  # per-poll details gold keeps per bucket only
_VIEWERS_ZERO = {"avg_viewers": 0.0, "peak_viewers": 0, "hours_watched": 0.0, "avg_channels": 0.0, "peak_channels": 0}
_NO_PLAYERS = {"avg_players": None, "peak_players": None, "players_observed_seconds": None}
_NOT_SAMPLED = {"gap": True, "avg_players": None, "peak_players": None, "players_observed_seconds": 0.0}
ABSENT = {  # a polled bucket without the game
    # Steam: no poll of the bucket sampled the app, a gap for it (never 0 players); the bucket's
    # coverage and seconds stay the platform's, and no second of them sampled the app
    Platform.STEAM.value: {**dict.fromkeys(_VIEWERS_ZERO), **_NOT_SAMPLED},
    # Twitch, YouTube: no live stream, 0 viewers (not a gap)
    Platform.TWITCH.value: {**_VIEWERS_ZERO, **_NO_PLAYERS},
    Platform.YOUTUBE.value: {**_VIEWERS_ZERO, **_NO_PLAYERS},
}
GAP = {  # a bucket the platform was not polled in
    "gap": True,
    "coverage": 0.0,
    "is_partial": False,
    "covered_seconds": 0.0,
    "observed_seconds": 0.0,
    **dict.fromkeys(SERIES_VALUES),
}
GAPS = {  # per platform: no second weighs (players_observed_seconds: 0 on Steam, null where players are none)
    p.value: {**GAP, "players_observed_seconds": 0.0 if p is Platform.STEAM else None} for p in Platform
}


def bucket_starts(first: datetime, end: datetime, bucket: str) -> dict[int, datetime]:
    """The starts of the buckets from `first` (a bucket start) up to `end`, by epoch second."""
    if bucket != MONTH:
        epochs = range(int(first.timestamp()), math.ceil(end.timestamp()), BUCKET_SECONDS[bucket])
        return {epoch: datetime.fromtimestamp(epoch, UTC) for epoch in epochs}
    starts, t = {}, first
    while t < end:
        starts[int(t.timestamp())] = t
        t = add_months(t, 1)
    return starts


def series(
    store: GoldStore, game_key: str, platforms: list[Platform], start: datetime, end: datetime, bucket: str
) -> dict[str, list[dict[str, Any]]]:
    """Per platform, one point per bucket in [start, end): the game's values where the platform was
    polled (0 viewers when the game was absent), and explicit gaps (nulls, coverage 0) where it was
    not. A Steam bucket that was polled but whose polls never sampled the app is a gap too (nulls,
    players_observed_seconds 0), not 0 players; its coverage and seconds stay the platform's.
    Every point carries its weights: covered_seconds (coverage x the bucket's seconds, the weight the
    rankings combine buckets by), observed_seconds (the exact weight of time-weighted viewers and
    channels) and players_observed_seconds (that of avg_players: the seconds of the polls that
    sampled the app; x covered / observed seconds, the rankings' weight of it).
    Buckets are matched by their epoch second: the database converts no timestamp per row."""
    polled = [p.value for p in platforms]
    keys: list[int] = []  # game_series' clustering keys of the game's rows (DuckDB)
    if bucket == MONTH:
        first = month_floor(start)
        values = ", ".join("NULL AS " + c if c in MONTH_ABSENT else c for c in SERIES_VALUES)
        game_rows = f"""SELECT platform, month_start AS bucket_start, game_key, {values} FROM gold.game_months
                WHERE game_key = :game_key AND platform IN :platforms AND month_start >= :start AND month_start < :end"""
        platform_rows = """SELECT platform, month_start AS bucket_start, coverage, is_partial, covered_seconds,
                       observed_seconds FROM gold.platform_months
                WHERE platform IN :platforms AND month_start >= :start AND month_start < :end"""
    else:
        seconds = BUCKET_SECONDS[bucket]
        first = datetime.fromtimestamp(int(start.timestamp()) // seconds * seconds, UTC)
        if store.kind == "duckdb":
            keys = series_keys(game_key, polled, bucket, first, end)
            keys = keys if len(keys) <= MAX_SERIES_KEYS else []
        # equalities, not IN: DuckDB plans an IN list as a join, slower here than the scan it prunes
        either = " OR ".join(f"series_key = :series_key_{i}" for i in range(len(keys)))
        clustered = f"AND ({either})" if keys else ""
        game_rows = f"""SELECT platform, bucket_start, game_key, {", ".join(SERIES_VALUES)} FROM {per_game(store)}
                WHERE game_key = :game_key AND platform IN :platforms AND bucket = :bucket
                  AND bucket_start >= :start AND bucket_start < :end {clustered}"""
        platform_rows = f"""SELECT platform, bucket_start, coverage, is_partial, coverage * {seconds} AS covered_seconds,
                       observed_seconds FROM gold.platform_buckets
                WHERE platform IN :platforms AND bucket = :bucket AND bucket_start >= :start AND bucket_start < :end"""
    query = sa.text(
        # the game's rows first (one filtered scan), then matched to every polled bucket
        f"""WITH g AS ({game_rows})
            SELECT p.platform, CAST(EXTRACT(EPOCH FROM p.bucket_start) AS BIGINT) AS epoch, p.coverage, p.is_partial,
                   p.covered_seconds, p.observed_seconds, {", ".join("g." + c for c in SERIES_VALUES)}, g.game_key
            FROM ({platform_rows}) p
            LEFT JOIN g ON g.platform = p.platform AND g.bucket_start = p.bucket_start"""
    ).bindparams(sa.bindparam("platforms", expanding=True))
    params = {
        "game_key": game_key,
        "platforms": polled,
        "bucket": bucket,
        "start": first,
        "end": end,
    }
    params.update((f"series_key_{i}", key) for i, key in enumerate(keys))
    columns = store.column_lists(query, params)  # up to MAX_POINTS rows per platform: fetched column by column
    names = [name for name in columns if name not in ("platform", "epoch", "game_key")]
    starts = bucket_starts(first, end, bucket)
    found: dict[str, dict[int, dict]] = {p.value: {} for p in platforms}
    for platform, epoch, game, row in zip(
        columns["platform"], columns["epoch"], columns["game_key"], zip(*(columns[n] for n in names)), strict=True
    ):
        point = {"bucket_start": starts[epoch], "gap": False}
        point.update(zip(names, row, strict=True))
        if game is None:  # polled, game absent: 0 viewers; on Steam, not sampled: a gap
            point.update(ABSENT[platform])
        found[platform][epoch] = point
    return {
        platform: [points.get(epoch) or {"bucket_start": t, **GAPS[platform]} for epoch, t in starts.items()]
        if points
        else []
        for platform, points in found.items()
    }


def players_vs_viewers(store: GoldStore, game_key: str, start: datetime, end: datetime, bucket: str) -> list[dict]:
    return store.rows(
        """SELECT bucket_start, avg_players, peak_players, twitch_avg_viewers, twitch_peak_viewers, youtube_avg_viewers,
                  viewers_per_player, steam_coverage, twitch_coverage
           FROM gold.players_vs_viewers
           WHERE game_key = :game_key AND bucket = :bucket AND bucket_start >= :start AND bucket_start < :end
           ORDER BY bucket_start""",
        {"game_key": game_key, "bucket": bucket, "start": start, "end": end},
    )


def platform_overview(
    store: GoldStore, platform: Platform, include_non_games: bool, limit: int, recent: timedelta
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The overview's gold part: the latest hour's summary and the recent 5-minute totals."""
    return platform_summary(store, platform, include_non_games, limit), recent_totals(store, platform, recent)


def platform_summary(store: GoldStore, platform: Platform, include_non_games: bool, limit: int = 10) -> dict[str, Any]:
    """The home page's summary per platform, from gold: the platform's latest hourly bucket's total and
    top games with their change and growth vs the hour before and their change over 4 hours."""
    total = store.rows(
        """SELECT bucket_start, avg_total, peak_total, hours_watched, games, coverage, is_partial
           FROM gold.platform_buckets
           WHERE platform = :platform AND bucket = '1h'
             AND bucket_start = (SELECT MAX(bucket_start) FROM gold.platform_buckets
                                 WHERE platform = :platform AND bucket = '1h')""",
        {"platform": platform.value},
    )
    if not total:
        return {"bucket_start": None, "total": None, "games": []}
    latest = total[0].pop("bucket_start")
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
    return {
        "bucket_start": as_utc(latest),
        "total": total[0],
        "games": [dict(g, is_game=bool(g["is_game"])) for g in games],
    }


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
    items = [dict(_game_row(r, offset + i + 1), is_partial=bool(r["is_partial"])) for i, r in enumerate(rows)]
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
