"""The parse every streaming query and backfill shares: the first broken rule of a record becomes
its quarantine reason, quoting the kind and version as written."""

import json
from datetime import UTC, datetime, timedelta

import pytest
from pyspark.sql import functions as F

from gamestream.core.contracts import StreamSnapshot
from streaming_jobs.delta_append import append_once
from streaming_jobs.transforms.bronze import bronze_frame, stamp
from streaming_jobs.transforms.parse import mark_late, parse_records
from streaming_jobs.transforms.silver import repeated_event_ids, silver_frames

RAW = (
    "stream STRING, shard_id STRING, sequence_number STRING, partition_key STRING, "
    "approximate_arrival_timestamp TIMESTAMP, data BINARY, millis_behind_latest LONG"
)
T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)

REASONS = [
    (b"\xff\xfe not text", "payload is not UTF-8 text"),
    (b"{not json", "malformed JSON: not a JSON object"),
    (b"[1, 2]", "malformed JSON: not a JSON object"),  # valid JSON, but a record is an object
    (b'{"schema_version": 1.0, "kind": "player_count"}', "unknown schema_version 1.0"),
    (b'{"schema_version": "abc", "kind": "player_count"}', "unknown schema_version abc"),
    (b'{"schema_version": 1, "kind": "foo"}', "unknown kind foo"),
    (b'{"schema_version": 1, "kind": 5}', "unknown kind 5"),
    (b'{"schema_version": 1, "kind": {"a": 1}}', 'unknown kind {"a":1}'),
    (b'{"schema_version": 1}', "unknown kind (missing)"),
    (b'{"schema_version": 1, "kind": "player_count", "source": "steam"}', "missing field event_id, source or poll_id"),
]


@pytest.fixture(scope="module")
def parsed(spark):
    rows = [
        ("s", "shard-0", str(n), "k", datetime(2026, 11, 26, tzinfo=UTC), data, None)
        for n, (data, _) in enumerate(REASONS)
    ]
    raw = spark.createDataFrame(rows, RAW)
    found = parse_records(bronze_frame(raw, 0, datetime.now(UTC), "test")).select(
        "sequence_number", "quarantine_reason"
    )
    return {int(r["sequence_number"]): r["quarantine_reason"] for r in found.collect()}


@pytest.mark.parametrize("n", range(len(REASONS)), ids=[reason for _, reason in REASONS])
def test_a_broken_record_gets_the_first_rule_it_breaks(parsed, n):
    assert parsed[n] == REASONS[n][1]


def test_the_parse_adds_no_helper_columns(spark, parsed):
    raw = spark.createDataFrame([], RAW)
    columns = parse_records(bronze_frame(raw, 0, datetime.now(UTC), "test")).columns
    assert not [c for c in columns if c.startswith("r_")] and "quarantine_reason" in columns


def snapshot(stream_id: str, viewers: int) -> StreamSnapshot:
    return StreamSnapshot.create(
        source="twitch",
        observed_at=T0,
        poll_id="twitch:twitch_head:1795662000",
        stream_id=stream_id,
        channel_id=f"c{stream_id}",
        channel_name="n",
        game_name="Dota 2",
        viewer_count=viewers,
    )


def parsed_records(spark, records: list[StreamSnapshot]):
    arrived = T0 + timedelta(seconds=30)
    raw = spark.createDataFrame(
        [("s", "shard-0", str(n), "k", arrived, bytearray(r.to_json().encode()), None) for n, r in enumerate(records)],
        RAW,
    )
    return mark_late(parse_records(bronze_frame(raw, 0, arrived, "test")), 900)


def test_silver_keeps_one_row_per_event_id_when_the_caller_names_the_repeats(spark):
    # a poller retry that read a changed viewer count: other bytes (so the stream kept both), same event
    records = [snapshot("1", 10), snapshot("1", 11), snapshot("2", 5)]
    parsed = parsed_records(spark, records)
    repeated = [r["event_id"] for r in repeated_event_ids(parsed).collect()]
    assert repeated == [records[0].event_id]

    keys = spark.createDataFrame([("Dota 2", "dota 2")], "name STRING, game_key STRING")
    named = silver_frames(parsed, keys, repeated)["stream_snapshots"]
    unknown = silver_frames(parsed, keys)["stream_snapshots"]  # every row deduplicated
    expected = sorted([records[0].event_id, records[2].event_id])
    assert sorted(r["event_id"] for r in named.collect()) == expected
    assert sorted(r["event_id"] for r in unknown.collect()) == expected


def test_a_batch_without_repeats_writes_every_row(spark):
    records = [snapshot("1", 10), snapshot("2", 5)]
    parsed = parsed_records(spark, records)
    assert repeated_event_ids(parsed).count() == 0
    keys = spark.createDataFrame([("Dota 2", "dota 2")], "name STRING, game_key STRING")
    assert silver_frames(parsed, keys, [])["stream_snapshots"].count() == 2


def generated_code(spark, frame) -> str:
    plan = spark._jvm.PythonSQLUtils.explainString(frame._jdf.queryExecution(), "codegen")
    return plan.split("Generated code:", 1)[1]


def test_a_batch_stamp_sets_its_values_and_leaves_the_generated_code_alone(spark):
    raw = spark.createDataFrame([("s", "shard-0", "1", "k", T0, bytearray(b"{}"), None)], RAW)
    unstamped = bronze_frame(raw, -1, datetime(1970, 1, 1, tzinfo=UTC), "")
    at = datetime(2026, 11, 27, 23, 59, 59, 123456, tzinfo=UTC)
    first = stamp(unstamped, 5, at, "run-a")
    second = stamp(unstamped, 6, at + timedelta(seconds=3), "run-a")

    row = first.select(
        F.unix_micros("ingested_at").alias("micros"), "ingest_batch_id", "ingest_run", "ingest_date"
    ).first()
    assert row["micros"] == (at - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert (row["ingest_batch_id"], row["ingest_run"], row["ingest_date"]) == (5, "run-a", at.date())
    assert first.columns == unstamped.columns
    assert stamp(unstamped.select("stream"), 5, at, "run-a").columns == ["stream"]
    # the next batch's writes run the code already compiled; as literals, its values would not
    assert generated_code(spark, first) == generated_code(spark, second)
    literal = [unstamped.withColumn("ingest_batch_id", F.lit(v).cast("long")) for v in (5, 6)]
    assert generated_code(spark, literal[0]) != generated_code(spark, literal[1])


def test_both_contract_versions_reach_silver_and_a_version_1_record_with_a_later_field_is_quarantined(spark):
    current = StreamSnapshot.create(
        source="twitch",
        observed_at=T0,
        poll_id="twitch:twitch_head:1795662000",
        stream_id="3",
        channel_id="c3",
        channel_name="Afro",
        user_login="afro",
        game_name="Dota 2",
        viewer_count=7,
    )
    older = json.loads(snapshot("1", 10).to_json())  # as version 1 code wrote it: no user_login
    older["schema_version"] = 1
    del older["user_login"]
    bad = {**json.loads(snapshot("2", 5).to_json()), "schema_version": 1, "user_login": "x"}
    arrived = T0 + timedelta(seconds=30)
    payloads = [json.dumps(older), current.to_json(), json.dumps(bad)]
    raw = spark.createDataFrame(
        [("s", "shard-0", str(n), "k", arrived, bytearray(p.encode()), None) for n, p in enumerate(payloads)], RAW
    )
    parsed = mark_late(parse_records(bronze_frame(raw, 0, arrived, "test")), 900)
    reasons = {r["sequence_number"]: r["quarantine_reason"] for r in parsed.collect()}
    assert reasons == {"0": None, "1": None, "2": "user_login is a schema_version 2 field; this record is version 1"}

    keys = spark.createDataFrame([("Dota 2", "dota 2")], "name STRING, game_key STRING")
    silver = silver_frames(parsed, keys, [])["stream_snapshots"]
    rows = {r["channel_id"]: (r["schema_version"], r["user_login"]) for r in silver.collect()}
    assert rows == {"c1": (1, None), "c3": (2, "afro")}


def test_a_silver_table_written_before_user_login_takes_the_new_column_in_place(spark, tmp_path):
    keys = spark.createDataFrame([("Dota 2", "dota 2")], "name STRING, game_key STRING")
    path = str(tmp_path / "stream_snapshots")
    before = silver_frames(parsed_records(spark, [snapshot("1", 10)]), keys, [])["stream_snapshots"]
    append_once(before.drop("user_login"), path, "lake-query-before", 0, ["poll_date"])  # as version 1 code wrote it
    after = StreamSnapshot.create(
        source="twitch",
        observed_at=T0,
        poll_id="twitch:twitch_head:1795662060",
        stream_id="2",
        channel_id="c2",
        channel_name="Afro",
        user_login="afro",
        game_name="Dota 2",
        viewer_count=5,
    )
    append_once(silver_frames(parsed_records(spark, [after]), keys, [])["stream_snapshots"], path, "lake-query", 0)
    rows = {r["channel_id"]: r["user_login"] for r in spark.read.format("delta").load(path).collect()}
    assert rows == {"c1": None, "c2": "afro"}
