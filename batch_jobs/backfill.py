"""Backfill: re-derive silver from bronze for a range of arrival time, with the streaming job's own
transformation code (StreamJob.derive), then load gold for the buckets that changed.

Bronze rows are taken in their original ingest batches, oldest first, so polls open and close on
the same arrival times as they did in the stream: a lake rebuilt from bronze alone equals the one
the stream wrote. Rows silver already holds are skipped by their event_id (the same partition-
scoped dedup the stream uses), so a backfill over streamed data, or a second backfill, changes no
value. The backfill never touches Redis (old data must not look live) nor quarantine (bronze and the
stream's quarantine rows already keep every bad record); it reports how many records it skipped as
invalid.

Beside a running stream: a range is refused while the stream may still write it (polls first seen
in it are still open, or it ends within the poll grace period of now), and every Delta write that
loses a commit race is retried on the fresh table (streaming_jobs/lake.py).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import structlog
from pyspark.sql import SparkSession
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from batch_jobs.gold import LoadReport, run_gold
from batch_jobs.replay import ingest_days
from gamestream.settings import Settings
from streaming_jobs import lake as L
from streaming_jobs.job import StreamJob
from streaming_jobs.lake import Lake, sql_in
from streaming_jobs.transforms import parse_records

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


def check_settled(lake: Lake, settings: Settings, end: datetime, now: datetime | None = None) -> None:
    now = now or datetime.now(UTC)
    horizon = now - timedelta(seconds=settings.poll_grace_seconds)
    if end > horizon:
        raise RangeNotSettled(
            f"--to {end.isoformat()} is within the poll grace period ({settings.poll_grace_seconds:g} s) "
            f"of now: records for polls in it may still arrive; use --to {horizon:%Y-%m-%dT%H:%M:%S}Z "
            "or earlier"
        )
    open_polls = lake.read(
        L.POLLS, f"status = 'open' AND first_seen_at < TIMESTAMP '{end.isoformat()}'", columns=["poll_id"]
    )
    if open_polls is not None and open_polls.num_rows:
        sample = ", ".join(open_polls["poll_id"].to_pylist()[:3])
        raise RangeNotSettled(
            f"{open_polls.num_rows} polls first seen before {end.isoformat()} are still open "
            f"(e.g. {sample}): the stream is still writing them"
        )


def bronze_batches(lake: Lake, start: datetime, end: datetime, source: str | None) -> list[pa.Table]:
    """Bronze rows that arrived in [start, end), grouped by the ingest batch that wrote them, oldest first."""
    where = (
        f"{sql_in('ingest_date', ingest_days(start, end))} AND arrival_time >= TIMESTAMP '{start.isoformat()}' "
        f"AND arrival_time < TIMESTAMP '{end.isoformat()}'"
    )
    if source:
        where += f" AND {sql_in('source', [source])}"
    rows = lake.read(L.BRONZE, where)
    if rows is None or rows.num_rows == 0:
        return []
    groups: dict[tuple, list[int]] = {}
    for i, key in enumerate(zip(rows["ingest_run"].to_pylist(), rows["ingest_batch_id"].to_pylist())):
        groups.setdefault(key, []).append(i)
    batches = [rows.take(indices) for indices in groups.values()]
    return sorted(
        batches,
        key=lambda b: (pc.min(b["arrival_time"]).as_py(), b["ingest_run"][0].as_py(), b["ingest_batch_id"][0].as_py()),
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
) -> BackfillReport:
    if source is not None and source not in SOURCES:
        raise ValueError(f"--source must be one of {', '.join(SOURCES)}, not {source!r}")
    if end <= start:
        raise ValueError("--to must be after --from")
    lake = Lake(settings.lake_path)
    check_settled(lake, settings, end, now)
    run_id = f"backfill-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}"
    job = StreamJob(settings, spark, lake=Lake(lake.root, storage_options=lake.storage_options), live=_NoLive())  # type: ignore[arg-type]  # any use raises
    job.attach(run_id)
    batches = bronze_batches(lake, start, end, source)
    records = invalid = 0
    columns = (
        TextColumn("backfill {task.fields[range]}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[records]} records"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task(
            "backfill", total=len(batches), records=0, range=f"{start:%Y-%m-%d %H:%M} .. {end:%Y-%m-%d %H:%M}"
        )
        for batch_id, rows in enumerate(batches):
            arrival = pc.max(rows["arrival_time"]).as_py()
            # the rows this backfill inserts are its own: tagged with its run and batch like a stream's
            rows = rows.set_column(
                rows.column_names.index("ingest_run"), "ingest_run", pa.array([run_id] * rows.num_rows, pa.string())
            )
            rows = rows.set_column(
                rows.column_names.index("ingest_batch_id"),
                "ingest_batch_id",
                pa.array([batch_id] * rows.num_rows, pa.int64()),
            )
            parsed = parse_records(spark.createDataFrame(rows)).cache()
            skipped, _ = job.derive(parsed, batch_id, arrival, write_quarantine=False)
            records += rows.num_rows
            invalid += skipped
            progress.update(task, advance=1, records=records)
    log.info("backfill_silver_done", run_id=run_id, batches=len(batches), records=records, invalid=invalid)
    gold = run_gold(settings) if load_gold and batches else None
    return BackfillReport(run_id, len(batches), records, invalid, gold)


class _NoLive:
    """Backfills never write the live state (old data must not look live; see docs/operations.md)."""

    def __getattr__(self, name: str) -> None:
        raise RuntimeError(f"a backfill does not write Redis (tried LiveWriter.{name})")
