"""kill -9 of the streaming job at fixed points of each query's batch in turn, then a restart: every
event exactly once in bronze and silver, poll totals equal to what was sent, and a Redis change feed
with no gap and no duplicate.

One drill, three runs: the first run dies after the lake query's batch 1 appended bronze; a fifth
poll arrives; the restart replays the uncommitted batch 1 (finding bronze in place) and dies after
the poll query's next batch (1 or later: it may have committed batch 1 before the first kill)
appended its totals, after Redis took them; the third run finishes. The Kafka drill
(test_kafka_drill.py) kills at the lake query's "after silver" and the poll query's "after Redis";
tests/test_end_to_end.py kills a first attempt at a random point of either query."""

import signal
from collections import Counter
from datetime import timedelta

import pandas as pd
import pytest
import redis

from gamestream.core.lake import Lake
from tests.support.drills import run_stream_job, stream_job_deadline
from tests.support.kinesis import put
from tests.support.streaming import recent_slot, synthetic_records

BATCH_RECORDS = 1500  # both queries: the first four polls (~3,600 records) make three batches of each
DRILLED_POINTS = ("lake_after_bronze", "poll_after_lake")  # the Kafka drill kills at the other two


def run_stream(stage, settings, cwd, records, **extra):
    return run_stream_job(stage, settings, cwd, records, BATCH_RECORDS, **extra)


def read(settings, table):
    found = Lake(settings.lake_path).read(table)
    return found.to_pandas() if found is not None else pd.DataFrame()


RUN_BOUND = stream_job_deadline(5_000, BATCH_RECORDS)  # the drill's 5 polls at scale 0.002 are ~4,500 records


@pytest.mark.timeout((len(DRILLED_POINTS) + 1) * RUN_BOUND + 120)  # past its stages' own deadlines
def test_kill_9_at_every_point_of_a_batch_then_restart_loses_nothing_and_duplicates_nothing(fresh, tmp_path):
    settings = fresh.model_copy(update={"synthetic_scale": 0.002, "poll_grace_seconds": 3600})
    start = recent_slot(60, 5)
    records = synthetic_records(settings, polls=4, start=start)
    put(settings, [r.to_json() for r in records], keys=[r.entity_id for r in records])

    for point in DRILLED_POINTS:
        killed = run_stream(
            f"job killed -9 at {point}",
            settings,
            tmp_path,
            len(records),
            GST_TEST_FAULT_POINT=point,
            GST_TEST_FAULT_BATCH=1,
        )
        assert killed.returncode == -signal.SIGKILL, f"{point}: {killed.stderr[-3000:]}"
        assert f'"point": "{point}"' in killed.stderr
        if point == "lake_after_bronze":
            # a fifth poll arrives meanwhile: the poll query has a batch to die in even if the first
            # run's poll query, racing the slow lake query, had already committed every batch of four
            fifth = synthetic_records(settings, polls=1, start=start + timedelta(minutes=4))
            put(settings, [r.to_json() for r in fifth], keys=[r.entity_id for r in fifth])
            records += fifth
    restarted = run_stream("job restarted", settings, tmp_path, len(records))
    assert restarted.returncode == 0, restarted.stderr[-3000:]
    # an --available-now run ends as quietly as it ran: its queries stop between batches
    assert "ERROR" not in restarted.stderr and "Traceback" not in restarted.stderr, restarted.stderr[-3000:]

    sent = Counter(r.event_id for r in records)
    bronze = Counter(pd.Series(read(settings, "bronze/records").payload).map(lambda p: p.split('"event_id":"')[1][:32]))
    assert bronze == sent
    silver = Counter()
    for name in ("stream_snapshots", "player_counts", "category_snapshots", "video_snapshots", "poll_manifests"):
        silver.update(read(settings, f"silver/{name}").event_id)
    assert silver == sent

    totals = read(settings, "silver/game_poll_totals")
    assert (totals.status == "complete").all()
    assert totals.groupby(["poll_id", "platform", "game_key"]).size().max() == 1
    twitch_viewers = sum(r.viewer_count for r in records if r.kind == "stream_snapshot")
    assert totals[totals.platform == "twitch"].viewers.sum() == twitch_viewers

    live = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    entries = [fields for _, fields in live.xrange("gst:live:changes")]
    pairs = Counter((e["poll_id"], e["game"]) for e in entries if e["game"] != "*")
    assert max(pairs.values()) == 1, "a change reached the feed twice"
    complete = set(zip(totals.poll_id, totals.game_key))
    assert complete <= set(pairs), "a complete poll's change never reached the feed"
