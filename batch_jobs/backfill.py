"""Backfill: silver and the poll totals from bronze for a range of arrival time, with the streaming
queries' own functions in batch mode (streaming_jobs.transforms, streaming_jobs.poll_state), then
gold for the buckets that changed.

This is where records the stream could not place get placed: late records (kept in bronze only),
replays and anything from a time the stream was down. Rows silver already holds are skipped by
event id, polls silver.polls already holds are skipped by poll id, so a backfill over streamed
data, or a second backfill, changes no value. Each table gets one idempotent Delta append per day
of the range (txnAppId = the backfill's run id). A backfill never touches Redis (old data must not
look live) nor quarantine (the stream's quarantine already keeps every bad record); it reports how
many records it skipped as invalid. A range the stream may still write (within the poll grace
period of now) is refused, unless the backfill reads only one ingest run's rows: `gst import`
writes each poll whole, so its run can be backfilled at once.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import structlog
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from batch_jobs.gold.loads import LoadReport, run_gold
from batch_jobs.replay import ingest_days
from gamestream.core import lake as L
from gamestream.core.settings import Settings
from streaming_jobs.delta_append import append_once
from streaming_jobs.games import identify
from streaming_jobs.lake_query import new_games
from streaming_jobs.poll_query import emitted_tables
from streaming_jobs.poll_state import OUTPUT_SCHEMA, close_poll
from streaming_jobs.transforms.parse import parse_records
from streaming_jobs.transforms.polls import poll_inputs
from streaming_jobs.transforms.silver import game_names, repeated_event_ids, silver_frames

log = structlog.get_logger(__name__)
SOURCES = ("steam", "twitch", "youtube", "synthetic")


class RangeNotSettled(RuntimeError):
    """The stream may still write this range; backfilling it now could race the stream's own counts."""


@dataclass(frozen=True)
class BackfillReport:
    run_id: str
    batches: int
    records: int
    invalid: int
    gold: LoadReport | None
    timings: dict[str, float] = field(default_factory=dict)  # seconds: parse, silver, polls, gold


def check_settled(settings: Settings, end: datetime, now: datetime | None = None) -> None:
    horizon = (now or datetime.now(UTC)) - timedelta(seconds=settings.poll_grace_seconds)
    if end > horizon:
        raise RangeNotSettled(
            f"--to {end.isoformat()} is within the poll grace period ({settings.poll_grace_seconds:g} s) "
            f"of now: records for polls in it may still arrive; use --to {horizon:%Y-%m-%dT%H:%M:%S}Z "
            "or earlier"
        )


def delta(spark: SparkSession, lake: L.Lake, table: str) -> DataFrame | None:
    return spark.read.format("delta").load(lake.path(table)) if lake.table(table) is not None else None


def bronze_between(spark: SparkSession, lake: L.Lake, day: date, start: datetime, end: datetime) -> DataFrame:
    """Bronze rows ingested on `day` that arrived in [start, end)."""
    rows = delta(spark, lake, L.BRONZE)
    if rows is None:
        return spark.createDataFrame([], "arrival_time TIMESTAMP")
    return rows.where(
        (F.col("ingest_date") == F.lit(day))
        & (F.col("arrival_time") >= F.lit(start))
        & (F.col("arrival_time") < F.lit(end))
    )


def backfill(
    settings: Settings,
    spark: SparkSession,
    start: datetime,
    end: datetime,
    source: str | None = None,
    show_progress: bool = True,
    load_gold: bool = True,
    now: datetime | None = None,
    ingest_run: str | None = None,
) -> BackfillReport:
    """`ingest_run`: only the bronze rows that run wrote (an import's), without waiting for the range to settle."""
    if source is not None and source not in SOURCES:
        raise ValueError(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
    if end <= start:
        raise ValueError("--to must be after --from")
    if ingest_run is None:
        check_settled(settings, end, now)
    lake = L.Lake(settings.lake_path)
    run_id = f"backfill-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    days = ingest_days(start, end)
    records = invalid = added = 0
    inputs: list[DataFrame] = []
    timings = {"parse": 0.0, "silver": 0.0, "polls": 0.0, "gold": 0.0}
    columns = (
        TextColumn("backfill {task.fields[range]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[records]} records, {task.fields[added]} added to silver"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task(
            "backfill",
            total=len(days) + 1,
            records=0,
            added=0,
            range=f"{start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}",
        )
        for version, day in enumerate(days):
            rows = bronze_between(spark, lake, day, start, end)
            if source:
                rows = rows.where(F.col("source") == source)
            if ingest_run:
                rows = rows.where(F.col("ingest_run") == ingest_run)
            began = time.perf_counter()
            # kept in memory: the typed fields, and the raw text of manifests only (the poll state reads it)
            parsed = (
                parse_records(rows.drop("data"))
                .withColumn("payload", F.when(F.col("kind") == "poll_manifest", F.col("payload")))
                .withColumn("late", F.lit(False))
                .persist()
            )
            counts = parsed.groupBy(F.col("quarantine_reason").isNotNull().alias("bad")).count().collect()
            day_records = sum(c["count"] for c in counts)
            parsed_at = time.perf_counter()
            timings["parse"] += parsed_at - began
            if day_records:
                records += day_records
                invalid += sum(c["count"] for c in counts if c["bad"])
                added += _add_to_silver(spark, lake, parsed, run_id, version)
                inputs.append(poll_inputs(parsed))
            timings["silver"] += time.perf_counter() - parsed_at
            progress.update(task, advance=1, records=records, added=added)
        began = time.perf_counter()
        polls = _close_polls(spark, lake, inputs, run_id, len(days)) if inputs else 0
        timings["polls"] = time.perf_counter() - began
        progress.update(task, advance=1)
    log.info(
        "backfill_silver_done",
        run_id=run_id,
        records=records,
        invalid=invalid,
        added=added,
        polls=polls,
        seconds={stage: round(seconds, 2) for stage, seconds in timings.items() if seconds},
    )
    began = time.perf_counter()
    gold = run_gold(settings) if load_gold and records else None
    timings["gold"] = time.perf_counter() - began
    return BackfillReport(run_id, len(days), records, invalid, gold, timings)


def _add_to_silver(spark: SparkSession, lake: L.Lake, parsed: DataFrame, run_id: str, version: int) -> int:
    """Rows silver lacks (by event id, within the partitions they belong to); returns how many."""
    identities = {r["name"]: identify(r["name"]) for r in game_names(parsed).collect()}
    keys = spark.createDataFrame([(n, i.key) for n, i in identities.items()], "name STRING, game_key STRING")
    known = lake.read(L.GAMES, columns=["game_key"])
    games = new_games(identities, set(known["game_key"].to_pylist()) if known is not None else set(), datetime.now(UTC))
    if games is not None:
        append_once(spark.createDataFrame(games).coalesce(1), lake.path(L.GAMES), run_id, version)
    added = 0
    repeated = [r["event_id"] for r in repeated_event_ids(parsed).collect()]  # deduplicate only these rows
    for table, frame in silver_frames(parsed, keys, repeated).items():
        path = f"silver/{table}"
        existing = delta(spark, lake, path)
        if existing is not None:
            dates = [r["poll_date"] for r in frame.select("poll_date").distinct().collect()]
            held = existing.where(F.col("poll_date").isin(dates)).select("event_id", "poll_date")
            frame = frame.join(held, ["event_id", "poll_date"], "left_anti")
        frame = frame.persist()
        count = frame.count()
        if count:
            append_once(frame, lake.path(path), run_id, version, ["poll_date"])
            added += count
        frame.unpersist()
    return added


def _close_polls(spark: SparkSession, lake: L.Lake, inputs: list[DataFrame], run_id: str, version: int) -> int:
    """Totals of the polls silver.polls does not hold yet, from every record of the range."""
    records = inputs[0]
    for more in inputs[1:]:
        records = records.unionByName(more)
    held = delta(spark, lake, L.POLLS)
    if held is not None:
        records = records.join(held.select("poll_id"), "poll_id", "left_anti")
    emitted = records.groupBy("poll_id").applyInPandas(close_poll, OUTPUT_SCHEMA).persist()
    tables = emitted_tables(emitted)
    count = tables[L.POLLS].count()
    if count:
        append_once(tables[L.TOTALS], lake.path(L.TOTALS), run_id, version, ["poll_date"])
        append_once(tables[L.POLLS], lake.path(L.POLLS), run_id, version)
    emitted.unpersist()
    return count
