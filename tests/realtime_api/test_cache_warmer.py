"""The API's warm-up of DuckDB's cache: the recent per-game rows, every column, read once at start."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from realtime_api import gold_queries as Q
from realtime_api.cache_warmer import CacheWarmer
from realtime_api.store import GoldStore


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_warm_up_loads_the_recent_per_game_rows_into_duckdbs_buffer_pool(gold_copy):
    def cached_bytes() -> int:  # the copy is a database of its own: its buffer pool starts empty
        return gold_copy.rows("SELECT memory_usage_bytes AS b FROM duckdb_memory() WHERE tag = 'BASE_TABLE'")[0]["b"]

    before = cached_bytes()
    latest = Q.latest_bucket_of_any(gold_copy, "1h")
    expected = gold_copy.rows(
        """SELECT COUNT(*) AS n FROM gold.game_series
           WHERE (bucket IN ('1h', '1d') AND bucket_start >= :hours) OR (bucket = '5m' AND bucket_start >= :minutes)""",
        {"hours": latest - timedelta(days=3), "minutes": latest - timedelta(days=2)},
    )[0]["n"]
    assert Q.prewarm(gold_copy, days=3) == expected > 0
    assert cached_bytes() > before


@pytest.mark.parametrize("gold_settings", ["postgresql"], indirect=True)
def test_postgresql_keeps_its_own_cache(gold_settings):
    store = GoldStore(gold_settings.warehouse, read_only=True)
    try:
        assert Q.prewarm(store, days=31) == 0
    finally:
        store.close()


def test_a_failed_warm_up_leaves_the_api_serving_cold(tmp_path):
    broken = tmp_path / "not-a-database.duckdb"
    broken.write_bytes(b"not a DuckDB file" * 100)
    warmer = CacheWarmer(GoldStore(f"duckdb:///{broken}", read_only=True), days=31)
    asyncio.run(warmer.run())
    assert warmer.state == "failed" and warmer.done
