"""Import past data: files -> units -> bronze and quarantine (delta-rs), then the backfill places the
records in silver and the poll totals and loads gold (batch_jobs.backfill, batch_jobs.gold).

Idempotent per unit (a JSON-lines file, or a seed fetch run): each commit to bronze or quarantine
carries one Delta app transaction per unit it holds (txnAppId `import-<sha256>`, version 0), and a
unit whose app id a table already recorded is not written to it again. Units are committed together
in chunks, so a month of hourly polls is a few commits, not thousands; a chunk is atomic per table.

Imported rows arrive in the lake when the import writes them: bronze's `arrival_time` and
`ingest_date` are the import's, its `stream` is `import`, `shard_id` the file and `sequence_number`
the line (JSON lines) or the entry in its page (seed; 0 for a poll's manifest or a whole bad file),
and `ingest_run` the import's run id. The backfill then reads exactly that run's rows: each poll's
records and manifest were written together, so it need not wait for the stream's grace period."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import structlog
from pyspark.sql import SparkSession
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from batch_jobs.backfill import backfill
from batch_jobs.imports import FormatName
from batch_jobs.imports.base import ImportFormat
from batch_jobs.imports.chunk_writer import ChunkWriter
from batch_jobs.imports.files import Files, NothingToImport
from batch_jobs.imports.jsonl import JsonLines
from batch_jobs.imports.report import ImportReport, add_time
from batch_jobs.imports.seed import SeedArchive
from batch_jobs.imports.staging import Failed, Skipped, UnitConverter, converted, workers_for
from gamestream.core import lake as L
from gamestream.core.settings import Settings

log = structlog.get_logger(__name__)


def import_format(name: str, interval: float | None = None, single_file: bool = False) -> ImportFormat:
    if name == FormatName.seed:
        return SeedArchive(interval)
    if name == FormatName.jsonl:
        return JsonLines(single_file)
    raise ValueError(f"unknown format {name!r}: choose one of {', '.join(FormatName)}")


def run_import(
    settings: Settings,
    location: str,
    format_name: str,
    spark: Callable[[], SparkSession],
    interval: float | None = None,
    load_gold: bool = True,
    show_progress: bool = True,
    dry_run: bool = False,
    on_plan: Callable[[ImportReport], None] | None = None,
) -> ImportReport:
    """Import everything under `location`; `spark` is called only when there is something to backfill.
    `on_plan` sees the report of what was found before anything is written; a dry run reads and
    converts every file (so coverage is exact) and writes nothing."""
    began = time.perf_counter()
    files = Files(location, settings)
    listed = files.find()
    single = len(listed) == 1 and (listed[0].uri == location or Path(location).is_file())
    form = import_format(format_name, interval, single)
    plan = form.plan(listed)
    if not plan.units:
        raise NothingToImport(f"{len(listed)} files under {location}, none of them {form.description}")
    report = ImportReport(f"import-run-{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}", location, form.name)
    report.files = sum(len(unit) for unit in plan.units)
    report.ignored = len(plan.ignored)
    report.used = len(plan.used)
    report.runs = plan.runs
    report.notes = form.notes()
    report.dry_run = dry_run
    report.timings["plan"] = time.perf_counter() - began
    if on_plan is not None:
        on_plan(report)
    runs = {tuple(run.files): index for index, run in enumerate(report.runs)}
    writer = ChunkWriter(L.Lake(settings.lake_path), report, dry_run)
    session = SparkStart(spark)
    columns = (
        TextColumn(f"import {form.name} {location}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "files; {task.fields[records]} records, {task.fields[polls]} polls, "
            "{task.fields[quarantined]} quarantined, {task.fields[skipped]} skipped"
        ),
        TimeRemainingColumn(),
    )
    workers = workers_for(settings, plan.units)
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("import", total=report.files, records=0, polls=0, quarantined=0, skipped=0)
        outcomes = converted(UnitConverter(form, location, settings), plan.units, workers)
        for group, (outcome, waited) in zip(plan.units, outcomes, strict=True):
            add_time(report, "convert", waited)
            began = time.perf_counter()
            if isinstance(outcome, Failed):
                if outcome.unreadable:
                    log.warning("import_file_unreadable", error=outcome.reason)
                report.failed.append(outcome.reason)
            elif isinstance(outcome, Skipped):
                report.skipped_files += outcome.files  # found by its bytes alone: nothing to convert
            else:
                if outcome.run is not None and (index := runs.get(tuple(f.uri for f in group))) is not None:
                    report.runs[index] = outcome.run  # with its coverage
                if outcome.records and not dry_run:
                    session.start()  # the JVM starts while the rest converts
                writer.add(outcome)
            add_time(report, "write", time.perf_counter() - began)
            progress.update(
                task,
                advance=len(group),
                records=report.records + writer.pending_records,
                polls=report.polls + writer.pending_polls,
                quarantined=report.quarantined + writer.pending_problems,
                skipped=report.skipped_files,
            )
        began = time.perf_counter()
        writer.flush()
        add_time(report, "write", time.perf_counter() - began)
        progress.update(task, records=report.records, polls=report.polls, quarantined=report.quarantined)
    report.workers = workers
    log.info(
        "import_checked" if dry_run else "import_written",
        run_id=report.run_id,
        files=report.files,
        units=report.units,
        records=report.records,
        quarantined=report.quarantined,
        skipped_files=report.skipped_files,
        failed=len(report.failed),
    )
    if writer.arrivals:
        first, last = min(writer.arrivals), max(writer.arrivals)
        began = time.perf_counter()
        report.backfill = backfill(
            settings,
            session.get(),
            first,
            last + timedelta(seconds=1),
            show_progress=show_progress,
            load_gold=load_gold,
            ingest_run=report.run_id,
        )
        report.timings["backfill"] = time.perf_counter() - began
    return report


class SparkStart:
    """The SparkSession, started in a thread once the import knows it will backfill, so the JVM's
    start (about 10 s) overlaps the files still being converted; started at most once."""

    def __init__(self, spark: Callable[[], SparkSession]):
        self.spark = spark
        self.thread: threading.Thread | None = None
        self.session: SparkSession | None = None
        self.error: BaseException | None = None

    def start(self) -> None:
        if self.thread is None:
            self.thread = threading.Thread(target=self._run, name="gst-import-spark-start", daemon=True)
            self.thread.start()

    def _run(self) -> None:
        try:
            self.session = self.spark()
        except BaseException as exc:  # handed to the main thread by `get`
            self.error = exc

    def get(self) -> SparkSession:
        self.start()
        assert self.thread is not None
        self.thread.join()
        if self.error is not None:
            raise self.error
        assert self.session is not None
        return self.session
