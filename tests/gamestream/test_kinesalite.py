"""The Kinesis calls the project makes, against the embedded kinesalite with the pinned botocore:
if a botocore upgrade changes the wire protocol kinesalite speaks, this fails first."""

from __future__ import annotations

import socket
import time
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import botocore
import pytest

from gamestream.core.aws import aws_client, ensure_stream


@pytest.fixture()
def kinesis(stack):
    return aws_client(stack.settings, "kinesis")


@pytest.fixture()
def stream(kinesis):
    name = f"contract-{uuid.uuid4().hex[:8]}"
    summary = ensure_stream(kinesis, name, 2)
    assert summary["StreamStatus"] == "ACTIVE" and summary["OpenShardCount"] == 2
    return name


def read_shard(kinesis, stream, shard_id, **position):
    iterator = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard_id, **position)["ShardIterator"]
    page = kinesis.get_records(ShardIterator=iterator, Limit=1000)
    return page


def test_botocore_is_the_pinned_version():
    assert botocore.__version__ == "1.44.8"


def test_put_records_reports_each_entry_and_records_come_back_in_order_per_shard(kinesis, stream):
    records = [{"Data": f'{{"n": {n}}}'.encode(), "PartitionKey": f"key-{n}"} for n in range(300)]
    response = kinesis.put_records(StreamName=stream, Records=records)
    assert response["FailedRecordCount"] == 0
    assert len(response["Records"]) == 300 and all(
        "SequenceNumber" in r and "ShardId" in r for r in response["Records"]
    )
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    assert [s["ShardId"] for s in shards] == ["shardId-000000000000", "shardId-000000000001"]
    assert all("StartingSequenceNumber" in s["SequenceNumberRange"] for s in shards)
    seen = []
    for shard in shards:
        page = read_shard(kinesis, stream, shard["ShardId"], ShardIteratorType="TRIM_HORIZON")
        numbers = [int(r["SequenceNumber"]) for r in page["Records"]]
        assert numbers == sorted(numbers)
        assert page["MillisBehindLatest"] == 0  # kinesalite always says 0: the job's lag comes from arrival times
        assert page["NextShardIterator"]
        for record in page["Records"]:
            assert isinstance(record["ApproximateArrivalTimestamp"], datetime)
            seen.append(record["Data"])
    assert sorted(seen) == sorted(r["Data"] for r in records)


def test_iterators_after_a_sequence_number_at_a_timestamp_and_latest(kinesis, stream):
    first = kinesis.put_records(StreamName=stream, Records=[{"Data": b"a", "PartitionKey": "same"}])["Records"][0]
    second = kinesis.put_records(StreamName=stream, Records=[{"Data": b"b", "PartitionKey": "same"}])["Records"][0]
    shard = first["ShardId"]
    after = read_shard(
        kinesis,
        stream,
        shard,
        ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=first["SequenceNumber"],
    )
    assert [r["Data"] for r in after["Records"]] == [b"b"]
    at = read_shard(
        kinesis, stream, shard, ShardIteratorType="AT_SEQUENCE_NUMBER", StartingSequenceNumber=second["SequenceNumber"]
    )
    assert [r["Data"] for r in at["Records"]] == [b"b"]
    since = read_shard(
        kinesis, stream, shard, ShardIteratorType="AT_TIMESTAMP", Timestamp=datetime.now(UTC) - timedelta(minutes=5)
    )
    assert [r["Data"] for r in since["Records"]] == [b"a", b"b"]
    latest = read_shard(kinesis, stream, shard, ShardIteratorType="LATEST")
    assert latest["Records"] == []
    # nothing arrived since: an iterator at the tip (kinesalite alone would never answer; server.js fixes it)
    # in whole milliseconds, as Kinesis compares it: a fraction of the current millisecond is "in the future"
    now = datetime.fromtimestamp(time.time_ns() // 1_000_000 / 1000, UTC)
    tip = kinesis.get_shard_iterator(StreamName=stream, ShardId=shard, ShardIteratorType="AT_TIMESTAMP", Timestamp=now)[
        "ShardIterator"
    ]
    assert kinesis.get_records(ShardIterator=tip)["Records"] == []
    kinesis.put_records(StreamName=stream, Records=[{"Data": b"c", "PartitionKey": "same"}])
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=tip)["Records"]] == [b"c"]


def test_a_split_shard_closes_and_names_its_parent(kinesis, stream):
    parent = kinesis.list_shards(StreamName=stream)["Shards"][0]
    low, high = (int(parent["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
    kinesis.split_shard(StreamName=stream, ShardToSplit=parent["ShardId"], NewStartingHashKey=str((low + high) // 2))
    ensure_stream(kinesis, stream, 2)
    shards = kinesis.list_shards(StreamName=stream)["Shards"]
    assert len(shards) == 4
    assert "EndingSequenceNumber" in shards[0]["SequenceNumberRange"]  # the parent is closed
    assert [s.get("ParentShardId") for s in shards[2:]] == [parent["ShardId"]] * 2


def test_errors_are_the_ones_the_code_catches(kinesis, stream):
    with pytest.raises(kinesis.exceptions.ResourceInUseException):
        kinesis.create_stream(StreamName=stream, ShardCount=1)
    with pytest.raises(kinesis.exceptions.ResourceNotFoundException):
        kinesis.describe_stream_summary(StreamName=f"{stream}-missing")


def test_a_client_that_hangs_up_mid_request_does_not_stop_the_server(kinesis, stream, stack):
    """kinesalite rethrows an aborted request's error; the embedded server logs it and keeps serving."""
    endpoint = urlsplit(stack.settings.aws_endpoint_url)
    for _ in range(3):
        with socket.create_connection((endpoint.hostname, endpoint.port), timeout=5) as client:
            client.sendall(
                b"POST / HTTP/1.1\r\nHost: kinesis\r\nContent-Type: application/x-amz-json-1.1\r\n"
                b'X-Amz-Target: Kinesis_20131202.ListStreams\r\nContent-Length: 1000\r\n\r\n{"Lim'
            )
        time.sleep(0.2)
    assert stream in kinesis.list_streams()["StreamNames"]
