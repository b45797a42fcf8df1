import os
import subprocess
import sys
from datetime import UTC, date, datetime, timedelta

import pyarrow as pa

from gamestream.core.lake import Lake
from gamestream.core.raw_area import KST, RawArea
from streaming_jobs.lake_maintenance import maintain


def test_compaction_merges_small_files_and_vacuum_removes_the_old_ones(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    for batch in range(12):  # twelve 1-second micro-batches
        rows = pa.table(
            {
                "event_id": [f"e{batch}-{i}" for i in range(10)],
                "viewer_count": list(range(10)),
                "poll_date": pa.array([date(2026, 11, 26)] * 10, pa.date32()),
                "ingest_batch_id": [batch] * 10,
            }
        )
        lake.append("silver/stream_snapshots", rows, batch, ["poll_date"])
    before = lake.read("silver/stream_snapshots").sort_by("event_id")
    (report,) = maintain(lake, retention_hours=0)
    assert (report.files_before, report.files_after) == (12, 1)
    assert report.rows == 120 and report.vacuumed == 12
    assert lake.read("silver/stream_snapshots").sort_by("event_id").equals(before)
    assert lake.committed("silver/stream_snapshots", 11)  # batch ids survive compaction


def test_gst_lake_maintain_reports_sizes(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    for batch in range(3):
        lake.append(
            "bronze/records",
            pa.table({"payload": ["{}"], "source": ["steam"], "ingested_at": pa.array([datetime.now(UTC)])}),
            batch,
            ["source"],
        )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    env.update(GST_LAKE_ROOT=str(tmp_path / "lake"), COLUMNS="200")
    out = subprocess.run(
        [sys.executable, "-m", "gamestream", "lake", "maintain", "--retention-hours", "0"],
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert "bronze/records" in out.stdout and "3" in out.stdout and "1" in out.stdout


def make_raw_day(root, folder: str, day: str) -> None:
    path = root / folder / day / "10" / "fetch_x_1_stamp.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_the_lakes_upkeep_prunes_the_raw_archive(tmp_path):
    root = tmp_path / "lake" / "raw"
    today = datetime.now(KST).date()
    old, recent = (today - timedelta(days=10)).isoformat(), (today - timedelta(days=1)).isoformat()
    for day in (old, recent, today.isoformat()):
        make_raw_day(root, "twitch/streams", day)
    # no Delta tables here: only the pruning has work
    assert maintain(Lake(str(tmp_path / "lake")), raw=RawArea(str(root), retention_days=2)) == []
    assert sorted(p.name for p in (root / "twitch/streams").iterdir()) == [recent, today.isoformat()]
