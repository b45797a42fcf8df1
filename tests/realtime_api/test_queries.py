"""The API's own computation of gold.game_series' clustering key against the model's."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from gamestream.core.clock import as_utc
from gamestream.core.contracts import Platform
from realtime_api.queries import series as series_reads
from realtime_api.queries.freshness import latest_bucket_of_any
from realtime_api.queries.overview import platform_summary
from realtime_api.queries.series import series
from realtime_api.queries.series_keys import series_keys


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_api_computes_the_series_keys_the_model_wrote(gold_copy):
    rows = gold_copy.rows(
        "SELECT DISTINCT series_key, game_key, platform, bucket, period_start FROM gold.game_series ORDER BY 1"
    )
    assert {r["bucket"] for r in rows} == {"5m", "1h", "1d"} and len({r["platform"] for r in rows}) > 1
    for r in rows:
        period = as_utc(r["period_start"])
        keys = series_keys(r["game_key"], [r["platform"]], r["bucket"], period, period + timedelta(seconds=1))
        assert keys == [r["series_key"]], r
    november = datetime(2026, 11, 1, tzinfo=UTC)  # hours: one key per month and platform; 5 minutes: per day
    assert len(series_keys("dota 2", ["twitch", "steam"], "1h", november, november + timedelta(days=40))) == 4
    assert (
        len(series_keys("dota 2", ["twitch"], "5m", november + timedelta(hours=23), november + timedelta(days=1))) == 1
    )


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_a_series_reads_the_same_points_with_and_without_its_clustering_keys(gold_copy, monkeypatch):
    latest = latest_bucket_of_any(gold_copy, "5m")
    cases = [("1h", timedelta(days=3)), ("5m", timedelta(hours=30)), ("1d", timedelta(days=5))]
    clustered = [series(gold_copy, "dota 2", list(Platform), latest - span, latest, b) for b, span in cases]
    monkeypatch.setattr(series_reads, "MAX_SERIES_KEYS", 0)  # the keys left out: game_key alone filters
    assert clustered == [series(gold_copy, "dota 2", list(Platform), latest - span, latest, b) for b, span in cases]
    assert any(point["avg_viewers"] for point in clustered[0]["twitch"])


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_home_pages_growth_is_over_the_latest_complete_hour(gold_copy):
    complete = platform_summary(gold_copy, Platform.TWITCH, include_non_games=False)
    assert complete["growth_hour"] == complete["bucket_start"]  # the fixture's latest hour is whole
    assert [g["growth"] for g in complete["games"] if g["growth"] is not None]
    latest = complete["bucket_start"]
    # the hour in progress: partly covered, so gold gives it no growth against the whole hour before
    gold_copy.rows(
        "UPDATE gold.platform_buckets SET is_partial = true WHERE platform = 'twitch' AND bucket = '1h'"
        " AND bucket_start = :latest RETURNING 1",
        {"latest": latest},
    )
    gold_copy.rows(
        "UPDATE gold.game_latest_hours SET growth = NULL WHERE platform = 'twitch' AND bucket_start = :latest RETURNING 1",
        {"latest": latest},
    )
    summary = platform_summary(gold_copy, Platform.TWITCH, include_non_games=False)
    before = latest - timedelta(hours=1)
    assert summary["bucket_start"] == latest and summary["growth_hour"] == before
    growth_before = {
        r["game_key"]: r["growth"]
        for r in gold_copy.rows(
            "SELECT game_key, growth FROM gold.game_buckets WHERE platform = 'twitch' AND bucket = '1h'"
            " AND bucket_start = :before",
            {"before": before},
        )
    }
    assert [g["growth"] for g in summary["games"]] == [growth_before.get(g["game_key"]) for g in summary["games"]]
    assert any(g["growth"] is not None for g in summary["games"])
