"""Units committed to bronze and quarantine in chunks with delta-rs, one commit per table and chunk,
each carrying one app transaction per unit (a unit a table already holds is not written again)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from batch_jobs.imports.report import ImportReport
from batch_jobs.imports.staging import Staged
from gamestream.core import lake as L

IMPORT_STREAM = "import"
CHUNK_RECORDS = 50_000
CHUNK_UNITS = 1_000
TIMESTAMP = pa.timestamp("us", tz="UTC")
# the columns the lake query writes (streaming_jobs.transforms: bronze.bronze_of and parse.quarantine_frame)
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
            fresh = [u for u in units if not holds(delta, u)]
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


def holds(delta: DeltaTable | None, unit: Staged) -> bool:
    return delta is not None and delta.transaction_version(unit.app_id) is not None
