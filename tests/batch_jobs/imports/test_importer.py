"""`gst import` of an archive written the way the seed's scripts write it (a month of its 4-hourly
Twitch and Steam runs, pages named by the moment each was saved, with every quirk, plus fetch runs
with every fault) into a lake, through the backfill, gold and the API, against the month's figures
computed independently from what the files hold; imported again from the folder and from S3, it adds
nothing."""

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from batch_jobs.imports.chunk_writer import IMPORT_STREAM
from batch_jobs.imports.files import NothingToImport
from batch_jobs.imports.importer import run_import
from gamestream.core import lake as L
from gamestream.core.aws import aws_client
from realtime_api.app import create_app
from streaming_jobs.games import identify
from tests.support.s3 import s3_server, upload_folder
from tests.support.seed_archive import Examples, Month, page_time, write_examples, write_month

GAMES = ["Dota 2", "Fortnite", "Minecraft", "League of Legends"]
# the examples' files in the layout: 3 + 2 + 2 (orphan) + 2 (untimestamped) streams pages, 2 category pages,
# 1 players file, 1 misnamed
EXAMPLE_FILES = 13
EXAMPLE_POLLS = 6
TABLES = [L.BRONZE, L.QUARANTINE, *(f"silver/{t}" for t in (*L.SILVER_TABLES, "poll_manifests")), L.POLLS, L.TOTALS]


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> tuple[Examples, Month]:
    root = tmp_path_factory.mktemp("seed-archive")
    return write_examples(root), write_month(root, GAMES, 2016, 1)


@pytest.fixture(scope="module")
def imported(spark, stack, archive, tmp_path_factory):
    folder = tmp_path_factory.mktemp("imported")
    settings = stack.settings.model_copy(
        update={
            "lake_root": str(folder / "lake"),
            "warehouse_url": f"duckdb:///{folder / 'warehouse.duckdb'}",
            "data_dir": folder,
            "redis_url": stack.settings.redis_url.rsplit("/", 1)[0] + "/6",
            "import_workers": 2,  # converted in worker processes, as a large import is
        }
    )
    report = run_import(settings, str(archive[0].root), "seed", lambda: spark, show_progress=False)
    assert report.workers == 2
    return settings, report


def table(settings, name: str) -> pd.DataFrame:
    found = L.Lake(settings.lake_path).read(name)
    assert found is not None, f"{name} was not written"
    return found.to_pandas()


def versions(settings) -> dict[str, int | None]:
    lake = L.Lake(settings.lake_path)
    return {name: (t.version() if (t := lake.table(name)) is not None else None) for name in TABLES}


def test_the_summary_counts_what_was_imported_and_doubts_what_does_not_chain(imported, archive):
    settings, report = imported
    examples, month = archive
    assert (report.files, report.ignored, report.used) == (month.files + EXAMPLE_FILES, 1, 1)
    polls = len(month.runs) + len(month.players)
    assert report.polls == polls + EXAMPLE_POLLS
    examples_records = 5 + 1 + 2 + 2 + 3 + 2  # streams (cut, bad page, orphan, untimestamped), categories, Steam
    assert report.records == month.records + examples_records + EXAMPLE_POLLS
    assert report.records == len(table(settings, L.BRONZE)) == report.backfill.records
    assert (report.quarantined, report.skipped_files, report.failed) == (4, 0, [])
    assert report.backfill.invalid == 0 and report.backfill.gold is not None and report.backfill.gold.rows > 0
    # every run found, converted, with its coverage; the lost page and the orphan do not chain
    assert len(report.converted_runs) == len(report.runs) == polls + EXAMPLE_POLLS
    partial = [run.start for run in report.partial_runs]
    assert len(partial) == sum(run.partial for run in month.runs) + 4  # the examples: cut, bad page, orphan, Steam
    assert report.lowest_coverage == 0.5
    assert sorted(run.start for run in report.unchained_runs) == sorted(
        [next(run.at for run in month.runs if not run.chains), page_time(examples.orphan, 2)]
    )
    assert report.doubts == ["2 runs do not chain (a page 1 or a middle page is not in the archive)"]
    assert (
        report.worst_runs()[0].files[0].endswith(f"fetch_streams_2_{examples.kst(page_time(examples.orphan, 2))}.json")
    )
    assert any("cannot be known" in note for note in report.notes)


def test_each_fetch_run_is_a_poll_in_silver_with_its_coverage(imported, archive):
    settings, _ = imported
    examples, month = archive
    polls = table(settings, L.POLLS).set_index("poll_id")
    assert len(polls) == len(month.runs) + len(month.players) + EXAMPLE_POLLS and set(polls.status) == {"complete"}
    assert polls.scheduled_at.min() == month.runs[0].at  # the seed's KST names, in UTC

    def poll(kind: str, at: datetime) -> pd.Series:
        return polls.loc[f"{'steam' if kind == 'seed_players' else 'twitch'}:{kind}:{int(at.timestamp())}"]

    assert poll("seed_streams", examples.cut)[["expected", "received", "coverage"]].tolist() == [5, 5, 0.75]
    assert poll("seed_streams", examples.bad_page)[["expected", "received", "coverage"]].tolist() == [1, 1, 0.5]
    assert poll("seed_streams", page_time(examples.orphan, 2))[["expected", "coverage"]].tolist() == [2, 0.6667]
    assert poll("seed_streams", examples.untimestamped)[["expected", "coverage"]].tolist() == [2, 1.0]
    assert poll("seed_top_categories", examples.categories)[["expected", "coverage"]].tolist() == [3, 1.0]
    assert poll("seed_players", examples.players)[["expected", "coverage"]].tolist() == [2, 0.5]

    totals = table(settings, L.TOTALS)
    cut = totals[totals.poll_id == f"twitch:seed_streams:{int(examples.cut.timestamp())}"].set_index("game_key")
    assert cut[["viewers", "channels", "mature_channels"]].to_dict("index") == {
        "dota 2": {"viewers": 900, "channels": 3, "mature_channels": 0},
        "fortnite": {"viewers": 200, "channels": 1, "mature_channels": 0},  # stream 3 once, as first seen
        "minecraft": {"viewers": 50, "channels": 1, "mature_channels": 1},
    }


def test_bad_files_and_entries_are_quarantined_with_file_and_reason(imported, archive):
    settings, report = imported
    examples, _ = archive
    rows = table(settings, L.QUARANTINE)
    assert set(rows.stream) == {IMPORT_STREAM} and set(rows.ingest_run) == {report.run_id}
    found = sorted(zip(rows.shard_id.map(lambda p: Path(p).name), rows.sequence_number, rows.reason))
    stamp = examples.kst(examples.cut)
    assert [(name, position) for name, position, _ in found] == sorted(
        [
            (f"combined_players_{stamp}.json", "4"),
            ("streams_page1.json", "0"),
            (f"fetch_streams_2_{examples.kst(page_time(examples.bad_page, 2))}.json", "0"),
            (f"fetch_streams_3_{examples.kst(page_time(examples.cut, 3))}.json", "2"),
        ]
    )
    assert all(reason for _, _, reason in found)
    assert rows.shard_id.map(lambda p: Path(p).is_relative_to(examples.root)).all()
    bronze = table(settings, L.BRONZE)
    assert set(bronze.stream) == {IMPORT_STREAM} and bronze.shard_id.str.endswith(".json").all()


def test_importing_again_from_the_folder_or_s3_adds_nothing(imported, archive, spark, tmp_path):
    settings, first = imported
    examples, _ = archive
    before = versions(settings)
    again = run_import(settings, str(examples.root), "seed", lambda: spark, show_progress=False)
    assert (again.skipped_files, again.records, again.quarantined, again.units) == (first.files, 0, 0, 0)
    assert again.backfill is None and versions(settings) == before

    only = tmp_path / "examples"  # the example runs alone, uploaded under the seed's own prefix
    write_examples(only)
    with s3_server() as endpoint:
        remote = settings.model_copy(update={"aws_endpoint_url": endpoint})
        assert upload_folder(aws_client(remote, "s3"), only, "seed-archive") == EXAMPLE_FILES + 1
        from_s3 = run_import(remote, "s3://seed-archive/data/raw/", "seed", lambda: spark, show_progress=False)
        with pytest.raises(NothingToImport, match="no files under s3://seed-archive/elsewhere"):
            run_import(remote, "s3://seed-archive/elsewhere", "seed", lambda: spark, show_progress=False)
        with pytest.raises(NothingToImport, match="cannot list s3://no-such-bucket"):
            run_import(remote, "s3://no-such-bucket/data", "seed", lambda: spark, show_progress=False)
    # the same runs read from S3 are the same units: all but the misnamed file, which is named by its location
    assert (from_s3.files, from_s3.ignored, from_s3.records) == (EXAMPLE_FILES, 1, 0)
    assert (from_s3.skipped_files, from_s3.quarantined) == (EXAMPLE_FILES - 1, 1)
    assert versions(settings)[L.BRONZE] == before[L.BRONZE] and from_s3.backfill is None
    quarantined = table(settings, L.QUARANTINE).shard_id
    assert (quarantined == "s3://seed-archive/data/raw/twitch/streams/2024-11-20/00/streams_page1.json").sum() == 1


def test_a_month_comes_back_through_gold_and_the_api_within_a_hundredth_of_a_percent(imported, archive):
    """The month's figures per game (Twitch: average and peak viewers, hours watched, average
    channels; Steam: average players over the runs that sampled the app, and the peak), as the
    game's monthly table and the platform's month table give them, against the same definitions
    computed from what the files hold."""
    settings, _ = imported
    _, month = archive
    with TestClient(create_app(settings, dashboard=None)) as client:
        for platform, expected in (("twitch", month.twitch()), ("steam", month.steam())):
            table = client.get(f"/api/platforms/{platform}/months/{month.label}", params={"include_non_games": True})
            assert table.status_code == 200, table.text
            ranked = {item["game_key"]: item for item in table.json()["items"]}
            assert set(ranked) == {identify(game).key for game in expected}
            for game, figures in expected.items():
                key = identify(game).key
                answer = client.get(f"/api/games/{quote(key)}/months", params={"platform": platform})
                assert answer.status_code == 200, answer.text
                months = {m["month"]: m for m in answer.json()["months"][platform]}
                for row in (months[month.label], ranked[key]):
                    for name, want in figures.items():
                        assert abs(row[name] - want) <= 1e-4 * want, (platform, game, name, row[name], want)
        steam = {
            item["game_key"]: item["name"]
            for item in client.get(f"/api/platforms/steam/months/{month.label}").json()["items"]
        }
        assert steam[identify("Team Fortress 2").key] == "Team Fortress 2"  # named by the archive's details file
