"""The Delta lake as the streaming job writes it, with delta-rs (no Delta jars can be fetched here).

Each write is committed with an app transaction (app id = writer + table, version = batch id)
and skipped when the table already recorded that version, so a batch replayed after a crash
writes nothing twice. Writers are single per app id (one streaming job, one backfill lease).
"""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import TableNotFoundError

BRONZE = "bronze/records"
QUARANTINE = "quarantine/records"
SILVER_TABLES = ("player_counts", "stream_snapshots", "category_snapshots", "review_summaries", "video_snapshots")
POLLS = "silver/polls"
TOTALS = "silver/game_poll_totals"
GAMES = "silver/games"


@dataclass(frozen=True)
class Lake:
    root: str
    writer: str = "gst-stream"
    storage_options: dict[str, str] | None = None

    def path(self, table: str) -> str:
        return f"{self.root.rstrip('/')}/{table}"

    def table(self, table: str) -> DeltaTable | None:
        try:
            return DeltaTable(self.path(table), storage_options=self.storage_options)
        except TableNotFoundError:
            return None

    def app_id(self, table: str) -> str:
        return f"{self.writer}:{table}"

    def committed(self, table: str, batch_id: int) -> bool:
        """Did this writer already commit `batch_id` (or a later one) to `table`?"""
        delta = self.table(table)
        if delta is None:
            return False
        version = delta.transaction_version(self.app_id(table))
        return version is not None and version >= batch_id

    def _commit(self, table: str, batch_id: int) -> CommitProperties:
        return CommitProperties(app_transactions=[Transaction(app_id=self.app_id(table), version=batch_id)])

    def append(self, table: str, data: pa.Table, batch_id: int, partition_by: list[str]) -> bool:
        """Append once per batch id; False when this batch was already committed."""
        if self.committed(table, batch_id):
            return False
        write_deltalake(self.path(table), data, mode="append", partition_by=partition_by,
                        storage_options=self.storage_options, commit_properties=self._commit(table, batch_id),
                        schema_mode="merge")
        return True

    def insert_new(self, table: str, data: pa.Table, batch_id: int, key: str, partition_by: list[str]) -> bool:
        """Insert rows whose `key` the touched partitions do not hold yet (dedup scoped to partitions)."""
        if self.committed(table, batch_id):
            return False
        delta = self.table(table)
        if delta is None:
            return self.append(table, data, batch_id, partition_by)
        on = " AND ".join([*(f"t.{p} = s.{p}" for p in partition_by), f"t.{key} = s.{key}"])
        (delta.merge(data, predicate=on, source_alias="s", target_alias="t", merge_schema=True,
                     commit_properties=self._commit(table, batch_id))
         .when_not_matched_insert_all().execute())
        return True

    def upsert(self, table: str, data: pa.Table, batch_id: int, on: str, updates: dict[str, str],
               partition_by: list[str] | None = None) -> bool:
        """Merge: matched rows get `updates` (SQL over t. and s.), new rows are inserted."""
        if self.committed(table, batch_id):
            return False
        delta = self.table(table)
        if delta is None:
            return self.append(table, data, batch_id, partition_by or [])
        (delta.merge(data, predicate=on, source_alias="s", target_alias="t", merge_schema=True,
                     commit_properties=self._commit(table, batch_id))
         .when_matched_update(updates=updates).when_not_matched_insert_all().execute())
        return True

    def read(self, table: str, filters: list[tuple] | None = None, columns: list[str] | None = None) -> pa.Table | None:
        delta = self.table(table)
        if delta is None:
            return None
        return delta.to_pyarrow_table(filters=filters or None, columns=columns)


def rows_of_batch(table: pa.Table | None, batch_id: int, column: str = "ingest_batch_id") -> pa.Table | None:
    if table is None:
        return None
    return table.filter(pc.equal(table[column], batch_id))
