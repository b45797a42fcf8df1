"""JSON-lines files of the project's records: each line checked with the contract, bad lines
quarantined with their number, the rest through the backfill into silver; a second import adds nothing."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from batch_jobs.imports.files import Files, NothingToImport
from batch_jobs.imports.importer import run_import
from batch_jobs.imports.jsonl import JsonLines
from gamestream.core import lake as L
from gamestream.core.contracts import PollManifest, StreamSnapshot
from gamestream.core.settings import Settings

AT = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
POLL = f"twitch:twitch_head:{int(AT.timestamp())}"


def records() -> list[str]:
    streams = [
        StreamSnapshot.create(
            source="twitch",
            observed_at=AT,
            poll_id=POLL,
            stream_id=str(n),
            channel_id=f"c{n}",
            channel_name=f"Channel {n}",
            game_name=game,
            viewer_count=viewers,
        )
        for n, (game, viewers) in enumerate([("Dota 2", 700), ("Dota 2", 300), ("Fortnite", 90)], start=1)
    ]
    manifest = PollManifest.create(
        source="twitch",
        observed_at=AT,
        poll_id=POLL,
        platform="twitch",
        record_kind="stream_snapshot",
        record_count=3,
        scheduled_at=AT,
        started_at=AT,
        finished_at=AT,
        interval_seconds=60,
    )
    return [r.to_json() for r in [*streams, manifest]]


@pytest.fixture()
def folder(tmp_path: Path) -> Path:
    lines = records()
    tampered = (
        lines[0].replace('"viewer_count":700', '"viewer_count":701').replace('"stream_id":"1"', '"stream_id":"9"')
    )
    content = [lines[0], "{not json", "", lines[1], tampered, lines[2], lines[3]]
    (tmp_path / "export").mkdir()
    (tmp_path / "export" / "records.jsonl").write_text("\n".join(content) + "\n")
    (tmp_path / "export" / "notes.txt").write_text("not records")
    return tmp_path / "export"


def test_each_line_is_checked_with_the_contract(folder):
    files = Files(str(folder), Settings(_env_file=None)).find()
    plan = JsonLines().plan(files)
    assert [Path(f.uri).name for f in plan.ignored] == ["notes.txt"]
    (group,) = plan.units
    unit = JsonLines().convert(group, lambda f: Path(f.uri).read_bytes())
    assert [(r.position, r.record.kind) for r in unit.records] == [
        (1, "stream_snapshot"),
        (4, "stream_snapshot"),
        (6, "stream_snapshot"),
        (7, "poll_manifest"),
    ]
    assert [(p.position, p.source) for p in unit.problems] == [(2, "unknown"), (5, "twitch")]
    assert (
        unit.problems[0].reason.startswith("invalid record: field 'record'") and "not JSON" in unit.problems[0].reason
    )
    assert "event_id" in unit.problems[1].reason and unit.problems[1].payload.startswith("{")


def test_an_empty_file_is_a_problem_not_silence(tmp_path):
    empty = tmp_path / "empty.jsonl"
    empty.write_text("")
    (group,) = JsonLines(single_file=True).plan(Files(str(empty), Settings(_env_file=None)).find()).units
    unit = JsonLines().convert(group, lambda f: b"")
    assert unit.records == [] and [p.reason for p in unit.problems] == ["no records: the file is empty"]


def test_records_reach_silver_and_bad_lines_quarantine_once(spark, stack, folder, tmp_path):
    settings = stack.settings.model_copy(update={"lake_root": str(tmp_path / "lake"), "data_dir": tmp_path})
    report = run_import(settings, str(folder), "jsonl", lambda: spark, load_gold=False, show_progress=False)
    assert (report.files, report.ignored, report.records, report.polls, report.quarantined) == (1, 1, 4, 1, 2)
    lake = L.Lake(settings.lake_path)
    streams = lake.read("silver/stream_snapshots").to_pandas()
    assert sorted(zip(streams.stream_id, streams.viewer_count)) == [("1", 700), ("2", 300), ("3", 90)]
    (poll,) = lake.read(L.POLLS).to_pylist()
    assert (poll["poll_id"], poll["status"], poll["received"]) == (POLL, "complete", 3)
    totals = lake.read(L.TOTALS).to_pandas().set_index("game_key").viewers.to_dict()
    assert totals == {"dota 2": 1000, "fortnite": 90}
    quarantine = lake.read(L.QUARANTINE).to_pandas()
    assert sorted(zip(quarantine.shard_id, quarantine.sequence_number)) == [
        (str((folder / "records.jsonl").resolve()), "2"),
        (str((folder / "records.jsonl").resolve()), "5"),
    ]

    again = run_import(settings, str(folder), "jsonl", lambda: spark, load_gold=False, show_progress=False)
    assert (again.skipped_files, again.records, again.quarantined, again.backfill) == (1, 0, 0, None)
    assert len(lake.read(L.QUARANTINE)) == 2 and len(lake.read(L.BRONZE)) == 4
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("not records")
    with pytest.raises(NothingToImport, match="1 files under .*other, none of them JSON-lines"):
        run_import(settings, str(other), "jsonl", lambda: spark)


def test_the_same_file_twice_in_one_import_is_written_once(spark, stack, folder, tmp_path):
    (folder / "backup").mkdir()
    (folder / "backup" / "records.jsonl").write_bytes((folder / "records.jsonl").read_bytes())
    settings = stack.settings.model_copy(update={"lake_root": str(tmp_path / "lake"), "data_dir": tmp_path})
    report = run_import(settings, str(folder), "jsonl", lambda: spark, load_gold=False, show_progress=False)
    assert (report.records, report.quarantined, report.skipped_files) == (4, 2, 1)
    lake = L.Lake(settings.lake_path)
    assert len(lake.read(L.BRONZE)) == 4 and len(lake.read(L.QUARANTINE)) == 2
