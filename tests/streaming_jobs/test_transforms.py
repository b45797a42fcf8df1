"""The parse every streaming query and backfill shares: the first broken rule of a record becomes
its quarantine reason, quoting the kind and version as written."""

from datetime import UTC, datetime

import pytest

from streaming_jobs.transforms import bronze_frame, parse_records

REASONS = [
    (b"\xff\xfe not text", "payload is not UTF-8 text"),
    (b"{not json", "malformed JSON: not a JSON object"),
    (b"[1, 2]", "unknown schema_version (missing)"),
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
    raw = spark.createDataFrame(
        rows,
        "stream STRING, shard_id STRING, sequence_number STRING, partition_key STRING, "
        "approximate_arrival_timestamp TIMESTAMP, data BINARY, millis_behind_latest LONG",
    )
    found = parse_records(bronze_frame(raw, 0, datetime.now(UTC), "test")).select(
        "sequence_number", "quarantine_reason"
    )
    return {int(r["sequence_number"]): r["quarantine_reason"] for r in found.collect()}


@pytest.mark.parametrize("n", range(len(REASONS)), ids=[reason for _, reason in REASONS])
def test_a_broken_record_gets_the_first_rule_it_breaks(parsed, n):
    assert parsed[n] == REASONS[n][1]


def test_the_parse_adds_no_helper_columns(spark, parsed):
    raw = spark.createDataFrame(
        [],
        "stream STRING, shard_id STRING, sequence_number STRING, partition_key STRING, approximate_arrival_timestamp TIMESTAMP, data BINARY, millis_behind_latest LONG",
    )
    columns = parse_records(bronze_frame(raw, 0, datetime.now(UTC), "test")).columns
    assert not [c for c in columns if c.startswith("r_")] and "quarantine_reason" in columns
