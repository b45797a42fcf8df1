"""The seed archive format on its own (no lake): KST names to UTC, fetch runs to polls with
manifests, the page cap and failed pages in coverage, bad files and entries set aside."""

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch_jobs.imports.files import Files
from batch_jobs.imports.seed import SeedArchive, fetched_at
from gamestream.contracts import PollManifest
from gamestream.settings import Settings
from tests.support.seed_archive import Examples, write_examples


@pytest.fixture(scope="module")
def examples(tmp_path_factory: pytest.TempPathFactory) -> Examples:
    return write_examples(tmp_path_factory.mktemp("seed"))


@pytest.fixture(scope="module")
def units(examples: Examples):
    files = Files(str(examples.root), Settings(_env_file=None))
    archive = SeedArchive()
    plan = archive.plan(files.find())
    return plan, [archive.convert(group, files.read) for group in plan.units]


def manifest_of(unit) -> PollManifest:
    (found,) = [r.record for r in unit.records if isinstance(r.record, PollManifest)]
    return found


def test_kst_file_names_become_utc():
    assert fetched_at("2024-11-20_00-00-05") == datetime(2024, 11, 19, 15, 0, 5, tzinfo=UTC)
    assert fetched_at("2024-01-01-08-59-59") == datetime(
        2023, 12, 31, 23, 59, 59, tzinfo=UTC
    )  # the Glue jobs' spelling


def test_each_fetch_run_is_one_poll_in_utc(examples, units):
    plan, converted = units
    assert [Path(f.uri) for f in plan.ignored] == [examples.unrelated.resolve()]
    polls = {
        manifest_of(u).poll_id.split(":")[1] + "@" + str(manifest_of(u).scheduled_at): u for u in converted if u.polls
    }
    assert sorted(polls) == sorted(
        [
            f"seed_streams@{examples.cut}",
            f"seed_streams@{examples.bad_page}",
            f"seed_top_categories@{examples.categories}",
            f"seed_players@{examples.players}",
        ]
    )
    for unit in converted:
        if unit.polls:
            manifest = manifest_of(unit)
            assert manifest.record_count == len(unit.records) - 1  # what the files hold
            assert all(r.record.observed_at == manifest.scheduled_at for r in unit.records)
            assert all(r.record.poll_id == manifest.poll_id for r in unit.records)


def test_a_cut_listing_and_failed_pages_lower_coverage(examples, units):
    _, converted = units
    by_time = {(manifest_of(u).record_kind, manifest_of(u).scheduled_at): u for u in converted if u.polls}

    cut = by_time[("stream_snapshot", examples.cut)]
    manifest = manifest_of(cut)
    viewers = sorted(
        (r.record.stream_id, r.record.viewer_count) for r in cut.records if r.record.kind != "poll_manifest"
    )
    assert viewers == [("1", 500), ("2", 300), ("3", 200), ("4", 50), ("5", 100)]  # stream 3 once, as first seen
    assert (manifest.pages, manifest.pages_failed, manifest.coverage) == (3, 0, 0.75)  # a 4th page existed
    assert any("listing went on after page 3" in e for e in manifest.errors)
    assert any("entry 2 of twitch/streams/" in e and "viewer_count" in e for e in manifest.errors)
    assert manifest.interval_seconds == 3600  # the gap between the archive's two streams runs

    bad_page = manifest_of(by_time[("stream_snapshot", examples.bad_page)])
    assert (bad_page.record_count, bad_page.pages, bad_page.pages_failed, bad_page.coverage) == (1, 2, 1, 0.5)

    categories = by_time[("category_snapshot", examples.categories)]
    ranks = sorted((r.record.rank, r.record.game_name) for r in categories.records if r.record.kind != "poll_manifest")
    assert ranks == [(1, "Just Chatting"), (2, "Dota 2"), (3, "Fortnite")]  # ranked across pages

    steam = by_time[("player_count", examples.players)]
    counts = sorted((r.record.app_id, r.record.player_count) for r in steam.records if r.record.kind != "poll_manifest")
    assert counts == [(570, 800_000), (730, 1_200_000)]
    manifest = manifest_of(steam)
    assert (manifest.pages, manifest.pages_failed, manifest.coverage) == (4, 2, 0.5)
    assert any("app 999: no player count (result=42)" in e for e in manifest.errors)


def test_bad_files_and_entries_are_problems_with_file_and_position(examples, units):
    _, converted = units
    problems = sorted((Path(p.file).name, p.position, p.source, p.reason) for u in converted for p in u.problems)
    stamp, next_stamp = examples.kst(examples.cut), examples.kst(examples.bad_page)
    assert [(name, position, source) for name, position, source, _ in problems] == sorted(
        [
            (f"combined_players_{stamp}.json", 4, "steam"),
            ("fetch_streams_1.json", 0, "twitch"),
            (f"fetch_streams_2_{next_stamp}.json", 0, "twitch"),
            (f"fetch_streams_3_{stamp}.json", 2, "twitch"),
        ]
    )
    reasons = {name: reason for name, _, _, reason in problems}
    assert "invalid literal for int()" in reasons[f"combined_players_{stamp}.json"]
    assert "name does not follow the seed layout under twitch/streams/" in reasons["fetch_streams_1.json"]
    assert reasons[f"fetch_streams_2_{next_stamp}.json"].startswith("not JSON")
    assert "viewer_count" in reasons[f"fetch_streams_3_{stamp}.json"]


def test_units_are_named_by_their_bytes_and_layout_paths(examples, units, tmp_path):
    """The same runs found elsewhere are the same units; a changed page makes a new one."""
    _, converted = units
    copy = write_examples(tmp_path / "elsewhere" / "archive")
    files = Files(str(copy.root), Settings(_env_file=None))
    archive = SeedArchive()
    again = {archive.convert(g, files.read).digest for g in archive.plan(files.find()).units}
    original = {u.digest for u in converted}
    misnamed = {u.digest for u in converted if u.name == str(examples.misnamed.resolve())}
    assert len(again - original) == 1 and original - again == misnamed  # only it is named by its full path

    page = next(Path(copy.root).rglob(f"fetch_streams_1_{copy.kst(copy.cut)}.json"))
    page.write_text(page.read_text().replace('"viewer_count": 500', '"viewer_count": 501'))
    changed = {archive.convert(g, files.read).digest for g in archive.plan(files.find()).units}
    assert len(changed - again) == 1


def test_interval_follows_the_archive_or_the_option(examples):
    files = Files(str(examples.root), Settings(_env_file=None)).find()
    archive = SeedArchive(interval=14_400)
    archive.plan(files)
    assert set(archive.intervals.values()) == {14_400}
    inferred = SeedArchive()
    inferred.plan(files)
    assert examples.bad_page - examples.cut == timedelta(hours=1)
    assert inferred.intervals == {"streams": 3600.0, "top_categories": 3600.0, "players": 3600.0}  # one run: an hour
