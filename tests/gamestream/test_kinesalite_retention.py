"""The embedded Kinesis's retention sweep: records past the retention are deleted though nothing reads
them (kinesalite alone deletes an old record only when a GetRecords scan passes over it), and the
store's files shrink with them."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from pydantic import SecretStr

from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.settings import Settings
from gamestream.embedded.kinesalite import kinesalite_server
from gamestream.embedded.ports import free_port

RETENTION_SECONDS = 2.0
SWEEP_SECONDS = 0.5
STREAM = "retention"
SWEEP_BATCH_KEYS = 5000  # server.js's


def store_bytes(store: Path) -> int:
    return sum(path.stat().st_size for path in store.iterdir() if path.is_file())


def swept(log: Path) -> int:
    """Records the sweeps of STREAM deleted so far, from their lines in kinesalite's log."""
    lines = (json.loads(line) for line in log.read_text().splitlines() if line.startswith("{"))
    return sum(line["deleted"] for line in lines if line["event"] == "kinesalite_retention_sweep")


def kinesis_at(port: int):
    settings = Settings(
        _env_file=None,
        aws_endpoint_url=f"http://127.0.0.1:{port}",
        aws_access_key_id=SecretStr("test"),
        aws_secret_access_key=SecretStr("test"),
    )
    return aws_client(settings, "kinesis")


def wait_until_swept(log: Path, records: int) -> None:
    deadline = time.monotonic() + 15
    while swept(log) < records:
        assert time.monotonic() < deadline, f"the sweeps deleted {swept(log)} of {records} records"
        time.sleep(0.2)


def read_all(kinesis) -> list[bytes]:
    """Every record the stream gives from TRIM_HORIZON, shard by shard."""
    read = []
    for shard in kinesis.list_shards(StreamName=STREAM)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=STREAM, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        read += [record["Data"] for record in kinesis.get_records(ShardIterator=iterator, Limit=10_000)["Records"]]
    return read


def test_records_past_the_retention_are_deleted_unread_and_the_store_shrinks(tmp_path):
    store, port = tmp_path / "kinesis", free_port()
    with kinesalite_server(port, store, retention_seconds=RETENTION_SECONDS, sweep_seconds=SWEEP_SECONDS):
        kinesis = kinesis_at(port)
        ensure_stream(kinesis, STREAM, 2)
        old = [{"Data": os.urandom(25_000), "PartitionKey": str(n)} for n in range(200)]  # 5 MB, incompressible
        peak = 0
        for records in (old[:100], old[100:]):
            assert kinesis.put_records(StreamName=STREAM, Records=records)["FailedRecordCount"] == 0
            peak = max(peak, store_bytes(store))

        wait_until_swept(tmp_path / "kinesalite.log", len(old))
        after = store_bytes(store)
        assert after < peak / 2, f"the store holds {after} bytes after the sweep, {peak} at its peak"

        young = [{"Data": f"young {n}".encode(), "PartitionKey": str(n)} for n in range(10)]
        kinesis.put_records(StreamName=STREAM, Records=young)
        time.sleep(2 * SWEEP_SECONDS)  # sweeps pass over them, and leave them
        assert sorted(read_all(kinesis)) == sorted(record["Data"] for record in young)


def test_a_backlog_larger_than_a_batch_goes_in_one_sweep_after_a_restart_with_a_shorter_retention(tmp_path):
    store, port = tmp_path / "kinesis", free_port()
    backlog = [{"Data": b"b" * 100, "PartitionKey": "one shard"} for _ in range(SWEEP_BATCH_KEYS + 1000)]
    with kinesalite_server(port, store):  # the stream's own retention: 24 h
        kinesis = kinesis_at(port)
        ensure_stream(kinesis, STREAM, 2)
        for i in range(0, len(backlog), 500):
            assert kinesis.put_records(StreamName=STREAM, Records=backlog[i : i + 500])["FailedRecordCount"] == 0
    time.sleep(RETENTION_SECONDS + 1)
    with kinesalite_server(port, store, retention_seconds=RETENTION_SECONDS, sweep_seconds=SWEEP_SECONDS):
        wait_until_swept(tmp_path / "kinesalite.log", len(backlog))
        sweeps = [line for line in (tmp_path / "kinesalite.log").read_text().splitlines() if line.startswith("{")]
        assert len(sweeps) == 1 and json.loads(sweeps[0])["deleted"] == len(backlog)
        assert read_all(kinesis_at(port)) == []
