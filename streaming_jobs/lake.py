"""The Delta lake as the streaming job writes it, with delta-rs (no Delta jars can be fetched here).

Each write is committed with an app transaction (app id = writer + table, version = batch id)
and skipped when the table already recorded that version, so a batch replayed after a crash
writes nothing twice. Writers are single per app id (one streaming job, one backfill run). A write
that loses a commit race with another writer (a backfill, a compaction) is retried on a freshly
loaded table, where the idempotency check and the merge's dedup see what the other writer committed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, QueryBuilder, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, TableNotFoundError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_random_exponential

BRONZE = "bronze/records"
QUARANTINE = "quarantine/records"
SILVER_TABLES = ("player_counts", "stream_snapshots", "category_snapshots", "review_summaries", "video_snapshots")
POLLS = "silver/polls"
TOTALS = "silver/game_poll_totals"
GAMES = "silver/games"
T = TypeVar("T")


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
        return self._committed(self.table(table), table, batch_id)

    def _committed(self, delta: DeltaTable | None, table: str, batch_id: int) -> bool:
        if delta is None:
            return False
        version = delta.transaction_version(self.app_id(table))
        return version is not None and version >= batch_id

    def _commit(self, table: str, batch_id: int) -> CommitProperties:
        return CommitProperties(app_transactions=[Transaction(app_id=self.app_id(table), version=batch_id)])

    def retrying(self, table: str, action: Callable[[DeltaTable | None], T], attempts: int = 8) -> T:
        """Run `action` on the table as it is now; on a lost commit race, again on a fresh load."""
        for attempt in Retrying(
            retry=retry_if_exception_type(CommitFailedError),
            stop=stop_after_attempt(attempts),
            wait=wait_random_exponential(multiplier=0.1, max=5),
            reraise=True,
        ):
            with attempt:
                return action(self.table(table))
        raise AssertionError("unreachable: Retrying reraises")

    def append(self, table: str, data: pa.Table, batch_id: int, partition_by: list[str]) -> bool:
        """Append once per batch id; False when this batch was already committed."""

        def attempt(delta: DeltaTable | None) -> bool:
            if self._committed(delta, table, batch_id):
                return False
            write_deltalake(
                self.path(table),
                data,
                mode="append",
                partition_by=partition_by,
                storage_options=self.storage_options,
                commit_properties=self._commit(table, batch_id),
                schema_mode="merge",
            )
            return True

        return self.retrying(table, attempt)

    def insert_new(self, table: str, data: pa.Table, batch_id: int, key: str, partition_by: list[str]) -> bool:
        """Insert rows whose `key` the touched partitions do not hold yet (dedup scoped to partitions)."""
        on = " AND ".join([*(f"t.{p} = s.{p}" for p in partition_by), f"t.{key} = s.{key}"])
        return self._merge(table, data, batch_id, on, None, partition_by)

    def upsert(
        self,
        table: str,
        data: pa.Table,
        batch_id: int,
        on: str,
        updates: dict[str, str],
        partition_by: list[str] | None = None,
    ) -> bool:
        """Merge: matched rows get `updates` (SQL over t. and s.), new rows are inserted."""
        return self._merge(table, data, batch_id, on, updates, partition_by or [])

    def _merge(
        self,
        table: str,
        data: pa.Table,
        batch_id: int,
        on: str,
        updates: dict[str, str] | None,
        partition_by: list[str],
    ) -> bool:
        def attempt(delta: DeltaTable | None) -> bool:
            if self._committed(delta, table, batch_id):
                return False
            if delta is None:
                write_deltalake(
                    self.path(table),
                    data,
                    mode="append",
                    partition_by=partition_by,
                    storage_options=self.storage_options,
                    commit_properties=self._commit(table, batch_id),
                )
                return True
            merge = delta.merge(
                data,
                predicate=on,
                source_alias="s",
                target_alias="t",
                merge_schema=True,
                commit_properties=self._commit(table, batch_id),
            )
            if updates is not None:
                merge = merge.when_matched_update(updates=updates)
            merge.when_not_matched_insert_all().execute()
            return True

        return self.retrying(table, attempt)

    def read(self, table: str, where: str | None = None, columns: list[str] | None = None) -> pa.Table | None:
        """Rows matching a SQL condition, read by delta-rs' own engine (partition and file pruning)."""
        delta = self.table(table)
        if delta is None:
            return None
        select = ", ".join(f'"{c}"' for c in columns) if columns else "*"
        sql = f"SELECT {select} FROM t" + (f" WHERE {where}" if where else "")
        return plain(pa.RecordBatchReader.from_stream(QueryBuilder().register("t", delta).execute(sql)).read_all())


def plain(table: pa.Table) -> pa.Table:
    """Arrow's view types (what DataFusion returns) as the plain types Spark and pandas take."""

    def unview(kind: pa.DataType) -> pa.DataType:
        if kind == pa.string_view():
            return pa.string()
        if kind == pa.binary_view():
            return pa.binary()
        if pa.types.is_list(kind) or pa.types.is_large_list(kind) or pa.types.is_list_view(kind):
            return pa.list_(unview(kind.value_type))
        return kind

    schema = pa.schema([field.with_type(unview(field.type)) for field in table.schema])
    return table if schema == table.schema else table.cast(schema)


def sql_in(column: str, values: Iterable[object]) -> str:
    """`column IN (...)` with every value quoted as a SQL literal."""
    items = []
    for value in values:
        if isinstance(value, bool):
            items.append("TRUE" if value else "FALSE")
        elif isinstance(value, int):
            items.append(str(value))
        elif isinstance(value, date):
            items.append(f"DATE '{value.isoformat()}'")
        else:
            items.append("'" + str(value).replace("'", "''") + "'")
    return f'"{column}" IN ({", ".join(items)})' if items else "FALSE"
