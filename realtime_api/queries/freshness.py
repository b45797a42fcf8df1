"""How new gold is: the latest bucket per platform and size, and when gold last loaded; and the
start-up read that warms DuckDB's buffer pool with the per-game table's recent rows."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa

from gamestream.core.clock import as_utc
from gamestream.core.contracts import Platform
from realtime_api.queries.vocabulary import per_game
from realtime_api.store import GoldStore


def latest_bucket(store: GoldStore, platform: Platform, bucket: str) -> datetime | None:
    rows = store.rows(
        "SELECT MAX(bucket_start) AS latest FROM gold.platform_buckets WHERE platform = :platform AND bucket = :bucket",
        {"platform": platform.value, "bucket": bucket},
    )
    return as_utc(rows[0]["latest"]) if rows and rows[0]["latest"] is not None else None


def latest_bucket_of_any(store: GoldStore, bucket: str) -> datetime | None:
    """The latest bucket of this size on any platform (one query, not one per platform)."""
    rows = store.rows(
        "SELECT MAX(bucket_start) AS latest FROM gold.platform_buckets WHERE bucket = :bucket", {"bucket": bucket}
    )
    return as_utc(rows[0]["latest"]) if rows and rows[0]["latest"] is not None else None


def gold_loaded_at(store: GoldStore) -> datetime | None:
    """When gold's latest load committed (its load state is written after `dbt build` succeeds)."""
    return store.rows("SELECT MAX(loaded_at) AS loaded_at FROM gold.load_state")[0]["loaded_at"]


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
