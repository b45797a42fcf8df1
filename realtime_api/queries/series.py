"""A game's series per platform with explicit gaps (buckets the platform was not polled in, Steam
buckets that never sampled the app), and players vs viewers."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from gamestream.core.contracts import Platform
from gamestream.core.gold_vocabulary import BUCKET_SECONDS
from realtime_api.queries.series_keys import MAX_SERIES_KEYS, series_keys
from realtime_api.queries.spans import bucket_starts, month_floor
from realtime_api.queries.vocabulary import MONTH, per_game
from realtime_api.store import GoldStore

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
