"""The poll state machine on its own (no Spark): what the poll query's state function emits for a
poll's records as they arrive batch by batch, and after its timeouts."""

import json
from datetime import UTC, datetime

import pandas as pd
import pytest

from streaming_jobs.poll_state import INPUT_COLUMNS, OUTPUT_COLUMNS, OUTPUT_SCHEMA, advance_poll, close_poll

POLL = "twitch:twitch_head:1795662000"
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC).timestamp()


class FakeState:
    """The GroupState calls advance_poll makes, held in memory."""

    def __init__(self):
        self.row, self.timeout_ms, self.hasTimedOut = None, None, False
        self.now_ms, self.deadline_ms = 0, -1

    @property
    def oldTimeoutTimestamp(self):
        return self.deadline_ms

    def getCurrentProcessingTimeMs(self):
        return self.now_ms

    @property
    def exists(self):
        return self.row is not None

    @property
    def get(self):
        return self.row

    def update(self, row):
        self.row = row

    def remove(self):
        self.row = None

    def setTimeoutDuration(self, ms):
        self.timeout_ms, self.deadline_ms = ms, self.now_ms + ms


def snap(n, viewers, game="Dota 2", arrival=T0 + 5):
    return {
        "poll_id": POLL, "kind": "stream_snapshot", "event_hash": n, "source": "twitch", "platform": "twitch",
        "game_name": game, "viewers": viewers, "players": None, "is_mature": n % 2 == 0, "channel": f"c{n}",
        "channel_id": f"{n}", "user_login": f"login{n}", "views": None, "observed_s": T0, "arrival_s": arrival, "manifest": None, "counted": True,
    }  # fmt: skip


def manifest(count, coverage=0.9):
    body = {
        "platform": "twitch", "source": "twitch", "record_kind": "stream_snapshot", "record_count": count,
        "scheduled_at": "2026-11-26T03:00:00Z", "started_at": "2026-11-26T03:00:00Z",
        "finished_at": "2026-11-26T03:00:05Z", "interval_seconds": 60, "pages": 1, "pages_failed": 0,
        "coverage": coverage, "errors": ["page 2: 503"], "overran": False,
    }  # fmt: skip
    return {**snap(-1, None), "kind": "poll_manifest", "game_name": None, "manifest": json.dumps(body)}


def batch(*rows):
    return pd.DataFrame(list(rows), columns=list(INPUT_COLUMNS))


def advance(state, *rows, timed_out=False):
    state.hasTimedOut = timed_out
    out = list(
        advance_poll((POLL,), iter([batch(*rows)] if rows else []), state, grace_ms=60_000, tombstone_ms=900_000)
    )
    return pd.concat(out) if out else pd.DataFrame(columns=OUTPUT_COLUMNS)


def test_a_poll_is_emitted_once_when_its_records_reach_its_manifest():
    state = FakeState()
    assert advance(state, manifest(3), snap(1, 100)).empty
    assert state.timeout_ms == 60_000  # open: the grace period runs from the last record
    assert advance(state, snap(1, 100), snap(2, 50, game="Dota 2™")).empty  # the repeat of 1 counts once
    out = advance(state, snap(3, 7, game="Fortnite"))
    poll = out[out.row_kind == "poll"].iloc[0]
    assert (poll.status, poll.expected, poll.received, poll.coverage) == ("complete", 3, 3, 0.9)
    assert json.loads(poll.errors) == ["page 2: 503"]
    totals = out[out.row_kind == "total"].set_index("game_key")
    assert totals.loc["dota 2", "viewers"] == 150 and totals.loc["dota 2", "channels"] == 2
    assert totals.loc["dota 2", "top_channel"] == "c1" and totals.loc["dota 2", "mature_channels"] == 1
    assert totals.loc["fortnite", "viewers"] == 7 and set(totals.status) == {"complete"}
    assert state.timeout_ms == 900_000  # a tombstone now
    assert advance(state, snap(3, 7, game="Fortnite"), snap(4, 1)).empty  # late records cannot reopen it
    assert advance(state, timed_out=True).empty and not state.exists  # the tombstone's timeout ends it


def test_a_poll_missing_records_is_emitted_partial_after_the_grace_period():
    state = FakeState()
    advance(state, manifest(4, coverage=0.8), snap(1, 10))
    out = advance(state, timed_out=True)
    poll = out[out.row_kind == "poll"].iloc[0]
    assert (poll.status, poll.received, poll.expected) == ("partial", 1, 4)
    assert poll.coverage == pytest.approx(0.8 * 1 / 4)
    assert out[out.row_kind == "total"].status.tolist() == ["partial"]
    assert state.exists and state.timeout_ms == 900_000


def test_records_not_counted_open_no_poll_and_leave_an_open_one_as_it_was():
    """Quarantined or late records reach the state function flagged, not filtered (see poll_inputs)."""
    state = FakeState()
    assert advance(state, {**snap(9, 5), "counted": False}).empty and not state.exists
    advance(state, manifest(2), snap(1, 10))
    state.now_ms = 20_000
    assert advance(state, {**snap(2, 99), "counted": False}, {**snap(3, 1), "counted": False}).empty
    assert state.row[1] == 1  # received: still only the one counted record
    assert state.deadline_ms == 60_000  # the grace period still runs from the last counted record
    out = advance(state, snap(2, 5))
    poll = out[out.row_kind == "poll"].iloc[0]
    assert (poll.status, poll.received) == ("complete", 2)
    assert out[out.row_kind == "total"].viewers.tolist() == [15]
    state.now_ms = 30_000
    assert advance(state, {**snap(4, 1), "counted": False}).empty  # at a tombstone: its timeout stays
    assert state.deadline_ms == 20_000 + 900_000
    assert close_poll((POLL,), batch({**snap(5, 1), "counted": False})).empty


def test_records_without_a_manifest_close_partial_with_unknown_coverage():
    state = FakeState()
    advance(state, snap(1, 10), snap(2, 20))
    out = advance(state, timed_out=True)
    poll = out[out.row_kind == "poll"].iloc[0]
    assert poll.status == "partial" and pd.isna(poll.coverage) and pd.isna(poll.expected)


def test_a_backfill_closes_a_poll_from_all_its_records_at_once():
    out = close_poll((POLL,), batch(snap(1, 10), manifest(2), snap(2, 5), snap(2, 5)))
    poll = out[out.row_kind == "poll"].iloc[0]
    assert poll.status == "complete" and poll.received == 2
    assert out[out.row_kind == "total"].viewers.tolist() == [15]


def test_a_poll_without_text_values_converts_as_pyspark_does():
    """A Steam poll has no top channel: its column must still be text for PySpark's conversion of
    an applyInPandas result (a float NaN column made the backfill fail). Uses PySpark's own converter."""
    from pyspark.sql import types as T
    from pyspark.sql.conversion import PandasToArrowConversion

    players = {**snap(1, None), "kind": "player_count", "platform": "steam", "source": "steam", "players": 700}
    out = close_poll(("steam:steam_players:1",), batch({**players, "poll_id": "steam:steam_players:1"}))
    assert out.top_channel.isna().all()
    spark_type = {"STRING": T.StringType(), "LONG": T.LongType(), "DOUBLE": T.DoubleType()}
    spark_type.update(TIMESTAMP=T.TimestampType(), BOOLEAN=T.BooleanType())
    fields = [T.StructField(n, spark_type[t]) for n, t in (part.split(" ") for part in OUTPUT_SCHEMA.split(", "))]
    schema = T.StructType([T.StructField("_0", T.StructType(fields))])  # as the grouped-map worker wraps it
    converted = PandasToArrowConversion.convert(
        [out], schema, timezone="UTC", arrow_cast=True, assign_cols_by_name=True
    )
    assert converted.num_rows == len(out) and converted.column(0).field("top_channel").null_count == len(out)


def test_the_top_channel_does_not_depend_on_arrival_order():
    rows = [snap(1, 50), snap(2, 50), snap(3, 20), manifest(3)]
    tops = {close_poll((POLL,), batch(*order)).top_channel.dropna().tolist()[0] for order in (rows, rows[::-1])}
    assert tops == {"c1"}


def test_a_games_five_channels_with_the_most_viewers_ride_with_its_total_whatever_the_arrival_order():
    rows = [snap(n, viewers) for n, viewers in enumerate((40, 90, 10, 90, 70, 5, 60), start=1)] + [manifest(7)]
    rows[0] = {**rows[0], "user_login": None}  # a record of contract version 1
    emitted = [close_poll((POLL,), batch(*order)) for order in (rows, rows[::-1])]
    tops = [json.loads(e[e.row_kind == "total"].top_channels.iloc[0]) for e in emitted]
    assert tops[0] == tops[1]
    assert tops[0] == [
        {"viewers": 90, "id": "2", "login": "login2", "name": "c2"},  # ties go to the first name
        {"viewers": 90, "id": "4", "login": "login4", "name": "c4"},
        {"viewers": 70, "id": "5", "login": "login5", "name": "c5"},
        {"viewers": 60, "id": "7", "login": "login7", "name": "c7"},
        {"viewers": 40, "id": "1", "login": None, "name": "c1"},
    ]
    streamed = advance(FakeState(), *rows)  # batch by batch in the stream: the same five
    assert json.loads(streamed[streamed.row_kind == "total"].top_channels.iloc[0]) == tops[0]
