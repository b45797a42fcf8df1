"""Replay: re-publish bronze records into a Kinesis stream or a Kafka topic (GST_SINK, or the
`target` argument), byte for byte with their partition keys, in their original order (arrival time,
then shard and sequence number) and relative timing, sped up by a factor or as fast as the stream
takes them.

Replayed records keep their event ids, so silver drops them as duplicates when they reach the
lake that already holds them, and the live state never goes back in time: Redis refuses an
observation older than the one it shows (streaming_jobs/live.py). Replay into another stream (or
topic, created if missing) to rebuild elsewhere.
"""

from __future__ import annotations

import time
from datetime import date, datetime, timedelta

import pyarrow as pa
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gamestream.core import lake as L
from gamestream.core.lake import Lake, sql_in
from gamestream.core.settings import Settings
from producers.sinks.kafka import KafkaSink, ensure_topic
from producers.sinks.kinesis import KinesisSink


def ingest_days(start: datetime, end: datetime) -> list[date]:
    """The ingest-date partitions [start, end) can be in (records are ingested after they arrive)."""
    days = []
    day = start.date()
    while day <= end.date() + timedelta(days=1):
        days.append(day)
        day += timedelta(days=1)
    return days


def bronze_between(lake: Lake, start: datetime, end: datetime) -> pa.Table:
    """Bronze rows that arrived in [start, end), oldest first; pruned by ingest-date partition."""
    where = (
        f"{sql_in('ingest_date', ingest_days(start, end))} AND arrival_time >= TIMESTAMP '{start.isoformat()}' "
        f"AND arrival_time < TIMESTAMP '{end.isoformat()}'"
    )
    rows = lake.read(L.BRONZE, where, columns=["arrival_time", "shard_id", "sequence_number", "partition_key", "data"])
    if rows is None:
        return pa.table({"arrival_time": [], "partition_key": [], "data": []})
    order = sorted(
        range(rows.num_rows),
        key=lambda i: (
            rows["arrival_time"][i].as_py(),
            rows["shard_id"][i].as_py(),
            int(rows["sequence_number"][i].as_py()),
        ),
    )
    return rows.take(order)


TARGETS = ("kinesis", "kafka")


class UnknownTarget(ValueError):
    """The replay target is neither kinesis nor kafka."""


def replay(
    settings: Settings,
    start: datetime,
    end: datetime,
    speed: float | None = None,
    stream: str | None = None,
    show_progress: bool = True,
    target: str | None = None,
) -> int:
    """Re-publish [start, end) of bronze into `stream` (default GST_STREAM_NAME) on `target` (kinesis or
    kafka, default GST_SINK); `speed` 60 plays an hour in a minute, None as fast as possible."""
    target = target or settings.sink
    if target not in TARGETS:
        raise UnknownTarget(f"unknown replay target {target!r}: choose one of {', '.join(TARGETS)}")
    into = settings.model_copy(update={"stream_name": stream or settings.stream_name})
    rows = bronze_between(Lake(settings.lake_path), start, end)
    sink: KafkaSink | KinesisSink
    if target == "kafka":
        ensure_topic(into)
        sink = KafkaSink(into)
    else:
        sink = KinesisSink(into)
    columns = (
        TextColumn(f"replay into {target} '{into.stream_name}'"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
    )
    try:
        with Progress(*columns, disable=not show_progress) as progress:
            task = progress.add_task("replay", total=rows.num_rows)
            first = rows["arrival_time"][0].as_py() if rows.num_rows else None
            began = time.monotonic()
            for arrival, key, data in zip(
                rows["arrival_time"].to_pylist(), rows["partition_key"].to_pylist(), rows["data"].to_pylist()
            ):
                if speed:
                    due = began + (arrival - first).total_seconds() / speed
                    time.sleep(max(0.0, due - time.monotonic()))
                sink.send_raw(key.encode(), data)
                progress.advance(task)
    finally:
        sink.close()
    return rows.num_rows
