"""The demo's history: the synthetic poller's polls as the poll query would have emitted them, written
once into silver (the dashboard's tests see it through gold)."""

import json
from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from batch_jobs.demo_history import HOURLY, MARKER, history_slots, slot_rows, write_history
from gamestream.core import lake as L
from gamestream.core.clock import ManualClock
from gamestream.core.contracts import RecordBase
from gamestream.core.settings import Settings
from producers.poll_loop import PollLoop
from producers.synthetic import SyntheticMarket, SyntheticPoller
from streaming_jobs.games import identify
from streaming_jobs.poll_state import INPUT_COLUMNS, close_poll
from tests.support.producers import ListSink

END = datetime(2026, 11, 20, 17, 42, 13, tzinfo=UTC)
UNATTRIBUTED_STEAM = "Steam app {}"


def poll_inputs(records: list[RecordBase]) -> pd.DataFrame:
    """The records as the poll query hands them to the poll state function (poll_query.poll_inputs)."""
    rows = []
    for n, r in enumerate(records):
        d = json.loads(r.to_json())
        kind = d["kind"]
        platform = {"video_snapshot": "youtube", "player_count": "steam"}.get(kind, d.get("platform"))
        game = (
            d.get("app_name") or UNATTRIBUTED_STEAM.format(d.get("app_id"))
            if kind == "player_count"
            else d.get("game_name")
        )
        rows.append(
            {
                "poll_id": d["poll_id"],
                "kind": kind,
                "event_hash": n,
                "source": d["source"],
                "platform": platform,
                "game_name": game,
                "viewers": d.get("viewer_count", d.get("concurrent_viewers")),
                "players": d.get("player_count"),
                "is_mature": d.get("is_mature"),
                "channel": d.get("channel_name") or d.get("channel_title"),
                "views": d.get("view_count"),
                "observed_s": pd.Timestamp(d["observed_at"]).timestamp(),
                "arrival_s": pd.Timestamp(d["observed_at"]).timestamp() + 1,
                "manifest": json.dumps(d) if kind == "poll_manifest" else None,
                "counted": True,
            }
        )
    return pd.DataFrame(rows, columns=list(INPUT_COLUMNS))


@pytest.mark.parametrize("interval", [HOURLY, 300.0])
def test_a_slots_rows_are_what_the_poll_query_emits_for_the_pollers_records(interval):
    settings = Settings(_env_file=None)
    slot = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)
    sink = ListSink()
    PollLoop(SyntheticPoller(settings, interval=interval), sink, ManualClock(slot)).run_slot(slot)
    inputs = poll_inputs(sink.records)
    emitted = pd.concat([close_poll((poll_id,), part) for poll_id, part in inputs.groupby("poll_id")])

    rows = slot_rows(SyntheticMarket(settings.synthetic_seed, settings.synthetic_scale), slot, interval)
    totals, polls = rows.totals, rows.polls

    columns = ["poll_id", "platform", "game_key", "game_name", "viewers", "channels", "players", "records",
               "mature_channels", "top_channel", "top_channel_viewers", "views", "status", "coverage",
               "interval_seconds"]  # fmt: skip
    want = emitted[emitted.row_kind == "total"][columns].sort_values(["poll_id", "game_key"]).reset_index(drop=True)
    got = pd.DataFrame(totals)[columns].sort_values(["poll_id", "game_key"]).reset_index(drop=True)
    assert len(got) > 300
    assert set(got.platform) == {"twitch", "steam", "youtube"}
    pd.testing.assert_frame_equal(
        got.astype(object).where(got.notna(), None), want.astype(object).where(want.notna(), None)
    )
    want_observed = set(emitted[emitted.row_kind == "total"].observed_at)
    assert {pd.Timestamp(t["observed_at"]) for t in totals} == want_observed

    poll_columns = [
        "poll_id",
        "platform",
        "record_kind",
        "expected",
        "received",
        "status",
        "coverage",
        "interval_seconds",
    ]
    want_polls = emitted[emitted.row_kind == "poll"][poll_columns].sort_values("poll_id").reset_index(drop=True)
    got_polls = pd.DataFrame(polls)[poll_columns].sort_values("poll_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got_polls, want_polls.astype(got_polls.dtypes.to_dict()))
    assert pd.Series([p["scheduled_at"] for p in polls]).eq(slot).all()

    # the snapshots, as the lake query writes the poller's records into silver
    for kind, written in (("stream_snapshot", rows.streams), ("video_snapshot", rows.videos)):
        sent = [json.loads(r.to_json()) for r in sink.records if r.kind == kind]
        assert len(written) == len(sent) > 10, kind
        for got_row, record in zip(
            sorted(written, key=lambda r: r["event_id"]), sorted(sent, key=lambda r: r["event_id"]), strict=True
        ):
            for name, value in record.items():
                if name.endswith(("_at", "_time")) and value is not None:
                    value = pd.Timestamp(value).to_pydatetime()
                assert got_row[name] == value, (kind, name)
            assert got_row["game_key"] == identify(record["game_name"]).key


def test_history_is_hourly_then_every_five_minutes_in_the_last_day_and_ends_before_now():
    slots = history_slots(END, 3)
    hourly = [s for s, i in slots if i == HOURLY]
    fine = [s for s, i in slots if i == 300]
    assert hourly[0] == datetime(2026, 11, 17, 17, 0, tzinfo=UTC)
    assert len(hourly) == 49 and len(fine) == 288  # hourly until the last day's first 5-minute slot
    assert hourly[-1] < fine[0] < hourly[-1] + timedelta(hours=1)
    assert fine[-1] + timedelta(minutes=5) <= END < fine[-1] + timedelta(minutes=10)
    starts = [s for s, _ in slots]
    assert starts == sorted(set(starts))


@pytest.fixture(scope="module")
def history(tmp_path_factory):
    data = tmp_path_factory.mktemp("history")
    settings = Settings(_env_file=None, data_dir=data, demo_history_days=2)
    return settings, write_history(settings, end=END, show_progress=False)


def test_history_is_written_once_per_data_directory(history):
    settings, summary = history
    lake = L.Lake(settings.lake_path)
    polls = lake.read(L.POLLS).to_pandas()
    totals = lake.read(L.TOTALS).to_pandas()
    assert summary.polls == len(polls) == 4 * len(history_slots(END, 2))
    assert summary.totals == len(totals) and summary.days == 3
    assert polls.poll_id.is_unique and not totals.duplicated(["poll_id", "game_key"]).any()
    streams = lake.read("silver/stream_snapshots", columns=["event_id", "poll_id"]).to_pandas()
    stream_polls = polls[polls.record_kind == "stream_snapshot"]
    assert len(streams) == stream_polls.expected.sum() and streams.event_id.is_unique
    assert set(streams.poll_id) == set(stream_polls.poll_id)  # every Twitch poll's streams, for the channel pages
    games = lake.read(L.GAMES).to_pandas().set_index("game_key")
    assert not games.loc["just chatting", "is_game"] and games.loc["grand theft auto v", "is_game"]
    assert (games.first_seen_at == pd.Timestamp(history_slots(END, 2)[0][0])).all()  # seen since the first poll

    again = write_history(settings, end=END + timedelta(hours=5), show_progress=False)
    assert again.polls == 0 and MARKER in again.skipped
    assert len(lake.read(L.POLLS)) == len(polls)


def test_a_lake_that_holds_other_polls_gets_no_history(history, tmp_path):
    settings, _ = history
    other = Settings(_env_file=None, data_dir=tmp_path, demo_history_days=1)
    polls = L.Lake(settings.lake_path).read(L.POLLS).slice(0, 4)
    L.Lake(other.lake_path, writer="gst-stream").append(L.POLLS, polls, 0, [])
    summary = write_history(other, end=END, show_progress=False)
    assert summary.polls == 0 and summary.skipped == "the lake already holds polls"
