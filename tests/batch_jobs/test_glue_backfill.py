from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from batch_jobs.glue_backfill import job_range


def test_glue_backfill_arguments_are_utc_times_and_an_optional_source():
    start, end, source = job_range("2026-11-20T00:00", "2026-11-21T02:00+02:00", "all")
    assert start == datetime(2026, 11, 20, tzinfo=UTC)
    assert end == datetime(2026, 11, 21, 2, tzinfo=timezone(timedelta(hours=2))) and source is None
    assert job_range("2026-11-20", "2026-11-21", "twitch")[2] == "twitch"
