"""The API's warm-up of DuckDB's cache: the recent per-game rows, every column, read once at start."""

from __future__ import annotations

import asyncio

import pandas as pd
import pytest

from realtime_api.cache_warmer import CacheWarmer
from realtime_api.queries.freshness import prewarm
from realtime_api.store import GoldStore


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_warm_up_loads_the_recent_per_game_rows_into_duckdbs_buffer_pool(gold_copy):
    def cached_bytes() -> int:  # the copy is a database of its own: its buffer pool starts empty
        return gold_copy.rows("SELECT memory_usage_bytes AS b FROM duckdb_memory() WHERE tag = 'BASE_TABLE'")[0]["b"]

    before = cached_bytes()
    # what a dashboard opened now reads: hourly and daily points of the last 3 days, 5-minute points of
    # the last 2, counted back from the newest hour any platform has
    rows = pd.DataFrame(gold_copy.rows("SELECT bucket, bucket_start FROM gold.game_series"))
    hours = pd.DataFrame(gold_copy.rows("SELECT bucket, bucket_start FROM gold.platform_buckets"))
    newest = pd.to_datetime(hours[hours.bucket == "1h"].bucket_start, utc=True).max()
    starts = pd.to_datetime(rows.bucket_start, utc=True)
    recent = (rows.bucket.isin(["1h", "1d"]) & (starts >= newest - pd.Timedelta(days=3))) | (
        (rows.bucket == "5m") & (starts >= newest - pd.Timedelta(days=2))
    )
    assert 0 < recent.sum() < len(rows), "the fixture's gold should hold older rows the warm-up leaves on disk"
    assert prewarm(gold_copy, days=3) == recent.sum()
    assert cached_bytes() > before


@pytest.mark.parametrize("gold_settings", ["postgresql"], indirect=True)
def test_postgresql_keeps_its_own_cache(gold_settings):
    store = GoldStore(gold_settings.warehouse, read_only=True)
    try:
        assert prewarm(store, days=31) == 0
    finally:
        store.close()


def test_a_failed_warm_up_leaves_the_api_serving_cold(tmp_path):
    broken = tmp_path / "not-a-database.duckdb"
    broken.write_bytes(b"not a DuckDB file" * 100)
    warmer = CacheWarmer(GoldStore(f"duckdb:///{broken}", read_only=True), days=31)
    asyncio.run(warmer.run())
    assert warmer.state == "failed" and warmer.done
