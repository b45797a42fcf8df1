"""Lake upkeep: compact small files (delta-rs optimize), vacuum files past retention, report sizes,
and delete the raw archive's day folders past its retention (gamestream/core/raw_area.py).

The streaming queries write a few files per table per batch; without compaction the lake becomes
hundreds of thousands of tiny files that slow every read. The streaming job runs this on a thread
beside its queries every `lake_maintain_seconds`; `gst lake maintain` runs it on demand. A
compaction that loses a commit race with an append is retried (appends never conflict with it).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import structlog
from deltalake import DeltaTable
from deltalake.exceptions import CommitFailedError

from gamestream.core import lake as L
from gamestream.core.lake import Lake
from gamestream.core.raw_area import RawArea

log = structlog.get_logger(__name__)
TABLES = (
    L.BRONZE,
    L.QUARANTINE,
    *(f"silver/{t}" for t in (*L.SILVER_TABLES, "poll_manifests")),
    L.POLLS,
    L.TOTALS,
    L.GAMES,
)


@dataclass(frozen=True)
class TableReport:
    table: str
    files_before: int
    files_after: int
    bytes_after: int
    rows: int
    vacuumed: int


def _latest(lake: Lake, table: str) -> DeltaTable:
    """The table at its newest version (a writer may have committed since it was last opened)."""
    delta = lake.table(table)
    if delta is None:
        raise RuntimeError(f"{table} disappeared from the lake during maintenance")
    return delta


def _files(delta: DeltaTable) -> tuple[int, int, int]:
    actions = delta.get_add_actions(flatten=True)
    sizes = actions.column("size_bytes").to_pylist()
    rows = actions.column("num_records").to_pylist()
    return len(sizes), sum(sizes), sum(r or 0 for r in rows)


class PeriodicMaintenance(threading.Thread):
    """`maintain` every `seconds` until stopped; a failure is logged, never fatal to the job."""

    def __init__(self, lake: Lake, seconds: float, retention_hours: float, raw: RawArea | None = None):
        super().__init__(name="lake-maintenance", daemon=True)
        self.lake, self.seconds, self.retention_hours, self.raw = lake, seconds, retention_hours, raw
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.seconds):
            try:
                maintain(self.lake, self.retention_hours, raw=self.raw)
            except Exception as exc:  # the lake stays readable; the next round tries again
                log.warning("maintenance_failed", error=str(exc))

    def stop(self) -> None:
        self.stopped.set()


def maintain(
    lake: Lake, retention_hours: float = 168.0, attempts: int = 3, raw: RawArea | None = None
) -> list[TableReport]:
    """Every table's upkeep; with `raw`, the raw archive's day folders past its retention go too."""
    if raw is not None:
        try:
            raw.prune()
        except Exception as exc:  # the tables' upkeep does not depend on it; the next round tries again
            log.warning("raw_prune_failed", root=raw.root, error=str(exc))
    reports = []
    for table in TABLES:
        delta = lake.table(table)
        if delta is None:
            continue
        before, _, _ = _files(delta)
        for attempt in range(1, attempts + 1):
            try:
                _latest(lake, table).optimize.compact()
                break
            except CommitFailedError:
                log.warning("compaction_conflict", table=table, attempt=attempt)
                time.sleep(attempt)
        removed = _latest(lake, table).vacuum(
            retention_hours=int(retention_hours), enforce_retention_duration=False, dry_run=False
        )
        after, size, rows = _files(_latest(lake, table))
        reports.append(TableReport(table, before, after, size, rows, len(removed)))
        log.info(
            "table_maintained",
            table=table,
            files_before=before,
            files_after=after,
            bytes=size,
            rows=rows,
            vacuumed=len(removed),
        )
    return reports
