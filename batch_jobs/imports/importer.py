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
records and manifest were written together, so it need not wait for the stream's grace period.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import structlog
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from pyspark.sql import SparkSession
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from batch_jobs.backfill import BackfillReport, backfill
from batch_jobs.imports import FormatName
from batch_jobs.imports.base import PARTIAL_RUNS_ACCEPTED, ImportFormat, Run
from batch_jobs.imports.files import Files, NothingToImport
from batch_jobs.imports.jsonl import JsonLines
from batch_jobs.imports.seed import SeedArchive
from batch_jobs.imports.staging import Failed, Skipped, Staged, UnitConverter, converted, workers_for
from gamestream.settings import Settings
from streaming_jobs import lake as L

log = structlog.get_logger(__name__)
IMPORT_STREAM = "import"
CHUNK_RECORDS = 50_000
CHUNK_UNITS = 1_000
WORST_RUNS_SHOWN = 5
TIMESTAMP = pa.timestamp("us", tz="UTC")
# the columns the lake query writes (streaming_jobs.transforms.bronze_of and quarantine_frame)
BRONZE_SCHEMA = pa.schema(
    [
        ("stream", pa.string()),
        ("shard_id", pa.string()),
        ("sequence_number", pa.string()),
        ("partition_key", pa.string()),
        ("arrival_time", TIMESTAMP),
        ("ingested_at", TIMESTAMP),
        ("ingest_batch_id", pa.int64()),
        ("ingest_run", pa.string()),
        ("data", pa.binary()),
        ("payload", pa.string()),
        ("source", pa.string()),
        ("ingest_date", pa.date32()),
    ]
)
QUARANTINE_SCHEMA = pa.schema(
    [
        ("stream", pa.string()),
        ("shard_id", pa.string()),
        ("sequence_number", pa.string()),
        ("arrival_time", TIMESTAMP),
        ("ingested_at", TIMESTAMP),
        ("ingest_batch_id", pa.int64()),
        ("ingest_run", pa.string()),
        ("source", pa.string()),
        ("reason", pa.string()),
        ("payload", pa.string()),
        ("ingest_date", pa.date32()),
    ]
)


@dataclass
class ImportReport:
    run_id: str
    location: str
    format: str
    files: int = 0  # files of the format
    ignored: int = 0  # files under the location that are not in the format
    units: int = 0  # units committed (to bronze, quarantine or both)
    polls: int = 0
    records: int = 0
    quarantined: int = 0
    skipped_files: int = 0  # already imported
    failed: list[str] = field(default_factory=list)  # files not read or not converted: left for the next import
    observed: tuple[datetime, datetime] | None = None  # the imported records' observation times
    backfill: BackfillReport | None = None
    dry_run: bool = False
    runs: list[Run] = field(default_factory=list)  # fetch runs found (paged formats), with coverage once converted
    notes: list[str] = field(default_factory=list)
    used: int = 0  # files read for context (the seed's app names)
    timings: dict[str, float] = field(default_factory=dict)  # seconds per stage: plan, convert, write, backfill
    workers: int = 1  # processes that converted the files

    @property
    def converted_runs(self) -> list[Run]:
        return [run for run in self.runs if run.coverage is not None]

    @property
    def partial_runs(self) -> list[Run]:
        return [run for run in self.converted_runs if run.coverage is not None and run.coverage < 1]

    @property
    def unchained_runs(self) -> list[Run]:
        """Runs converted by this import whose pages do not chain."""
        return [run for run in self.converted_runs if not run.chains]

    @property
    def complete_share(self) -> float | None:
        """The share of converted runs (polls) whose coverage is whole."""
        done = self.converted_runs
        return 1 - len(self.partial_runs) / len(done) if done else None

    @property
    def lowest_coverage(self) -> float | None:
        return min((run.coverage for run in self.converted_runs if run.coverage is not None), default=None)

    @property
    def doubts(self) -> list[str]:
        """Why the import should not be trusted as is (empty: nothing to doubt)."""
        found = []
        runs = self.converted_runs
        if runs and len(self.partial_runs) > PARTIAL_RUNS_ACCEPTED * len(runs):
            found.append(
                f"{len(self.partial_runs)} of {len(runs)} runs are partial "
                f"(more than {PARTIAL_RUNS_ACCEPTED:.0%}): their polls cover less than the whole listing"
            )
        if self.unchained_runs:
            found.append(
                f"{len(self.unchained_runs)} runs do not chain (a page 1 or a middle page is not in the archive)"
            )
        return found

    def worst_runs(self, count: int = WORST_RUNS_SHOWN) -> list[Run]:
        """The runs to look at first: those that do not chain, then the lowest coverage."""
        doubtful = [run for run in self.runs if not run.chains or (run.coverage is not None and run.coverage < 1)]
        return sorted(doubtful, key=lambda run: (run.chains, run.coverage or 0.0, run.start))[:count]


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
            _add_time(report, "convert", waited)
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
            _add_time(report, "write", time.perf_counter() - began)
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
        _add_time(report, "write", time.perf_counter() - began)
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


class ChunkWriter:
    """Collects units and commits them in chunks, one commit per table, skipping units a table holds."""

    def __init__(self, lake: L.Lake, report: ImportReport, dry_run: bool = False):
        self.lake, self.report, self.dry_run = lake, report, dry_run
        self.pending: list[Staged] = []
        self.pending_records = self.pending_polls = self.pending_problems = 0
        self.arrivals: list[datetime] = []
        self.batch = 0
        self.seen: set[str] = set()  # app ids of the units this import added

    def _count_pending(self, unit: Staged) -> None:
        self.pending_records += unit.records
        self.pending_polls += unit.polls
        self.pending_problems += len(unit.problems)

    def add(self, unit: Staged) -> None:
        """Units the tables already hold are left out when their chunk is committed (`_commit` looks
        each up in the table as it is then); the same bytes twice in one import are caught here."""
        if unit.app_id in self.seen:
            self.report.skipped_files += unit.files
            return
        self.seen.add(unit.app_id)
        self.pending.append(unit)
        self._count_pending(unit)
        if self.pending_records >= CHUNK_RECORDS or len(self.pending) >= CHUNK_UNITS:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        arrived = datetime.now(UTC)
        # quarantine first: a unit bronze holds is then whole, and a later import skips it unread
        quarantined = self._commit(L.QUARANTINE, [u for u in self.pending if u.problems], arrived, ["ingest_date"])
        written_to_bronze = self._commit(
            L.BRONZE, [u for u in self.pending if u.records], arrived, ["source", "ingest_date"]
        )
        if written_to_bronze and not self.dry_run:
            self.arrivals.append(arrived)
        report = self.report
        for unit in self.pending:
            if unit.app_id not in written_to_bronze and unit.app_id not in quarantined:
                report.skipped_files += unit.files  # another import committed it meanwhile
                continue
            report.units += 1
            if unit.app_id in written_to_bronze and unit.observed is not None:
                report.records += unit.records
                report.polls += unit.polls
                first, last = unit.observed
                seen = report.observed or (first, last)
                report.observed = (min(seen[0], first), max(seen[1], last))
            if unit.app_id in quarantined:
                report.quarantined += len(unit.problems)
        self.pending = []
        self.pending_records = self.pending_polls = self.pending_problems = 0
        self.batch += 1

    def _commit(self, table: str, units: Sequence[Staged], arrived: datetime, partition_by: list[str]) -> set[str]:
        """Append the rows of the units `table` does not hold yet, in one commit; their app ids (a dry
        run: those it would append)."""

        def attempt(delta: DeltaTable | None) -> set[str]:
            fresh = [u for u in units if not _holds(delta, u)]
            if not fresh or self.dry_run:
                return {u.app_id for u in fresh}
            rows = self._bronze(fresh, arrived) if table == L.BRONZE else self._quarantine(fresh, arrived)
            write_deltalake(
                self.lake.path(table),
                rows,
                mode="append",
                partition_by=partition_by,
                schema_mode="merge",
                commit_properties=CommitProperties(
                    app_transactions=[Transaction(app_id=u.app_id, version=0) for u in fresh]
                ),
            )
            return {u.app_id for u in fresh}

        return self.lake.retrying(table, attempt) if units else set()

    def _common(self, count: int, arrived: datetime) -> dict[str, pa.Array]:
        """The columns every row of a commit shares."""
        return {
            "stream": pa.repeat(pa.scalar(IMPORT_STREAM, pa.string()), count),
            "arrival_time": pa.repeat(pa.scalar(arrived, TIMESTAMP), count),
            "ingested_at": pa.repeat(pa.scalar(arrived, TIMESTAMP), count),
            "ingest_batch_id": pa.repeat(pa.scalar(self.batch, pa.int64()), count),
            "ingest_run": pa.repeat(pa.scalar(self.report.run_id, pa.string()), count),
            "ingest_date": pa.repeat(pa.scalar(arrived.date(), pa.date32()), count),
        }

    def _bronze(self, units: Sequence[Staged], arrived: datetime) -> pa.Table:
        rows = pa.concat_tables([u.rows for u in units])
        columns = {**self._common(rows.num_rows, arrived), **dict(zip(rows.column_names, rows.columns, strict=True))}
        return pa.table({name: columns[name] for name in BRONZE_SCHEMA.names}, schema=BRONZE_SCHEMA)

    def _quarantine(self, units: Sequence[Staged], arrived: datetime) -> pa.Table:
        problems = [p for u in units for p in u.problems]
        columns = {
            **self._common(len(problems), arrived),
            "shard_id": pa.array([p.file for p in problems], pa.string()),
            "sequence_number": pa.array([str(p.position) for p in problems], pa.string()),
            "source": pa.array([p.source for p in problems], pa.string()),
            "reason": pa.array([p.reason for p in problems], pa.string()),
            "payload": pa.array([p.payload for p in problems], pa.string()),
        }
        return pa.table({name: columns[name] for name in QUARANTINE_SCHEMA.names}, schema=QUARANTINE_SCHEMA)


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


def _add_time(report: ImportReport, stage: str, seconds: float) -> None:
    report.timings[stage] = report.timings.get(stage, 0.0) + seconds


def _holds(delta: DeltaTable | None, unit: Staged) -> bool:
    return delta is not None and delta.transaction_version(unit.app_id) is not None
