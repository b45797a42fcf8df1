"""The seed archive format on its own (no lake), on files written the way the seed's scripts write
them: pages named by the moment each was saved (KST) chain into fetch runs, runs become polls with
manifests, the page caps and failed or lost pages set coverage, bad files and entries are set aside."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from batch_jobs.imports.files import Files
from batch_jobs.imports.seed import SeedArchive
from batch_jobs.imports.seed_layout import fetched_at
from gamestream.core.contracts import PollManifest
from gamestream.core.settings import Settings
from tests.support.seed_archive import (
    T0,
    Examples,
    helix_stream,
    kst_stamp,
    page_time,
    players,
    write_details,
    write_examples,
    write_helix_run,
    write_players_run,
)


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
            f"seed_streams@{page_time(examples.orphan, 2)}",  # its first page in the archive is page 2
            f"seed_streams@{examples.untimestamped}",
            f"seed_top_categories@{examples.categories}",
            f"seed_players@{examples.players}",
        ]
    )
    for unit in converted:
        if unit.polls:
            manifest = manifest_of(unit)
            records = [r.record for r in unit.records if r.record is not manifest]
            assert manifest.record_count == len(records)  # what the files hold
            assert all(r.poll_id == manifest.poll_id for r in records)
            # each page's records carry the time that page was saved; the poll is the run's first page's
            assert all(manifest.scheduled_at <= r.observed_at <= manifest.finished_at for r in records)
    cut = next(
        u
        for u in converted
        if u.polls and manifest_of(u).poll_id.endswith(f"seed_streams:{int(examples.cut.timestamp())}")
    )
    assert {str(r.record.observed_at) for r in cut.records if r.position} == {
        str(page_time(examples.cut, n)) for n in (1, 2, 3)
    }


def test_a_run_that_ended_early_a_missing_page_and_the_caps_set_coverage(examples, units):
    _, converted = units
    by_time = {(manifest_of(u).record_kind, manifest_of(u).scheduled_at): u for u in converted if u.polls}

    cut = by_time[("stream_snapshot", examples.cut)]
    manifest = manifest_of(cut)
    viewers = sorted(
        (r.record.stream_id, r.record.viewer_count) for r in cut.records if r.record.kind != "poll_manifest"
    )
    assert viewers == [("1", 500), ("2", 300), ("3", 200), ("4", 50), ("5", 100)]  # stream 3 once, as first seen
    assert (manifest.pages, manifest.pages_failed, manifest.coverage) == (4, 1, 0.75)  # a 4th page was not read
    assert any("page 4: the listing went on, but the run ended after page 3" in e for e in manifest.errors)
    assert any("entry 2 of twitch/streams/" in e and "viewer_count" in e for e in manifest.errors)
    assert manifest.interval_seconds == 4 * 3600  # the usual gap between the archive's streams runs
    assert cut.run is not None and cut.run.chains and cut.run.coverage == 0.75

    bad_page = manifest_of(by_time[("stream_snapshot", examples.bad_page)])
    assert (bad_page.record_count, bad_page.pages, bad_page.pages_failed, bad_page.coverage) == (1, 2, 1, 0.5)

    orphan_unit = by_time[("stream_snapshot", page_time(examples.orphan, 2))]
    orphan = manifest_of(orphan_unit)
    assert (orphan.record_count, orphan.pages, orphan.pages_failed, orphan.coverage) == (2, 3, 1, 0.6667)
    assert any("page 1 is not in the archive" in e for e in orphan.errors)
    assert orphan_unit.run is not None and orphan_unit.run.missing == [1] and not orphan_unit.run.chains

    old = by_time[("stream_snapshot", examples.untimestamped)]
    assert (manifest_of(old).record_count, manifest_of(old).coverage) == (2, 1.0)
    assert old.run is not None and not old.run.stamped

    categories = by_time[("category_snapshot", examples.categories)]
    ranks = sorted((r.record.rank, r.record.game_name) for r in categories.records if r.record.kind != "poll_manifest")
    assert ranks == [(1, "Just Chatting"), (2, "Dota 2"), (3, "Fortnite")]  # ranked across pages
    assert manifest_of(categories).coverage == 1.0  # page 2 still had a cursor: the seed's own cap

    steam = by_time[("player_count", examples.players)]
    counts = sorted((r.record.app_id, r.record.player_count) for r in steam.records if r.record.kind != "poll_manifest")
    assert counts == [(570, 800_000), (730, 1_200_000)]
    manifest = manifest_of(steam)
    assert (manifest.pages, manifest.pages_failed, manifest.coverage) == (4, 2, 0.5)
    assert any("app 999: no player count (result=42)" in e for e in manifest.errors)


def test_pages_on_a_running_clock_chain_into_runs(tmp_path):
    """Pages named by the moment each was saved: a run across an hour folder, two runs in one hour
    folder (a failed run and its retry), a run with a middle page lost, a stream that moved a page."""
    first = datetime(2025, 3, 1, 18, 59, 50, tzinfo=UTC)  # KST 03:59:50: pages 7.. are in the 04 folder
    streams = [[helix_stream(100 * p + i, "Dota 2", 10 + i) for i in range(100)] for p in range(12)]
    streams[1][0] = dict(streams[0][99], viewer_count=999)  # moved from page 1 to page 2 while paging
    crossing = write_helix_run(tmp_path, "streams", first, streams)
    assert {p.parent.name for p in crossing} == {"03", "04"} and len({p.name[-24:] for p in crossing}) == 12
    failed_at = datetime(2025, 3, 1, 23, 0, 3, tzinfo=UTC)  # KST 08:00:03
    write_helix_run(tmp_path, "streams", failed_at, [[helix_stream(5000, "Rust", 5)]] * 3, listing_goes_on=True)
    retry_at = failed_at + timedelta(minutes=5, seconds=8)
    write_helix_run(tmp_path, "streams", retry_at, [[helix_stream(6000 + p, "Rust", 7)] for p in range(4)])
    lost_at = datetime(2025, 3, 2, 3, 0, 9, tzinfo=UTC)
    write_helix_run(
        tmp_path, "streams", lost_at, [[helix_stream(7000 + p, "Rust", 1)] for p in range(5)], lost_pages=(3,)
    )
    assert len(list((tmp_path / "data/raw/twitch/streams/2025-03-02/08").iterdir())) == 7  # two runs, one folder

    files = Files(str(tmp_path), Settings(_env_file=None))
    archive = SeedArchive()
    plan = archive.plan(files.find())
    assert [(run.start, run.pages, run.missing) for run in plan.runs] == [
        (first, 12, []),
        (failed_at, 3, []),
        (retry_at, 4, []),
        (lost_at, 4, [3]),
    ]
    converted = [archive.convert(group, files.read) for group in plan.units]
    manifests = [manifest_of(u) for u in converted]
    assert [(m.record_count, m.pages, m.pages_failed, m.coverage) for m in manifests] == [
        (1199, 12, 0, 1.0),  # 1,200 entries, one stream twice: counted once, as first seen
        (1, 4, 1, 0.75),  # the same stream on each page; the run ended on a failed request
        (4, 4, 0, 1.0),
        (4, 5, 1, 0.8),
    ]
    moved = [r.record for r in converted[0].records if getattr(r.record, "stream_id", None) == streams[0][99]["id"]]
    assert [m.viewer_count for m in moved] == [streams[0][99]["viewer_count"]]
    assert archive.intervals == {"streams": 14_100.0}  # the data's: the median gap (3:54:58), to the minute
    assert manifests[0].finished_at == page_time(first, 12)


def test_steam_names_come_from_the_archive_details(tmp_path):
    write_players_run(tmp_path, T0, {440: players(50_000), 570: players(800_000)})
    write_details(tmp_path, T0 - timedelta(days=1), {440: "Team Fortress 2 (old name)"})
    write_details(tmp_path, T0, {440: "Team Fortress 2"})
    files = Files(str(tmp_path), Settings(_env_file=None))
    archive = SeedArchive()
    plan = archive.plan(files.find())
    assert (len(plan.units), len(plan.used), plan.ignored) == (1, 2, [])
    (unit,) = [archive.convert(group, files.read) for group in plan.units]
    names = {r.record.app_id: r.record.app_name for r in unit.records if r.record.kind == "player_count"}
    assert names == {440: "Team Fortress 2", 570: "Dota 2"}  # the newest details; our catalog for the rest
    assert any("cannot be known" in note for note in archive.notes())
    assert archive.intervals == {"players": 4 * 3600.0}  # one run: the seed's schedule


def test_bad_files_and_entries_are_problems_with_file_and_position(examples, units):
    _, converted = units
    problems = sorted((Path(p.file).name, p.position, p.source, p.reason) for u in converted for p in u.problems)
    stamp = examples.kst(examples.cut)
    bad_page = examples.kst(page_time(examples.bad_page, 2))
    assert [(name, position, source) for name, position, source, _ in problems] == sorted(
        [
            (f"combined_players_{stamp}.json", 4, "steam"),
            ("streams_page1.json", 0, "twitch"),
            (f"fetch_streams_2_{bad_page}.json", 0, "twitch"),
            (f"fetch_streams_3_{examples.kst(page_time(examples.cut, 3))}.json", 2, "twitch"),
        ]
    )
    reasons = {name: reason for name, _, _, reason in problems}
    assert "invalid literal for int()" in reasons[f"combined_players_{stamp}.json"]
    assert "name does not follow the seed layout under twitch/streams/" in reasons["streams_page1.json"]
    assert reasons[f"fetch_streams_2_{bad_page}.json"].startswith("not JSON")


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
    archive = SeedArchive(interval=3600)
    archive.plan(files)
    assert set(archive.intervals.values()) == {3600}
    inferred = SeedArchive()
    inferred.plan(files)
    # streams runs 4 hours apart; one run of the other kinds: the seed's schedule
    assert inferred.intervals == {"streams": 14_400.0, "top_categories": 14_400.0, "players": 14_400.0}


def test_our_archive_a_poll_with_no_page_a_broken_gzip_and_a_broken_manifest(tmp_path):
    """Our own raw archive (gzip pages, a run manifest beside page 1): a poll none of whose pages
    was kept is still a poll (its manifest's coverage); a page that is not gzip and a manifest that
    is not one are quarantined."""
    raw = tmp_path / "raw" / "twitch" / "streams" / "2026-12-06" / "10"
    raw.mkdir(parents=True)
    at = datetime(2026, 12, 6, 1, 0, 0, tzinfo=UTC)  # 10:00 KST
    stamp = kst_stamp(at)[2]

    def manifest(poll_kind: str, pages: list[dict], coverage: float, count: int) -> dict:
        sent = PollManifest.create(
            source="twitch",
            observed_at=at,
            poll_id=f"twitch:{poll_kind}:{int(at.timestamp())}",
            platform="twitch",
            record_kind="stream_snapshot",
            record_count=count,
            scheduled_at=at,
            started_at=at,
            finished_at=at,
            interval_seconds=60,
            pages=1,
            pages_failed=1 if coverage == 0 else 0,
            coverage=coverage,
        )
        return {"format": "gst-raw-archive/1", "pages": pages, "manifest": json.loads(sent.to_json())}

    (raw / f"run_twitch_sweep_{stamp}.manifest.json").write_text(json.dumps(manifest("twitch_sweep", [], 0.0, 0)))
    later = kst_stamp(at + timedelta(minutes=1))[2]
    (raw / f"fetch_streams_1_{later}.json.gz").write_bytes(b"not gzip at all")
    page = {"page": 1, "path": f"twitch/streams/2026-12-06/10/fetch_streams_1_{later}.json.gz", "fetched_at": "x"}
    (raw / f"run_twitch_head_{later}.manifest.json").write_text(json.dumps(manifest("twitch_head", [page], 1.0, 1)))

    files = Files(str(tmp_path / "raw"), Settings(_env_file=None))
    archive = SeedArchive()
    plan = archive.plan(files.find())
    assert plan.ignored == [] and len(plan.units) == 2
    empty, broken = [archive.convert(group, files.read) for group in plan.units]
    (only,) = [r.record for r in empty.records]
    assert (only.poll_id, only.record_count, only.coverage) == (f"twitch:twitch_sweep:{int(at.timestamp())}", 0, 0.0)
    reasons = sorted(p.reason for p in broken.problems)
    assert reasons[0].startswith("not a run manifest: Invalid isoformat string")  # its page's fetched_at
    assert reasons[1].startswith("not gzip:")
    assert [r.record.kind for r in broken.records] == ["poll_manifest"]  # read as the seed's: a failed page
