import json
import time
import uuid
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pytest
import redis

from batch_jobs.replay import UnknownTarget, replay, stream_order
from gamestream.core import lake as L
from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.lake import Lake
from tests.support.cli import run_gst
from tests.support.kafka import read_topic
from tests.support.kinesis import put, read_stream
from tests.support.streaming import run_job, synthetic_records, table


def new_stream(settings):
    name = f"replay-{uuid.uuid4().hex[:6]}"
    ensure_stream(aws_client(settings, "kinesis"), name, 2)
    return name


def bronze_rows(start, rows, keys=None, payloads=None):
    """Bronze rows arriving every 2 s from `start`, payload {"i": n} (or `payloads`), partition keys
    k0, k1... (or `keys`)."""
    keys = keys or [f"k{i}" for i in range(rows)]
    payloads = payloads or [json.dumps({"i": i}) for i in range(rows)]
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
            "data": [p.encode() for p in payloads],
            "payload": payloads,
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
    report = replay(
        fresh, start, start + timedelta(seconds=7), speed=4, stream=target, show_progress=False, target="kinesis"
    )
    elapsed = time.monotonic() - began
    assert report.sent == 4  # the record at +8 s is outside [start, start + 7 s)
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

    report = replay(settings, before_put, datetime.now(UTC) + timedelta(seconds=5), speed=None, show_progress=False)
    assert report.sent == len(records)
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
    report = replay(settings, start, start + timedelta(minutes=5), speed=None, stream=topic, show_progress=False)
    assert report.sent == 40
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


def test_replay_by_observed_time_finds_imported_history_in_the_order_it_describes(fresh):
    observed = datetime(2026, 11, 3, 8, 0, tzinfo=UTC)
    imported = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)  # all of it arrived at import time, weeks later
    minutes = [3, 0, 2, 9, 1]  # observed out of arrival order; +9 min is outside the range
    payloads = [
        json.dumps({"i": i, "observed_at": (observed + timedelta(minutes=m)).isoformat()})
        for i, m in enumerate(minutes)
    ]
    payloads += ["{not json", json.dumps({"i": 6})]  # unreadable: no observed time to place them by
    Lake(fresh.lake_path).append(L.BRONZE, bronze_rows(imported, 7, payloads=payloads), 0, ["source", "ingest_date"])
    target = new_stream(fresh)
    window = (observed, observed + timedelta(minutes=5))
    assert replay(fresh, *window, speed=None, stream=target, show_progress=False).sent == 0  # by arrival: none
    began = time.monotonic()
    report = replay(fresh, *window, speed=120, stream=target, show_progress=False, by="observed")
    assert (report.sent, report.unreadable) == (4, 2)
    assert time.monotonic() - began >= 180 / 120  # 3 minutes of observed time played 120x faster
    found = read_stream(aws_client(fresh, "kinesis"), target)
    in_order = sorted(found, key=lambda r: (r["ApproximateArrivalTimestamp"], int(r["SequenceNumber"])))
    assert [json.loads(r["Data"])["i"] for r in in_order] == [1, 4, 2, 0]  # observed +0, +1, +2, +3 min


def test_an_empty_range_says_so_and_names_what_bronze_holds(tmp_path):
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    Lake(str(tmp_path / "lake")).append(L.BRONZE, bronze_rows(start, 5), 0, ["source", "ingest_date"])
    env = {"GST_LAKE_ROOT": str(tmp_path / "lake")}
    out = run_gst("replay", "--from", "2026-11-21T00:00:00Z", "--to", "2026-11-21T01:00:00Z", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    said = " ".join(out.stdout.split())
    assert "0 records arrived between 2026-11-21T00:00:00+00:00 and 2026-11-21T01:00:00+00:00" in said
    assert "bronze holds 5 records that arrived between 2026-11-20T12:00:00+00:00 and 2026-11-20T12:00:08+00:00" in said
    assert "Traceback" not in out.stderr


def test_sequence_numbers_order_as_numbers_of_any_length():
    start = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
    rows = bronze_rows(start, 4).drop_columns(["sequence_number", "arrival_time"])
    rows = rows.append_column("arrival_time", pa.array([start] * 4, pa.timestamp("us", tz="UTC")))
    big = "49590338271490256608559692538361571095921575989136588898"  # a Kinesis sequence number: > 2^128
    rows = rows.append_column("sequence_number", pa.array(["10", big, "9", "100"]))
    assert stream_order(rows, [])["sequence_number"].to_pylist() == ["9", "10", "100", big]
