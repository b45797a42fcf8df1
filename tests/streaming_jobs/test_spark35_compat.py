"""The streaming job's shared parts (lake transforms, the stateful poll function in a streaming
query, Delta's idempotent appends) give the same results under PySpark 3.5 with delta-spark 3.3.0
(AWS Glue 5.0) as under the PySpark 4 and delta-spark the local job runs. The 3.5 interpreter and
its jars live in .venv-spark35 and .jars/spark35 (`make test` creates both); GST_SPARK35_PYTHON
points at another interpreter."""

import json
import os
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gamestream.core.contracts import PlayerCount, PollManifest, StreamSnapshot, VideoSnapshot
from tests.streaming_jobs.spark35_probe import probe

ROOT = Path(__file__).resolve().parents[2]
SPARK35 = Path(os.environ.get("GST_SPARK35_PYTHON", ROOT / ".venv-spark35" / "bin" / "python"))
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


def payloads():
    good = [
        StreamSnapshot.create(
            source="twitch",
            observed_at=T0,
            poll_id="twitch:twitch_head:1795662000",
            stream_id="1",
            channel_id="c",
            channel_name="a",
            game_id="1",
            game_name="Dota 2",
            viewer_count=10,
            started_at=T0 - timedelta(hours=1),
            is_mature=True,
        ),
        StreamSnapshot.create(
            source="twitch",
            observed_at=T0,
            poll_id="twitch:twitch_head:1795662000",
            stream_id="2",
            channel_id="d",
            channel_name="b",
            viewer_count=4,
        ),
        PlayerCount.create(
            source="steam",
            observed_at=T0,
            poll_id="steam:steam_players:1795662000",
            app_id=570,
            app_name="Dota 2",
            player_count=700_000,
        ),
        VideoSnapshot.create(
            source="youtube",
            observed_at=T0,
            poll_id="youtube:youtube_videos:1795662000",
            video_id="v",
            channel_id="ch",
            tags=["a", "b"],
            game_name="Dota 2",
            concurrent_viewers=33,
        ),
        PollManifest.create(
            source="twitch",
            observed_at=T0,
            poll_id="twitch:twitch_head:1795662000",
            platform="twitch",
            record_kind="stream_snapshot",
            record_count=2,
            scheduled_at=T0,
            started_at=T0,
            finished_at=T0,
            interval_seconds=60,
            errors=["x"],
        ),
    ]
    first = good[0].model_dump(mode="json")
    return [r.to_json() for r in good] + [
        "{broken",
        json.dumps({**first, "schema_version": 99}),
        json.dumps({**first, "viewer_count": -1}),
        json.dumps({**first, "event_id": "f" * 32}),
        good[0].to_json(),  # a duplicate in the batch
    ]


def start(python: Path, jars: Path, folder: Path) -> subprocess.Popen:
    """The probe under `python` with `jars`, reading the payloads from a file and logging to one (it
    starts its JVM while the test probes its own session)."""
    (folder / "payloads.json").write_text(json.dumps(payloads()))
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYSPARK_PYTHON": str(python), "GST_PROBE_DELTA_JARS": str(jars)}
    with (folder / "payloads.json").open() as stdin, (folder / "stderr.log").open("w") as stderr:
        return subprocess.Popen(
            [str(python), str(ROOT / "tests/streaming_jobs/spark35_probe.py")],
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            env=env,
        )


def result(probe: subprocess.Popen, folder: Path) -> dict:
    out, _ = probe.communicate(timeout=300)
    assert probe.returncode == 0, (folder / "stderr.log").read_text()[-3000:]
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.skipif(not SPARK35.exists(), reason=f"no PySpark 3.5 interpreter at {SPARK35} (make test creates it)")
def test_the_shared_parts_agree_between_spark_35_and_spark_4(spark, tmp_path):
    spark35 = start(SPARK35, ROOT / ".jars" / "spark35", tmp_path)
    try:
        new = probe(spark, payloads())
        old = result(spark35, tmp_path)
    finally:
        spark35.kill()
    assert old.pop("spark_version").startswith("3.5")
    assert new.pop("spark_version").startswith("4.")
    assert old == new
    assert len(new["stream_snapshots"]) == 2 and len(new["quarantine"]) == 4
    assert len(new["repeated"]) == 1  # the duplicate, written once
    emitted = [json.loads(r) for r in new["emitted"]]
    twitch = [r for r in emitted if r["platform"] == "twitch" and r["row_kind"] == "total"]
    assert {r["game_key"]: r["viewers"] for r in twitch} == {"dota 2": 10, "unattributed": 4}
    assert {r["status"] for r in emitted if r["row_kind"] == "poll"} == {"complete"}  # its manifest came
    assert new["delta_rows"] == [0, 1]
