"""The lake's raw area: retention deletes whole KST day folders past it. (Its layout as the pollers
write it, locally and on S3: tests/producers/test_raw_archive.py; upkeep pruning it:
tests/streaming_jobs/test_lake_maintenance.py.)"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from gamestream.core.raw_area import RawArea


def make_day(root: Path, folder: str, day: str) -> None:
    path = root / folder / day / "10" / "fetch_x_1_stamp.json.gz"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x")


def test_retention_deletes_only_day_folders_past_it(tmp_path):
    root = tmp_path / "lake" / "raw"
    days = ["2026-11-22", "2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]
    for folder in ("twitch/streams", "twitch/top_categories", "steam/players"):
        for day in days:
            make_day(root, folder, day)
    other = root / "steam" / "app-list" / "appids.json"  # not a day folder: never pruned
    other.parent.mkdir(parents=True)
    other.write_text("[570]")
    now = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)  # 12:00 KST: two days back is 11-24 12:00 KST

    assert RawArea(str(root), retention_days=0).prune(now) == []  # 0: keep forever
    removed = RawArea(str(root), retention_days=2).prune(now)
    assert removed == sorted(
        f"{f}/{d}" for f in ("steam/players", "twitch/streams", "twitch/top_categories") for d in days[:2]
    )
    left = {p.relative_to(root).parts[2] for p in root.rglob("*.gz")}
    assert left == set(days[2:]) and other.exists()
