"""The raw archive the Twitch and Steam pollers write: the seed's layout and names (KST folders,
a stamp per page), gzip of the bytes the platform served, a manifest per run, retention."""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from batch_jobs.imports.files import Files
from batch_jobs.imports.seed import SeedArchive
from gamestream.core.aws import aws_client
from gamestream.core.clock import ManualClock
from gamestream.core.raw_area import RawArea
from producers.poll_loop import PollLoop
from producers.steam import SteamPoller
from producers.twitch import TwitchPoller
from tests.support.platforms import Logged, make_streams
from tests.support.s3 import s3_server
from tests.support.seed_archive import kst_stamp

# 2026-11-26 23:59:57 KST: a poll's pages straddle the hour (and the day) in the seed's KST folders
START = datetime(2026, 11, 26, 14, 59, 57, tzinfo=UTC)
MANIFEST_KEYS = {
    "format",
    "poll_id",
    "poll_kind",
    "source",
    "platform",
    "record_kind",
    "scheduled_at",
    "started_at",
    "finished_at",
    "interval_seconds",
    "planned_pages",
    "pages",
    "failed",
    "manifest",
}


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture()
def archiving(settings, tmp_path):
    return settings.model_copy(update={"raw_archive": True, "lake_root": str(tmp_path / "lake")})


def served(fixture, path: str) -> list[Logged]:
    return [e for e in fixture.state.log if e.path == path and e.status == 200]


def page_path(kind: str, page: int | None, at: datetime) -> str:
    """Where the seed kept a page fetched at `at` (its oracle: tests/support/seed_archive.py), plus .gz."""
    day, hour, stamp = kst_stamp(at)
    if kind == "players":
        return f"steam/players/{day}/{hour}/combined_players_{stamp}.json.gz"
    return f"twitch/{kind}/{day}/{hour}/fetch_{kind}_{page}_{stamp}.json.gz"


def manifest_path(kind: str, poll_kind: str, at: datetime) -> str:
    day, hour, stamp = kst_stamp(at)
    folder = "steam/players" if kind == "players" else f"twitch/{kind}"
    return f"{folder}/{day}/{hour}/run_{poll_kind}_{stamp}.manifest.json"


def iso(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def files(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def head_slot(poller: TwitchPoller, clock: ManualClock) -> datetime:
    slot = clock.now() - timedelta(seconds=clock.now().timestamp() % poller.interval)
    assert not poller.is_sweep(slot)
    return slot


def sent_manifest(sink, record_kind: str) -> dict[str, Any]:
    (manifest,) = [m for m in sink.of_kind("poll_manifest") if m.record_kind == record_kind]
    return json.loads(manifest.to_json())


def test_twitch_pages_keep_the_seeds_names_per_page_across_the_hour(fixture, archiving, clock, sink, tmp_path):
    fixture.state.streams = make_streams(250)
    fixture.state.games = [{"id": "21779", "name": "League of Legends", "box_art_url": "", "igdb_id": "115"}]
    fixture.state.latency = 0.7  # each page a little later: the third lands in the next KST hour and day
    poller = TwitchPoller(archiving, clock)
    slot = head_slot(poller, clock)
    PollLoop(poller, sink, clock).run_slot(slot)
    poller.close()  # waits for the archive's writes

    root = tmp_path / "lake" / "raw"
    pages = served(fixture, "/helix/streams")
    (top,) = served(fixture, "/helix/games/top")
    assert len(pages) == 3
    expected_pages = [page_path("streams", n, e.at) for n, e in enumerate(pages, start=1)]
    assert len({p.rsplit("/", 1)[0] for p in expected_pages}) == 2  # two hour folders (and two days)
    assert expected_pages[0].startswith("twitch/streams/2026-11-26/23/")
    assert expected_pages[-1].startswith("twitch/streams/2026-11-27/00/")
    expected_manifests = [
        manifest_path("streams", "twitch_head", pages[0].at),
        manifest_path("top_categories", "twitch_top_games", top.at),
    ]
    assert files(root) == {*expected_pages, page_path("top_categories", 1, top.at), *expected_manifests}
    for path, entry in zip(expected_pages, pages):
        assert gzip.decompress((root / path).read_bytes()) == entry.body  # the bytes served, exactly
    assert gzip.decompress((root / page_path("top_categories", 1, top.at)).read_bytes()) == top.body

    run = json.loads((root / expected_manifests[0]).read_text())
    sent = sent_manifest(sink, "stream_snapshot")
    assert set(run) == MANIFEST_KEYS
    assert run == {
        "format": "gst-raw-archive/1",
        "poll_id": sent["poll_id"],
        "poll_kind": "twitch_head",
        "source": "twitch",
        "platform": "twitch",
        "record_kind": "stream_snapshot",
        "scheduled_at": iso(slot),
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "interval_seconds": 60.0,
        "planned_pages": 3,
        "pages": [
            {"page": n, "path": path, "fetched_at": iso(e.at)}
            for n, (path, e) in enumerate(zip(expected_pages, pages), start=1)
        ],
        "failed": [],
        "manifest": sent,
    }
    assert sent["poll_id"] == f"twitch:twitch_head:{int(slot.timestamp())}"
    assert datetime.fromisoformat(run["finished_at"]) == datetime.fromisoformat(sent["finished_at"])
    top_run = json.loads((root / expected_manifests[1]).read_text())
    assert top_run["poll_kind"] == "twitch_top_games" and top_run["record_kind"] == "category_snapshot"
    assert [p["path"] for p in top_run["pages"]] == [page_path("top_categories", 1, top.at)]
    assert top_run["manifest"] == sent_manifest(sink, "category_snapshot")


def test_a_retried_page_keeps_its_good_answer_and_a_failed_page_is_listed(fixture, archiving, clock, sink, tmp_path):
    fixture.state.streams = make_streams(300)
    fixture.state.fault("/helix/streams", "503", "pass", "garbage", "garbage", "garbage", "garbage")
    poller = TwitchPoller(archiving, clock)
    PollLoop(poller, sink, clock).run_slot(head_slot(poller, clock))
    poller.close()

    root = tmp_path / "lake" / "raw"
    first = served(fixture, "/helix/streams")[0]  # page 1's retry (the later 200s are the garbage)
    run_path = manifest_path("streams", "twitch_head", first.at)
    assert {p for p in files(root) if p.startswith("twitch/streams/")} == {
        page_path("streams", 1, first.at),
        run_path,
    }
    assert gzip.decompress((root / page_path("streams", 1, first.at)).read_bytes()) == first.body
    run = json.loads((root / run_path).read_text())
    assert [p["page"] for p in run["pages"]] == [1]
    (failed,) = run["failed"]
    assert failed["page"] == 2 and "malformed JSON" in failed["error"]
    assert run["manifest"]["pages_failed"] == 1 and run["planned_pages"] == 3


def test_steam_keeps_one_combined_file_per_run_and_lists_the_apps_that_failed(
    fixture, archiving, clock, sink, tmp_path
):
    state = fixture.state
    state.players = {730: 800_000, 570: 600_000}
    state.chart = [730, 570]
    state.fault("/ISteamUserStats/GetNumberOfCurrentPlayers", "503", "503", "503")  # app 730, every attempt
    local = archiving.model_copy(update={"steam_app_ids": [999999], "steam_concurrency": 1})  # apps in order
    poller = SteamPoller(local, clock)
    slot = clock.now() - timedelta(seconds=clock.now().timestamp() % poller.plan.tail_interval_s)
    PollLoop(poller, sink, clock).run_slot(slot)
    poller.close()

    root = tmp_path / "lake" / "raw"
    answers = served(fixture, "/ISteamUserStats/GetNumberOfCurrentPlayers/v1/")
    assert [e.params["appid"] for e in answers] == [["570"], ["999999"]]
    saved = answers[-1].at  # the combined file is saved once every app has answered, as the seed did
    combined, run_path = page_path("players", None, saved), manifest_path("players", "steam_players", saved)
    assert files(root) == {combined, run_path}  # reviews are not archived
    kept = json.loads(gzip.decompress((root / combined).read_bytes()))
    assert list(kept) == ["570", "999999"]
    assert kept == {f"{e.params['appid'][0]}": json.loads(e.body) for e in answers}
    assert kept["999999"] == {"response": {"result": 42}}

    run = json.loads((root / run_path).read_text())
    assert set(run) == MANIFEST_KEYS
    assert run["poll_kind"] == "steam_players" and run["source"] == "steam" and run["record_kind"] == "player_count"
    assert run["pages"] == [{"page": 1, "path": combined, "fetched_at": iso(saved)}]
    assert run["failed"] == [
        {"app": 730, "error": "HTTP 503"},
        {"app": 999999, "error": "no player count (result=42)"},
    ]
    assert run["planned_pages"] == 3  # the apps asked
    assert run["manifest"] == sent_manifest(sink, "player_count")


def test_the_archive_off_writes_nothing(fixture, settings, clock, sink, tmp_path):
    fixture.state.streams = make_streams(150)
    fixture.state.players = {730: 1}
    fixture.state.chart = [730]
    off = settings.model_copy(update={"lake_root": str(tmp_path / "lake")})
    assert off.raw_archive is False
    twitch, steam = TwitchPoller(off, clock), SteamPoller(off, clock)
    PollLoop(twitch, sink, clock).run_slot(head_slot(twitch, clock))
    PollLoop(steam, sink, clock).run_slot(clock.now())
    twitch.close()
    steam.close()
    assert len(sink.of_kind("stream_snapshot")) == 150 and len(sink.of_kind("player_count")) == 1
    assert not (tmp_path / "lake").exists()


def test_a_page_that_cannot_be_written_is_listed_and_the_poll_goes_on(fixture, archiving, clock, sink, tmp_path):
    fixture.state.streams = make_streams(200)
    poller = TwitchPoller(archiving, clock)
    put = poller.archive.store.put

    def full_disk_on_page_2(key: str, data: bytes) -> None:
        if "/fetch_streams_2_" in key:
            raise OSError("No space left on device")
        put(key, data)

    poller.archive.store.put = full_disk_on_page_2
    (_, streams) = PollLoop(poller, sink, clock).run_slot(head_slot(poller, clock))
    poller.close()
    assert streams.coverage == 1.0 and len(sink.of_kind("stream_snapshot")) == 200
    first = served(fixture, "/helix/streams")[0]
    run = json.loads((tmp_path / "lake/raw" / manifest_path("streams", "twitch_head", first.at)).read_text())
    assert [p["page"] for p in run["pages"]] == [1]
    assert run["failed"] == [{"page": 2, "error": "not archived: OSError: No space left on device"}]


def test_an_s3_lake_gets_the_same_keys_and_prunes_them(fixture, archiving, clock, sink):
    fixture.state.streams = make_streams(120)
    with s3_server() as endpoint:
        on_s3 = archiving.model_copy(
            update={
                "aws_endpoint_url": endpoint,
                "aws_access_key_id": "test",
                "aws_secret_access_key": "test",
                "lake_root": "s3://lake-bucket/lake",
            }
        )
        s3 = aws_client(on_s3, "s3")
        s3.create_bucket(Bucket="lake-bucket")
        poller = TwitchPoller(on_s3, clock)
        PollLoop(poller, sink, clock).run_slot(head_slot(poller, clock))
        poller.close()
        pages = served(fixture, "/helix/streams")
        (top,) = served(fixture, "/helix/games/top")

        def keys() -> set[str]:
            listed = s3.list_objects_v2(Bucket="lake-bucket", Prefix="lake/raw/").get("Contents", [])
            return {item["Key"].removeprefix("lake/raw/") for item in listed}

        expected = {page_path("streams", n, e.at) for n, e in enumerate(pages, start=1)}
        expected |= {page_path("top_categories", 1, top.at), manifest_path("streams", "twitch_head", pages[0].at)}
        expected |= {manifest_path("top_categories", "twitch_top_games", top.at)}
        assert keys() == expected
        body = s3.get_object(Bucket="lake-bucket", Key=f"lake/raw/{page_path('streams', 2, pages[1].at)}")["Body"]
        assert gzip.decompress(body.read()) == pages[1].body

        archive = RawArea.from_settings(on_s3.model_copy(update={"raw_retention_days": 3}))
        assert archive.prune(clock.now() + timedelta(days=3)) == []  # the day is not three days gone yet
        assert len(archive.prune(clock.now() + timedelta(days=5))) == 2  # two kinds, one KST day
        assert keys() == set()


def test_the_archive_imported_again_makes_the_records_the_pollers_sent(fixture, archiving, clock, sink, tmp_path):
    """`gst import --format seed LAKE/raw` reads our own pages back into the very polls the pollers
    sent: the same poll ids and event ids, the same fields (only a record's observed_at may differ:
    the page's arrival, not the poller's reading after it), the same manifests."""
    state = fixture.state
    state.streams = make_streams(250)
    state.games = [{"id": "21779", "name": "League of Legends", "box_art_url": "", "igdb_id": "115"}]
    state.latency = 0.7
    state.players = {730: 800_000, 570: 600_000}
    state.chart = [730, 570]
    twitch = TwitchPoller(archiving, clock)
    PollLoop(twitch, sink, clock).run_slot(head_slot(twitch, clock))
    twitch.close()
    steam = SteamPoller(archiving.model_copy(update={"steam_app_ids": [999999]}), clock)
    PollLoop(steam, sink, clock).run_slot(clock.now() - timedelta(seconds=clock.now().timestamp() % steam.interval))
    steam.close()

    local = Files(str(tmp_path / "lake" / "raw"), archiving)
    archive = SeedArchive()
    plan = archive.plan(local.find())
    assert plan.ignored == [] and all(run.chains for run in plan.runs)
    units = [archive.convert(group, local.read) for group in plan.units]
    assert [p for u in units for p in u.problems] == []

    def fields(record) -> dict[str, Any]:
        found = json.loads(record.to_json())
        return found if found["kind"] == "poll_manifest" else {k: v for k, v in found.items() if k != "observed_at"}

    reviews = {r.poll_id for r in sink.records if getattr(r, "record_kind", r.kind) == "review_summary"}  # not archived
    sent = sorted((fields(r) for r in sink.records if r.poll_id not in reviews), key=lambda f: f["event_id"])
    imported = sorted((fields(r.record) for u in units for r in u.records), key=lambda f: f["event_id"])
    assert len(sent) == len(imported) > 250
    assert imported == sent
