import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
import redis

from batch_jobs.replay import UnknownTarget, replay
from gamestream.core import lake as L
from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.lake import Lake
from tests.support.kafka import read_topic
from tests.support.kinesis import put, read_stream
from tests.support.streaming import run_job, synthetic_records, table


def new_stream(settings):
    name = f"replay-{uuid.uuid4().hex[:6]}"
    ensure_stream(aws_client(settings, "kinesis"), name, 2)
    return name


def bronze_rows(start, rows, keys=None):
    """Bronze rows arriving every 2 s from `start`, payload {"i": n}, partition keys k0, k1... or `keys`."""
    keys = keys or [f"k{i}" for i in range(rows)]
    return pa.table(
        {
            "stream": ["s"] * rows,
            "shard_id": ["shardId-0"] * rows,
            "sequence_number": [str(i) for i in range(rows)],
            "partition_key": keys,
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


def test_replay_keeps_order_and_relative_timing(fresh):
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    bronze = bronze_rows(start, 5)
    Lake(fresh.lake_path).append(L.BRONZE, bronze, 0, ["source", "ingest_date"])
    target = new_stream(fresh)
    began = time.monotonic()
    sent = replay(
        fresh, start, start + timedelta(seconds=7), speed=4, stream=target, show_progress=False, target="kinesis"
    )
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


def test_replay_into_a_kafka_topic_keeps_bytes_keys_and_order_per_key(kafka_stack, tmp_path):
    settings = kafka_stack.settings.model_copy(update={"lake_root": str(tmp_path / "lake"), "kafka_partitions": 3})
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    keys = [f"app{i % 4}" for i in range(40)]
    Lake(settings.lake_path).append(L.BRONZE, bronze_rows(start, 40, keys), 0, ["source", "ingest_date"])
    topic = f"replay-{uuid.uuid4().hex[:6]}"
    assert settings.sink == "kafka"  # the target follows GST_SINK unless given
    sent = replay(settings, start, start + timedelta(minutes=5), speed=None, stream=topic, show_progress=False)
    assert sent == 40
    found = read_topic(settings, topic)
    assert {r.partition for r in found} <= {0, 1, 2} and len({r.partition for r in found}) > 1  # made with 3
    assert sorted((r.key.decode(), json.loads(r.value)["i"]) for r in found) == sorted(
        (key, i) for i, key in enumerate(keys)
    )
    for key in set(keys):  # one key's records keep their original order
        order = [json.loads(r.value)["i"] for r in sorted(found, key=lambda r: r.offset) if r.key == key.encode()]
        assert order == [i for i, k in enumerate(keys) if k == key]


def test_an_unknown_replay_target_is_named_before_anything_is_sent(fresh):
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    with pytest.raises(UnknownTarget, match="unknown replay target 'sqs': choose one of kinesis, kafka"):
        replay(fresh, start, start + timedelta(minutes=1), target="sqs", show_progress=False)
