"""Replay: re-publish bronze records into a Kinesis stream or a Kafka topic (GST_SINK, or the
`target` argument), byte for byte with their partition keys, in their original order and relative
timing, sped up by a factor or as fast as the stream takes them.

A range is taken by arrival time (`by="arrived"`: what the stream received in [start, end), in arrival
order, then shard and sequence number) or by the time the records describe (`by="observed"`: their
`observed_at`, read from each record's JSON, in that order): history that `gst import` brought in
arrived at import time, so only the second finds it. Ordering is Arrow's, never a sort in Python.

Replayed records keep their event ids, so silver drops them as duplicates when they reach the
lake that already holds them, and the live state never goes back in time: Redis refuses an
observation older than the one it shows (streaming_jobs/live.py). Replay into another stream (or
topic, created if missing) to rebuild elsewhere.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gamestream.core import lake as L
from gamestream.core.clock import as_utc
from gamestream.core.lake import Lake, sql_in
from gamestream.core.settings import Settings
from producers.sinks.kafka import KafkaSink, ensure_topic
from producers.sinks.kinesis import KinesisSink

ORDERS = ("arrived", "observed")
COLUMNS = ["arrival_time", "shard_id", "sequence_number", "partition_key", "data"]
# a producer's clock may run ahead of the stream's: records observed in a range are looked for from
# the day before its start on (by ingest date)
CLOCK_SLACK = timedelta(days=1)


def ingest_days(start: datetime, end: datetime) -> list[date]:
    """The ingest-date partitions [start, end) can be in (records are ingested after they arrive)."""
    days = []
    day = start.date()
    while day <= end.date() + timedelta(days=1):
        days.append(day)
        day += timedelta(days=1)
    return days


def stream_order(rows: pa.Table, first: list[tuple[str, str]]) -> pa.Table:
    """`rows` sorted by `first`, then arrival, shard and sequence number (a decimal of any length:
    shorter is smaller, then by its digits)."""
    rows = rows.append_column("sequence_digits", pc.utf8_length(rows["sequence_number"]))
    keys = [*first, ("arrival_time", "ascending"), ("shard_id", "ascending")]
    keys += [("sequence_digits", "ascending"), ("sequence_number", "ascending")]
    return rows.sort_by(keys).drop_columns(["sequence_digits"])


def observed_times(rows: pa.Table) -> pa.Array:
    """Each bronze row's observed_at as a UTC timestamp, null where its payload holds none (not UTF-8,
    not JSON, no such field, not a time); read by DuckDB's JSON functions, not a pattern over text."""
    connection = duckdb.connect()
    try:
        connection.execute("SET TimeZone = 'UTC'")  # a time without an offset is UTC, as in the contracts
        connection.register("bronze", rows.select(["payload"]))
        found = (
            connection.sql(
                "SELECT TRY_CAST(CASE WHEN json_valid(payload) THEN json_extract_string(payload, '$.observed_at') END"
                " AS TIMESTAMPTZ) AS observed_at FROM bronze"
            )
            .arrow()
            .read_all()
        )
    finally:
        connection.close()
    return pc.cast(found["observed_at"].combine_chunks(), L.TIMESTAMP)


@dataclass(frozen=True)
class Selection:
    """The rows to replay, in order, with the time each stands at (its arrival or observed time)."""

    rows: pa.Table
    times: list[datetime]
    unreadable: int  # rows scanned whose observed time could not be read (by="observed" only)


def bronze_between(lake: Lake, start: datetime, end: datetime, by: str = "arrived") -> Selection:
    """Bronze rows in [start, end) by arrival or observed time, in that order; pruned by ingest date."""
    if by not in ORDERS:
        raise ValueError(f"unknown replay order {by!r}: choose one of {', '.join(ORDERS)}")
    if by == "arrived":
        where = (
            f"{sql_in('ingest_date', ingest_days(start, end))} AND arrival_time >= TIMESTAMP '{start.isoformat()}' "
            f"AND arrival_time < TIMESTAMP '{end.isoformat()}'"
        )
    else:
        where = f"ingest_date >= DATE '{(start - CLOCK_SLACK).date().isoformat()}'"
    rows = lake.read(L.BRONZE, where, columns=COLUMNS + (["payload"] if by == "observed" else []))
    if rows is None or rows.num_rows == 0:
        return Selection(pa.table({"arrival_time": pa.array([], L.TIMESTAMP)}), [], 0)
    if by == "arrived":
        ordered = stream_order(rows, [])
        return Selection(ordered, ordered["arrival_time"].to_pylist(), 0)
    observed = observed_times(rows)
    unreadable = observed.null_count
    rows = rows.append_column("observed_at", observed)
    inside = pc.and_(
        pc.greater_equal(rows["observed_at"], pa.scalar(start, L.TIMESTAMP)),
        pc.less(rows["observed_at"], pa.scalar(end, L.TIMESTAMP)),
    )
    ordered = stream_order(rows.filter(inside), [("observed_at", "ascending")])
    return Selection(ordered, ordered["observed_at"].to_pylist(), unreadable)


def bronze_span(lake: Lake) -> tuple[datetime, datetime, int] | None:
    """When bronze's first and last records arrived, and how many it holds (None: bronze is empty)."""
    found = lake.read(L.BRONZE, columns=["arrival_time"])
    if found is None or found.num_rows == 0:
        return None
    bounds = pc.min_max(found["arrival_time"])
    return as_utc(bounds["min"].as_py()), as_utc(bounds["max"].as_py()), found.num_rows


TARGETS = ("kinesis", "kafka")


class UnknownTarget(ValueError):
    """The replay target is neither kinesis nor kafka."""


@dataclass(frozen=True)
class ReplayReport:
    sent: int
    unreadable: int  # bronze rows skipped by="observed" since their observed time could not be read
    held: tuple[datetime, datetime, int] | None  # bronze's first and last arrival and size, when none was sent


def replay(
    settings: Settings,
    start: datetime,
    end: datetime,
    speed: float | None = None,
    stream: str | None = None,
    show_progress: bool = True,
    target: str | None = None,
    by: str = "arrived",
) -> ReplayReport:
    """Re-publish [start, end) of bronze, by arrival or observed time (`by`), into `stream` (default
    GST_STREAM_NAME) on `target` (kinesis or kafka, default GST_SINK); `speed` 60 plays an hour in a
    minute, None as fast as possible."""
    target = target or settings.sink
    if target not in TARGETS:
        raise UnknownTarget(f"unknown replay target {target!r}: choose one of {', '.join(TARGETS)}")
    into = settings.model_copy(update={"stream_name": stream or settings.stream_name})
    lake = Lake(settings.lake_path)
    chosen = bronze_between(lake, start, end, by)
    rows = chosen.rows
    if rows.num_rows == 0:
        return ReplayReport(0, chosen.unreadable, bronze_span(lake))
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
            first = chosen.times[0]
            began = time.monotonic()
            for at, key, data in zip(chosen.times, rows["partition_key"].to_pylist(), rows["data"].to_pylist()):
                if speed:
                    due = began + (at - first).total_seconds() / speed
                    time.sleep(max(0.0, due - time.monotonic()))
                sink.send_raw(key.encode(), data)
                progress.advance(task)
    finally:
        sink.close()
    return ReplayReport(rows.num_rows, chosen.unreadable, None)
