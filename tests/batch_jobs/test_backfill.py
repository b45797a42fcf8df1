"""Backfill: silver re-derived from bronze equals what the stream wrote; twice changes nothing; a
range the stream may still write is refused; a Delta commit race is retried."""

import shutil
import time
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from batch_jobs.backfill import RangeNotSettled, backfill
from batch_jobs.gold.loads import run_gold
from gamestream.core import lake as L
from gamestream.core.lake import Lake
from gamestream.core.warehouse import Warehouse
from tests.support.kinesis import put
from tests.support.streaming import fresh_settings, run_job, synthetic_records

# which run wrote a row, and when (wall-clock) it was closed or first seen, differ by design
RUN_COLUMNS = {"ingest_run", "ingest_batch_id", "ingested_at", "closed_at"}
GAMES_SEEN = {"first_seen_at", "last_seen_at"}
TABLES = [*(f"silver/{t}" for t in (*L.SILVER_TABLES, "poll_manifests")), L.POLLS, L.TOTALS, L.GAMES]


def silver(settings) -> dict[str, pd.DataFrame]:
    """Every silver table's values, without the columns naming which run wrote a row."""
    out = {}
    for name in TABLES:
        rows = Lake(settings.lake_path).read(name)
        if rows is None:
            continue
        dropped = RUN_COLUMNS | (GAMES_SEEN if name == L.GAMES else set())
        frame = rows.to_pandas().drop(columns=[c for c in rows.column_names if c in dropped])
        for column in frame.columns:
            if frame[column].map(lambda v: hasattr(v, "__len__") and not isinstance(v, str)).any():
                frame[column] = frame[column].map(lambda v: tuple(sorted(v)) if v is not None else None)
        out[name] = frame.sort_values(list(frame.columns[:4])).reset_index(drop=True)
    return out


def gold(settings) -> pd.DataFrame:
    warehouse = Warehouse(settings.warehouse)
    rows = warehouse.execute("SELECT * FROM gold.game_buckets ORDER BY platform, bucket, bucket_start, game_key")
    warehouse.close()
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def streamed(spark, stack, tmp_path_factory):
    """Three polls per platform streamed in two batches, one poll missing a record (closed partial).
    Both tests read it and neither changes it (that is what the second one checks)."""
    tmp_path = tmp_path_factory.mktemp("streamed")
    settings = fresh_settings(stack.settings, tmp_path).model_copy(
        update={
            "synthetic_scale": 0.002,
            "poll_grace_seconds": 1,
            "warehouse_url": f"duckdb:///{tmp_path / 'streamed.duckdb'}",
        }
    )
    records = synthetic_records(settings, polls=3)
    dropped = next(r for r in records if r.kind == "stream_snapshot")

    def slot(record) -> int:  # poll ids end with their slot
        return int(record.poll_id.rsplit(":", 1)[1])

    # whole polls per run: a poll whose manifest came in the first run and its records only in the
    # second would rightly close partial, empty, when its grace period ran out in between
    last_slot = max(slot(r) for r in records)
    first = [r for r in records if r is not dropped and slot(r) < last_slot]
    second = [r for r in records if r is not dropped and slot(r) == last_slot]
    start = datetime.now(UTC) - timedelta(minutes=1)
    put(settings, [r.to_json() for r in first], keys=[r.entity_id for r in first])
    run_job(spark, settings)
    time.sleep(1.5)  # past the grace period in arrival time: the next batch closes the short poll as partial
    put(settings, [r.to_json() for r in second], keys=[r.entity_id for r in second])
    run_job(spark, settings)
    time.sleep(1.2)
    run_gold(settings)
    return settings, start, datetime.now(UTC) - timedelta(seconds=1.1), records


def test_backfill_from_bronze_alone_equals_the_stream_and_twice_changes_nothing(spark, streamed, tmp_path):
    settings, start, end, records = streamed
    streamed_silver = silver(settings)
    assert "partial" in set(streamed_silver[L.POLLS].status)  # the fixture exercises late closing
    rebuilt = settings.model_copy(
        update={"lake_root": str(tmp_path / "rebuilt"), "warehouse_url": f"duckdb:///{tmp_path / 'rebuilt.duckdb'}"}
    )
    shutil.copytree(f"{settings.lake_path}/bronze", f"{rebuilt.lake_path}/bronze")

    report = backfill(rebuilt, spark, start, end, show_progress=False)
    assert report.records == len(records) - 1 and report.invalid == 0
    once = silver(rebuilt)
    assert set(once) == set(streamed_silver)
    for name, frame in streamed_silver.items():
        pd.testing.assert_frame_equal(once[name], frame, check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(gold(rebuilt), gold(settings))

    backfill(rebuilt, spark, start, end, show_progress=False)
    for name, frame in silver(rebuilt).items():
        pd.testing.assert_frame_equal(frame, once[name], check_dtype=False, obj=name)
    pd.testing.assert_frame_equal(gold(rebuilt), gold(settings))


def test_backfill_over_streamed_data_changes_nothing_and_one_source_only(spark, streamed):
    settings, start, end, _ = streamed
    before = silver(settings)
    assert backfill(settings, spark, start, end, source="steam", show_progress=False).records == 0  # all synthetic
    report = backfill(settings, spark, start, end, source="synthetic", show_progress=False)
    assert report.records == len(Lake(settings.lake_path).read(L.BRONZE))
    for name, frame in silver(settings).items():
        pd.testing.assert_frame_equal(frame, before[name], check_dtype=False, obj=name)


def test_a_range_the_stream_may_still_write_is_refused(spark, fresh):
    settings = fresh.model_copy(update={"poll_grace_seconds": 600})
    now = datetime.now(UTC)
    with pytest.raises(RangeNotSettled, match="grace period"):
        backfill(settings, spark, now - timedelta(hours=1), now - timedelta(minutes=5), show_progress=False)
    with pytest.raises(ValueError, match="--to must be after --from"):
        backfill(settings, spark, now - timedelta(hours=1), now - timedelta(hours=2), show_progress=False)
