import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import redis

from batch_jobs.replay import replay
from gamestream.aws import aws_client, ensure_stream
from streaming_jobs import lake as L
from streaming_jobs.lake import Lake
from tests.support.kinesis import put, read_stream
from tests.support.streaming import run_job, synthetic_records, table


def new_stream(settings):
    name = f"replay-{uuid.uuid4().hex[:6]}"
    ensure_stream(aws_client(settings, "kinesis"), name, 2)
    return name


def test_replay_keeps_order_and_relative_timing(fresh):
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    rows = 5
    bronze = pa.table(
        {
            "stream": ["s"] * rows,
            "shard_id": ["shardId-0"] * rows,
            "sequence_number": [str(i) for i in range(rows)],
            "partition_key": [f"k{i}" for i in range(rows)],
            "arrival_time": pa.array(
                [start + timedelta(seconds=2 * i) for i in range(rows)], pa.timestamp("us", tz="UTC")
            ),
            "ingested_at": pa.array([start] * rows, pa.timestamp("us", tz="UTC")),
            "ingest_batch_id": [0] * rows,
            "ingest_run": ["r"] * rows,
            "data": [json.dumps({"i": i}).encode() for i in range(rows)],
            "payload": [json.dumps({"i": i}) for i in range(rows)],
            "source": ["synthetic"] * rows,
            "ingest_date": pa.array([start.date()] * rows, pa.date32()),
        }
    )
    Lake(fresh.lake_path).append(L.BRONZE, bronze, 0, ["source", "ingest_date"])
    target = new_stream(fresh)
    began = time.monotonic()
    sent = replay(fresh, start, start + timedelta(seconds=7), speed=4, stream=target, show_progress=False)
    elapsed = time.monotonic() - began
    assert sent == 4  # the record at +8 s is outside [start, start + 7 s)
    assert elapsed >= 6 / 4  # 6 s of original timing played 4x faster
    found = read_stream(aws_client(fresh, "kinesis"), target)
    assert sorted((r["ApproximateArrivalTimestamp"], json.loads(r["Data"])["i"]) for r in found)[0][1] == 0
    assert [json.loads(r["Data"])["i"] for r in sorted(found, key=lambda r: r["ApproximateArrivalTimestamp"])] == [
        0,
        1,
        2,
        3,
    ]
    assert {r["PartitionKey"] for r in found} == {"k0", "k1", "k2", "k3"}


def test_replayed_data_changes_neither_silver_nor_the_live_state(spark, fresh):
    settings = fresh.model_copy(update={"synthetic_scale": 0.002, "poll_grace_seconds": 3600})
    records = synthetic_records(settings, polls=2)
    before_put = datetime.now(UTC) - timedelta(seconds=5)
    put(settings, [r.to_json() for r in records])
    run_job(spark, settings)
    live = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    feed, zset = live.xlen("gst:live:changes"), live.zrange("gst:live:twitch", 0, -1, withscores=True)
    silver = len(table(settings, "silver/stream_snapshots"))

    sent = replay(settings, before_put, datetime.now(UTC) + timedelta(seconds=5), speed=None, show_progress=False)
    assert sent == len(records)
    run_job(spark, settings)
    assert len(table(settings, "bronze/records")) == len(records)  # replayed within the dedup window: dropped
    assert len(table(settings, "silver/stream_snapshots")) == silver
    assert live.xlen("gst:live:changes") == feed
    assert live.zrange("gst:live:twitch", 0, -1, withscores=True) == zset
