"""The streaming job on Kafka (GST_SINK=kafka: Spark's own Kafka source reads the topic the
kafka-python sink wrote): kill -9 of the job in each query, a broker restart and a Redis outage, then
restarts; every event exactly once in bronze and silver, poll totals equal to what was sent, and the
live state equal to the latest complete polls, with no duplicate on the change feed."""

import signal
from collections import Counter
from datetime import timedelta

import pytest
import redis

from gamestream.embedded.ports import free_port
from gamestream.embedded.redis_server import redis_server
from producers.sinks.kafka import KafkaSink
from tests.support.drills import run_stream_job, stream_job_deadline
from tests.support.kafka import new_topic
from tests.support.streaming import expected_totals, recent_slot, synthetic_records, table

BATCH_RECORDS = 2000  # ~3,600 records: two batches of each query, then ~900 more


def send(settings, records):
    sink = KafkaSink(settings)
    for record in records:
        sink.send(record)
    assert sink.flush(60) and sink.stats.delivered == len(records)
    sink.close()


def run_stream(stage, settings, cwd, records, **extra):
    return run_stream_job(stage, settings, cwd, records, BATCH_RECORDS, **extra)


@pytest.mark.timeout(3 * stream_job_deadline(4_000, BATCH_RECORDS) + 300)  # past its stages' deadlines
def test_kafka_kill_9_broker_restart_and_redis_outage_lose_nothing_and_duplicate_nothing(kafka_stack, tmp_path):
    redis_port = free_port()
    settings = new_topic(kafka_stack.settings, "drill", partitions=2).model_copy(
        update={
            "synthetic_scale": 0.002,
            "poll_grace_seconds": 3600,
            "lake_root": str(tmp_path / "lake"),
            "checkpoint_root": str(tmp_path / "checkpoints"),
            "redis_url": f"redis://127.0.0.1:{redis_port}/0",
        }
    )
    start = recent_slot(60, 5)
    records = synthetic_records(settings, polls=4, start=start)
    send(settings, records)

    with redis_server(redis_port, tmp_path / "redis"):
        killed = run_stream(
            "job killed -9 in the lake query", settings, tmp_path, len(records),
            GST_TEST_FAULT_POINT="lake_after_silver", GST_TEST_FAULT_BATCH=1,
        )  # fmt: skip
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    kafka_stack.kafka.stop(kill=True)  # the broker dies too, and comes back with its data
    kafka_stack.kafka.start()
    # a fifth poll arrives meanwhile: the poll query has a batch to die in even if the first run's
    # poll query, racing the slow lake query, had already committed every batch of the first four
    fifth = synthetic_records(settings, polls=1, start=start + timedelta(minutes=4))
    send(settings, fifth)
    records += fifth
    killed = run_stream(  # Redis is down: the poll query goes on, and dies after its Redis step
        "job killed -9 in the poll query, Redis down", settings, tmp_path, len(records),
        GST_TEST_FAULT_POINT="poll_after_redis", GST_TEST_FAULT_BATCH=1,
    )  # fmt: skip
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-3000:]
    with redis_server(redis_port, tmp_path / "redis"):  # back, and empty
        restarted = run_stream("job restarted with Redis back", settings, tmp_path, len(records))
        assert restarted.returncode == 0, restarted.stderr[-3000:]
        live = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        zset = dict(live.zrange("gst:live:twitch", 0, -1, withscores=True))
        entries = [fields for _, fields in live.xrange("gst:live:changes")]

    sent = Counter(r.event_id for r in records)
    assert Counter(table(settings, "bronze/records").payload.map(lambda p: p.split('"event_id":"')[1][:32])) == sent
    silver = Counter()
    for name in ("stream_snapshots", "player_counts", "category_snapshots", "video_snapshots", "poll_manifests"):
        silver.update(table(settings, f"silver/{name}").event_id)
    assert silver == sent

    totals = table(settings, "silver/game_poll_totals")
    assert (totals.status == "complete").all() and totals.groupby(["poll_id", "game_key"]).size().max() == 1
    want = expected_totals(records)
    got = totals.set_index(["platform", "poll_id", "game_key"])
    for row in want[want.platform == "twitch"].itertuples():
        assert got.loc[(row.platform, row.poll_id, row.game_key), "viewers"] == row.viewers
    latest = totals[
        (totals.platform == "twitch") & (totals.scheduled_at == totals[totals.platform == "twitch"].scheduled_at.max())
    ]
    assert zset == {r.game_key: float(r.viewers) for r in latest.itertuples()}
    pairs = Counter((e["poll_id"], e["game"]) for e in entries if e["game"] != "*")
    assert max(pairs.values()) == 1, "a change reached the feed twice"
