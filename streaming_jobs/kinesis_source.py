"""Kinesis streaming source for Spark (Python Data Source API, Spark 4).

Options:
    streamName          the Kinesis stream (required)
    region              AWS region (default: GST_AWS_REGION or us-east-1)
    endpointUrl         Kinesis endpoint, for kinesalite or LocalStack (default: AWS)
    startingPosition    TRIM_HORIZON (default) | LATEST | AT_TIMESTAMP
    startingTimestamp   ISO-8601 time for AT_TIMESTAMP
    startAfter          JSON {shard id: sequence number}: a new checkpoint starts after these
                        (the streaming job passes what the lake already holds)
    maxRecordsPerBatch  upper bound on the records of one micro-batch (default 100000), split
                        evenly over the shards so every shard advances in every batch
    readerMode          driver (default) | partitioned

Credentials come from the environment (GST_AWS_ACCESS_KEY_ID / GST_AWS_SECRET_ACCESS_KEY, else
boto3's default chain), never from options, which Spark may print in plans and logs.

Usage:
    spark.dataSource.register(KinesisDataSource)
    df = (spark.readStream.format("kinesis")
          .option("streamName", "gst-snapshots").option("endpointUrl", "http://127.0.0.1:4566")
          .option("startingPosition", "TRIM_HORIZON").load())

Rows: stream, shard_id, sequence_number, partition_key, approximate_arrival_timestamp, data
(binary, as received), millis_behind_latest (of the GetRecords call that returned the row).

Offsets (in Spark's checkpoint) are per-shard positions: the last sequence number read (kept as
a string, compared as int: real ones are up to 128-bit), or the starting position, plus "done"
once a closed shard has been read to its end. A shard created by a reshard is read only after
its parents are done (from the batch after), so resharding loses nothing and keeps order per key.
A restart resumes right after the last committed batch; an uncommitted batch is re-read exactly
between its recorded offsets.

Reader design: `driver` (SimpleDataSourceStreamReader) reads each record once on the driver and
hands Spark Arrow batches; `partitioned` plans in latestOffset by reading ahead to each shard's end,
then reads the same records again on the executors, one partition per shard. On Kinesis the
second read costs real quota (5 GetRecords calls/s and 2 MiB/s per shard), so `driver` is the
default; `partitioned` is for clusters whose many shards one driver process cannot decode fast
enough. `bench/streaming.py` measures both.

A batch takes an equal share of its record budget from every shard: a poll's records are spread
over all shards, and reading shard after shard would hold every poll open until the last shard
is read (and would let one shard's arrival times run ahead of another's).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
from pyspark.errors import PySparkNotImplementedError
from pyspark.sql.datasource import (
    DataSource,
    DataSourceStreamReader,
    InputPartition,
    SimpleDataSourceStreamReader,
)
from pyspark.sql.streaming.datasource import ReadLimit, ReadMaxRows, SupportsTriggerAvailableNow
from pyspark.sql.types import BinaryType, LongType, StringType, StructField, StructType, TimestampType

SCHEMA = StructType(
    [
        StructField("stream", StringType(), True),
        StructField("shard_id", StringType(), True),
        StructField("sequence_number", StringType(), True),
        StructField("partition_key", StringType(), True),
        StructField("approximate_arrival_timestamp", TimestampType(), True),
        StructField("data", BinaryType(), True),
        StructField("millis_behind_latest", LongType(), True),
    ]
)
ARROW_SCHEMA = pa.schema(
    [
        ("stream", pa.string()),
        ("shard_id", pa.string()),
        ("sequence_number", pa.string()),
        ("partition_key", pa.string()),
        ("approximate_arrival_timestamp", pa.timestamp("us", tz="UTC")),
        ("data", pa.binary()),
        ("millis_behind_latest", pa.int64()),
    ]
)
GET_RECORDS_LIMIT = 10_000
# Kinesis (and kinesalite) refuse an iterator 300 s after it was issued; a kept one is used well before
ITERATOR_REUSE_SECONDS = 240.0
STARTING_POSITIONS = ("TRIM_HORIZON", "LATEST", "AT_TIMESTAMP")


@dataclass
class ShardPosition:
    """Where reading a shard resumes: after `after`, else at `start`; `done` when a closed shard ended."""

    start: str
    after: str | None = None
    done: bool = False

    def to_json(self) -> dict[str, Any]:
        return {"start": self.start, "after": self.after, "done": self.done}

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> ShardPosition:
        return cls(value["start"], value.get("after"), bool(value.get("done", False)))


class KinesisShards:
    """The boto3 side of the source: shard listing and reading between positions."""

    def __init__(self, options: dict[str, str]):
        self.stream = options["streamname"]
        self.region = options.get("region") or os.environ.get("GST_AWS_REGION", "us-east-1")
        self.endpoint = options.get("endpointurl")
        self._client: Any = None
        # per shard, the iterator that continues a read where it ended: (last sequence read, iterator,
        # monotonic time it was issued), so the next trigger's read needs no GetShardIterator call
        self._continuations: dict[str, tuple[str, str, float]] = {}

    def __getstate__(self) -> dict[str, Any]:
        """Spark pickles readers to its Python workers; each builds its own client."""
        return {**self.__dict__, "_client": None, "_continuations": {}}

    @property
    def client(self) -> Any:
        if self._client is None:
            # lazy: the reader is pickled to executors and builds its client there
            import boto3
            from botocore.config import Config

            kwargs: dict[str, Any] = {
                "region_name": self.region,
                "config": Config(retries={"max_attempts": 10, "mode": "adaptive"}),
            }
            if self.endpoint:
                kwargs["endpoint_url"] = self.endpoint
            key, secret = os.environ.get("GST_AWS_ACCESS_KEY_ID"), os.environ.get("GST_AWS_SECRET_ACCESS_KEY")
            if key and secret:
                kwargs.update(aws_access_key_id=key, aws_secret_access_key=secret)
            self._client = boto3.session.Session().client("kinesis", **kwargs)
        return self._client

    def list_shards(self) -> list[dict[str, Any]]:
        shards, token = [], None
        while True:
            page = (
                self.client.list_shards(NextToken=token) if token else self.client.list_shards(StreamName=self.stream)
            )
            shards += page["Shards"]
            token = page.get("NextToken")
            if not token:
                return shards

    def _iterator(self, shard_id: str, position: ShardPosition) -> str:
        args: dict[str, Any] = {"StreamName": self.stream, "ShardId": shard_id}
        if position.after is not None:
            args.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=position.after)
        elif position.start.startswith("AT_TIMESTAMP:"):
            millis = int(position.start.split(":", 1)[1])
            args.update(ShardIteratorType="AT_TIMESTAMP", Timestamp=datetime.fromtimestamp(millis / 1000, UTC))
        else:
            args.update(ShardIteratorType="TRIM_HORIZON")
        return self.client.get_shard_iterator(**args)["ShardIterator"]

    def _continuation(self, shard_id: str, position: ShardPosition) -> str | None:
        """The iterator the last read of this shard ended with, if it continues right after `position`
        and is young enough to be accepted."""
        kept = self._continuations.pop(shard_id, None)
        if kept is None or position.after is None or kept[0] != position.after:
            return None
        return kept[1] if time.monotonic() - kept[2] < ITERATOR_REUSE_SECONDS else None

    def read(
        self,
        shard: dict[str, Any],
        position: ShardPosition,
        budget: int,
        until: str | None = None,
        arrived_by: datetime | None = None,
    ) -> tuple[list[dict[str, Any]], ShardPosition, int]:
        """Records after `position`, at most `budget`, none past sequence `until` or arrived after
        `arrived_by`; the new position and the lag behind the shard's tip.

        A read at the tip of an open shard costs one GetRecords call when records arrived since the
        last read: it ends on a short page that says it is caught up (MillisBehindLatest 0) instead
        of asking again for an empty one, and it starts from the iterator the previous read ended
        with. Kinesis allows 5 GetRecords and 5 GetShardIterator calls a second per shard, and both
        queries read every shard on every trigger."""
        shard_id = shard["ShardId"]
        ending = shard.get("SequenceNumberRange", {}).get("EndingSequenceNumber")
        records: list[dict[str, Any]] = []
        new = ShardPosition(position.start, position.after, position.done)
        behind = 0
        if (
            position.done
            or budget <= 0
            or (until is not None and position.after is not None and int(position.after) >= int(until))
        ):
            return records, new, behind
        continued = self._continuation(shard_id, position)
        iterator: str | None = continued or self._iterator(shard_id, position)
        page_records = 0
        while iterator and len(records) < budget:
            limit = min(GET_RECORDS_LIMIT, budget - len(records))
            try:
                page = self.client.get_records(ShardIterator=iterator, Limit=limit)
            except self.client.exceptions.ExpiredIteratorException:
                if continued is None or iterator != continued:
                    raise
                iterator, continued = self._iterator(shard_id, new), None  # a kept one outlived its 5 minutes
                continue
            issued = time.monotonic()
            behind = int(page.get("MillisBehindLatest") or 0)
            for record in page["Records"]:
                if until is not None and int(record["SequenceNumber"]) > int(until):
                    return records, new, behind
                if arrived_by is not None and record["ApproximateArrivalTimestamp"] > arrived_by:
                    return records, new, behind
                record["MillisBehindLatest"] = behind
                records.append(record)
                new.after = record["SequenceNumber"]
            page_records = len(page["Records"])
            iterator = page.get("NextShardIterator")
            reached_end = ending is not None and new.after is not None and int(new.after) >= int(ending)
            if iterator is None or (ending is not None and not page["Records"]) or reached_end:
                new.done = ending is not None and (iterator is None or reached_end or not page["Records"])
                break
            # caught up: asking again now would return nothing (a closed shard reads on to the empty
            # page that marks it done)
            if behind == 0 and page_records < limit and ending is None:
                break
        # kept only when it follows a record read: kinesalite starts the iterator of an empty page
        # at the time of the call, which a record being put at that moment may precede
        if iterator is not None and page_records and not new.done and new.after is not None:
            self._continuations[shard_id] = (new.after, iterator, issued)
        return records, new, behind


def to_arrow(stream: str, shard_id: str, records: list[dict[str, Any]]) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays(
        [
            pa.array([stream] * len(records), pa.string()),
            pa.array([shard_id] * len(records), pa.string()),
            pa.array([r["SequenceNumber"] for r in records], pa.string()),
            pa.array([r["PartitionKey"] for r in records], pa.string()),
            pa.array([r.get("ApproximateArrivalTimestamp") for r in records], pa.timestamp("us", tz="UTC")),
            pa.array([bytes(r["Data"]) for r in records], pa.binary()),
            pa.array([r.get("MillisBehindLatest") for r in records], pa.int64()),
        ],
        schema=ARROW_SCHEMA,
    )


class _KinesisOffsets(SupportsTriggerAvailableNow):
    """Offset logic shared by both reader designs."""

    def __init__(self, options: dict[str, str]):
        self.arrived_by: datetime | None = None
        self.shards = KinesisShards(options)
        self.max_records = int(options.get("maxrecordsperbatch", 100_000))
        position = options.get("startingposition", "TRIM_HORIZON").upper()
        if position not in STARTING_POSITIONS:
            raise ValueError(f"startingPosition must be one of {', '.join(STARTING_POSITIONS)}, not {position!r}")
        if position == "AT_TIMESTAMP":
            moment = datetime.fromisoformat(options["startingtimestamp"])
            self.start = f"AT_TIMESTAMP:{int(moment.timestamp() * 1000)}"
        elif position == "LATEST":
            self.start = f"AT_TIMESTAMP:{int(datetime.now(UTC).timestamp() * 1000)}"  # replayable, unlike LATEST
        else:
            self.start = "TRIM_HORIZON"
        self.start_after: dict[str, str] = json.loads(options.get("startafter") or "{}")

    def prepareForTriggerAvailableNow(self) -> None:
        """availableNow: read what had arrived when the query started, then stop."""
        self.arrived_by = datetime.now(UTC)

    def getDefaultReadLimit(self) -> ReadMaxRows:
        return ReadMaxRows(self.max_records)

    def initialOffset(self) -> dict:
        shards = self.shards.list_shards()
        return self.encode(
            {s["ShardId"]: ShardPosition(self.start, self.start_after.get(s["ShardId"])) for s in shards}
        )

    def readable(self, offset: dict) -> tuple[list[dict[str, Any]], dict[str, ShardPosition]]:
        """Shards to read now, parents first; children wait until their parents are done."""
        known = {k: ShardPosition.from_json(v) for k, v in offset["shards"].items()}
        shards = self.shards.list_shards()
        positions: dict[str, ShardPosition] = {}
        ready = []
        for shard in shards:
            shard_id = shard["ShardId"]
            # a new child starts at its beginning; an unknown shard without known parents keeps the query's start
            parents = [p for p in (shard.get("ParentShardId"), shard.get("AdjacentParentShardId")) if p]
            positions[shard_id] = known.get(shard_id) or ShardPosition(
                "TRIM_HORIZON" if any(p in known for p in parents) else self.start
            )
            if all(known[p].done for p in parents if p in known):
                ready.append(shard)
        for shard_id, position in known.items():  # expired shards stay in the offset until their children are read
            positions.setdefault(shard_id, position)
        return ready, positions

    @staticmethod
    def encode(positions: dict[str, ShardPosition]) -> dict:
        return {"shards": {k: positions[k].to_json() for k in sorted(positions)}}

    def read_all(self, start: dict, until: dict | None = None) -> tuple[list[pa.RecordBatch], dict]:
        ready, positions = self.readable(start)
        stop = {k: ShardPosition.from_json(v) for k, v in until["shards"].items()} if until else None
        share = -(-self.max_records // max(len(ready), 1))  # every shard advances in every batch
        batches = []
        for shard in ready:
            shard_id = shard["ShardId"]
            limit = stop[shard_id].after if stop and shard_id in stop else None
            if stop is not None and (shard_id not in stop or stop[shard_id].after is None):
                continue
            records, positions[shard_id], _ = self.shards.read(
                shard,
                positions[shard_id],
                share if stop is None else self.max_records,
                limit,
                None if stop else self.arrived_by,
            )
            if stop is not None:
                positions[shard_id] = stop[shard_id]
            if records:
                batches.append(to_arrow(self.shards.stream, shard_id, records))
        return batches, self.encode(positions)


class KinesisDriverReader(_KinesisOffsets, SimpleDataSourceStreamReader):
    """Reads each record once, on the driver, and hands Spark Arrow batches."""

    def read(self, start: dict) -> tuple[Iterator[pa.RecordBatch], dict]:
        batches, end = self.read_all(start)
        return iter(batches), end

    def readBetweenOffsets(self, start: dict, end: dict) -> Iterator[pa.RecordBatch]:
        batches, _ = self.read_all(start, until=end)
        return iter(batches)


@dataclass
class ShardSlice(InputPartition):
    shard: dict[str, Any]
    start: dict[str, Any]
    end: dict[str, Any]


class KinesisPartitionedReader(_KinesisOffsets, DataSourceStreamReader):
    """Plans each batch by reading ahead on the driver, then reads each shard again in parallel."""

    def latestOffset(self, start: dict, limit: ReadLimit | None = None) -> dict:
        ready, positions = self.readable(start)
        budget = limit.max_rows if isinstance(limit, ReadMaxRows) else self.max_records
        share = -(-budget // max(len(ready), 1))
        for shard in ready:
            _, positions[shard["ShardId"]], _ = self.shards.read(
                shard, positions[shard["ShardId"]], share, arrived_by=self.arrived_by
            )
        return self.encode(positions)

    def partitions(self, start: dict, end: dict) -> list[ShardSlice]:
        ready, positions = self.readable(start)
        stop = end["shards"]
        return [
            ShardSlice(shard, positions[shard["ShardId"]].to_json(), stop[shard["ShardId"]])
            for shard in ready
            if shard["ShardId"] in stop
            and stop[shard["ShardId"]].get("after")
            and stop[shard["ShardId"]] != positions[shard["ShardId"]].to_json()
        ]

    def read(self, partition: InputPartition) -> Iterator[pa.RecordBatch]:
        assert isinstance(partition, ShardSlice)  # what partitions() plans
        stop = ShardPosition.from_json(partition.end)
        records, _, _ = self.shards.read(
            partition.shard, ShardPosition.from_json(partition.start), self.max_records, stop.after
        )
        if records:
            yield to_arrow(self.shards.stream, partition.shard["ShardId"], records)

    def commit(self, end: dict) -> None:
        """Nothing to release: Kinesis keeps records for their retention period."""


class KinesisDataSource(DataSource):
    @classmethod
    def name(cls) -> str:
        return "kinesis"

    def schema(self) -> StructType:
        return SCHEMA

    def _options(self) -> dict[str, str]:
        options = {k.lower(): v for k, v in dict(self.options).items()}
        if not options.get("streamname"):
            raise ValueError("the kinesis source needs the option streamName")
        return options

    def simpleStreamReader(self, schema: StructType) -> SimpleDataSourceStreamReader:
        return KinesisDriverReader(self._options())

    def streamReader(self, schema: StructType) -> DataSourceStreamReader:
        options = self._options()
        mode = options.get("readermode", "driver")
        if mode == "driver":  # Spark then falls back to simpleStreamReader
            raise PySparkNotImplementedError(
                errorClass="NOT_IMPLEMENTED", messageParameters={"feature": "streamReader"}
            )
        if mode != "partitioned":
            raise ValueError(f"readerMode must be driver or partitioned, not {mode!r}")
        return KinesisPartitionedReader(options)
