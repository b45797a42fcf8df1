"""`gst import` of a seed-shaped archive (a month of hourly Twitch polls with known values, plus
fetch runs with every fault) into a lake, through the backfill, gold and the API; imported again
from the folder and from S3, it adds nothing."""

from datetime import datetime
from pathlib import Path
from urllib.parse import quote

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from batch_jobs.imports.files import NothingToImport
from batch_jobs.imports.importer import IMPORT_STREAM, run_import
from gamestream.aws import aws_client
from realtime_api.app import create_app
from streaming_jobs import lake as L
from streaming_jobs.games import identify
from tests.support.s3 import s3_server, upload_folder
from tests.support.seed_archive import Examples, Month, write_examples, write_month

GAMES = ["Dota 2", "Fortnite", "Minecraft", "League of Legends"]
EXAMPLE_FILES = 9  # the examples' files in the layout: 3 + 2 streams pages, 2 category pages, 1 players, 1 misnamed
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
        }
    )
    report = run_import(settings, str(archive[0].root), "seed", lambda: spark, show_progress=False)
    return settings, report


def table(settings, name: str) -> pd.DataFrame:
    found = L.Lake(settings.lake_path).read(name)
    assert found is not None, f"{name} was not written"
    return found.to_pandas()


def versions(settings) -> dict[str, int | None]:
    lake = L.Lake(settings.lake_path)
    return {name: (t.version() if (t := lake.table(name)) is not None else None) for name in TABLES}


def test_the_summary_counts_what_was_imported(imported, archive):
    settings, report = imported
    examples, month = archive
    assert (report.files, report.ignored) == (month.polls + EXAMPLE_FILES, 1)
    assert report.polls == month.polls + 4
    examples_records = 6 + 3 + 2  # streams (one repeated, one bad), categories, Steam counts
    assert report.records == month.streams + examples_records + report.polls
    assert report.records == len(table(settings, L.BRONZE)) == report.backfill.records
    assert (report.quarantined, report.skipped_files, report.failed) == (4, 0, [])
    assert report.observed == (month.start, examples.bad_page)
    assert report.backfill.invalid == 0 and report.backfill.gold is not None and report.backfill.gold.rows > 0


def test_each_fetch_run_is_a_poll_in_silver_with_its_coverage(imported, archive):
    settings, _ = imported
    examples, month = archive
    polls = table(settings, L.POLLS).set_index("poll_id")
    assert len(polls) == month.polls + 4 and set(polls.status) == {"complete"}
    assert polls.scheduled_at.min() == month.start  # the seed's KST names, in UTC

    def poll(kind: str, at: datetime) -> pd.Series:
        return polls.loc[f"{'steam' if kind == 'seed_players' else 'twitch'}:{kind}:{int(at.timestamp())}"]

    assert poll("seed_streams", examples.cut)[["expected", "received", "coverage"]].tolist() == [5, 5, 0.75]
    assert poll("seed_streams", examples.bad_page)[["expected", "received", "coverage"]].tolist() == [1, 1, 0.5]
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
    stamp, next_stamp = examples.kst(examples.cut), examples.kst(examples.bad_page)
    assert [(name, position) for name, position, _ in found] == sorted(
        [
            (f"combined_players_{stamp}.json", "4"),
            ("fetch_streams_1.json", "0"),
            (f"fetch_streams_2_{next_stamp}.json", "0"),
            (f"fetch_streams_3_{stamp}.json", "2"),
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
    assert (quarantined == "s3://seed-archive/data/raw/twitch/streams/2024-11-20/00/fetch_streams_1.json").sum() == 1


def test_a_month_comes_back_through_gold_and_the_api_within_a_hundredth_of_a_percent(imported, archive):
    """The month's time-weighted mean and peak per game, as the game's monthly table and the
    platform's month table give them, against the generated figures."""
    settings, _ = imported
    _, month = archive
    label = month.start.strftime("%Y-%m")
    with TestClient(create_app(settings, dashboard=None)) as client:
        table = client.get(f"/api/platforms/twitch/months/{label}", params={"include_non_games": True})
        assert table.status_code == 200, table.text
        ranked = {item["game_key"]: item for item in table.json()["items"]}
        for game in GAMES:
            key = identify(game).key
            answer = client.get(f"/api/games/{quote(key)}/months", params={"platform": "twitch"})
            assert answer.status_code == 200, answer.text
            months = {m["month"]: m for m in answer.json()["months"]["twitch"]}
            for row in (months[label], ranked[key]):
                mean, peak = row["avg_viewers"], row["peak_viewers"]
                assert abs(mean - month.mean(game)) <= 1e-4 * month.mean(game), (game, mean, month.mean(game))
                assert abs(peak - month.peak(game)) <= 1e-4 * month.peak(game), (game, peak, month.peak(game))
