"""gold.game_series' clustering keys (the dbt macro series_key) of a game's rows, so DuckDB's zone
maps skip the row groups without the game. The codes come from the dbt project's vars, as the
macro's do."""

from __future__ import annotations

from datetime import datetime, timedelta

from gamestream.core.gold_vocabulary import SERIES_BUCKET_CODES, SERIES_PLATFORM_CODES
from realtime_api.queries.spans import add_months, month_floor

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
        ((day * 16 + SERIES_PLATFORM_CODES[platform] * 4 + SERIES_BUCKET_CODES[bucket]) << 64) + prefix
        for day in periods
        for platform in platforms
    ]
