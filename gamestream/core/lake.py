"""The lake's tables and their schemas, and the lake as code outside Spark sees it: delta-rs
reads (the gold loader, the API, maintenance, tests) and delta-rs appends for fixtures and tools.

The streaming queries write with delta-spark (streaming_jobs/delta_append.py). Here, each append is
committed with an app transaction (app id = writer + table, version = batch id) and skipped when
the table already recorded that version, so a batch written again writes nothing twice. A write
that loses a commit race with another writer is retried on a freshly loaded table.
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

TIMESTAMP = pa.timestamp("us", tz="UTC")
# silver.polls: one row per poll, appended once when the poll query emits it (complete or partial)
POLLS_SCHEMA = pa.schema(
    [
        ("poll_id", pa.string()),
        ("source", pa.string()),
        ("platform", pa.string()),
        ("record_kind", pa.string()),
        ("expected", pa.int64()),
        ("received", pa.int64()),
        ("scheduled_at", TIMESTAMP),
        ("started_at", TIMESTAMP),
        ("finished_at", TIMESTAMP),
        ("interval_seconds", pa.float64()),
        ("pages", pa.int64()),
        ("pages_failed", pa.int64()),
        ("manifest_coverage", pa.float64()),
        ("errors", pa.list_(pa.string())),
        ("overran", pa.bool_()),
        ("first_seen_at", TIMESTAMP),
        ("last_seen_at", TIMESTAMP),
        ("status", pa.string()),
        ("coverage", pa.float64()),
        ("closed_at", TIMESTAMP),
    ]
)
# silver.game_poll_totals: one row per poll x platform x game, appended once with its poll
TOTALS_SCHEMA = pa.schema(
    [
        ("poll_date", pa.date32()),
        ("poll_id", pa.string()),
        ("platform", pa.string()),
        ("game_key", pa.string()),
        ("game_name", pa.string()),
        ("viewers", pa.int64()),
        ("channels", pa.int64()),
        ("players", pa.int64()),
        ("records", pa.int64()),
        ("mature_channels", pa.int64()),
        ("observed_at", TIMESTAMP),
        ("top_channel", pa.string()),
        ("top_channel_viewers", pa.int64()),
        ("views", pa.int64()),
        ("status", pa.string()),
        ("coverage", pa.float64()),
        ("scheduled_at", TIMESTAMP),
        ("interval_seconds", pa.float64()),
        ("source", pa.string()),
    ]
)
TOTALS_COLUMNS = TOTALS_SCHEMA.names
TOTALS_SCHEMA_NO_DATE = pa.schema([f for f in TOTALS_SCHEMA if f.name != "poll_date"])
# silver.stream_snapshots and silver.video_snapshots: the columns and types the lake query writes
# (with its ingest run's columns beside them), partitioned by poll_date; the demo's history writes
# these columns, the channel models read them
STREAMS, VIDEOS = "silver/stream_snapshots", "silver/video_snapshots"
_SNAPSHOT = [
    ("poll_date", pa.date32()),
    ("event_id", pa.string()),
    ("schema_version", pa.int64()),
    ("source", pa.string()),
    ("kind", pa.string()),
    ("observed_at", TIMESTAMP),
    ("observed_date", pa.date32()),
    ("poll_id", pa.string()),
]
STREAMS_SCHEMA = pa.schema(
    _SNAPSHOT
    + [
        ("platform", pa.string()),
        ("stream_id", pa.string()),
        ("channel_id", pa.string()),
        ("channel_name", pa.string()),
        ("user_login", pa.string()),
        ("game_id", pa.string()),
        ("game_name", pa.string()),
        ("viewer_count", pa.int64()),
        ("started_at", TIMESTAMP),
        ("language", pa.string()),
        ("is_mature", pa.bool_()),
        ("title", pa.string()),
        ("game_key", pa.string()),
    ]
)
VIDEOS_SCHEMA = pa.schema(
    _SNAPSHOT
    + [
        ("video_id", pa.string()),
        ("channel_id", pa.string()),
        ("channel_title", pa.string()),
        ("title", pa.string()),
        ("tags", pa.list_(pa.string())),
        ("game_name", pa.string()),
        ("concurrent_viewers", pa.int64()),
        ("view_count", pa.int64()),
        ("like_count", pa.int64()),
        ("actual_start_time", TIMESTAMP),
        ("game_key", pa.string()),
    ]
)
# silver.games: append-only, a game's row written when a writer first sees its key
GAMES_SCHEMA = pa.schema(
    [
        ("game_key", pa.string()),
        ("name", pa.string()),
        ("steam_app_id", pa.int64()),
        ("is_game", pa.bool_()),
        ("aliases", pa.list_(pa.string())),
        ("first_seen_at", TIMESTAMP),
        ("last_seen_at", TIMESTAMP),
    ]
)


@dataclass(frozen=True)
class Lake:
    root: str
    writer: str = "gst-stream"

    def path(self, table: str) -> str:
        return f"{self.root.rstrip('/')}/{table}"

    def table(self, table: str) -> DeltaTable | None:
        try:
            return DeltaTable(self.path(table))  # S3 credentials and region come from the environment
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
                commit_properties=self._commit(table, batch_id),
                schema_mode="merge",
            )
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


def last_positions(lake: Lake, stream: str) -> dict[str, str]:
    """Per shard, the last sequence number of `stream` bronze holds: where a new checkpoint starts,
    so a lost checkpoint does not make the lake count the stream twice (read once, at start)."""
    where = sql_in("stream", [stream])
    newest = lake.read(BRONZE, where, ["shard_id", "arrival_time"])
    if newest is None or newest.num_rows == 0:
        return {}
    frame = newest.to_pandas().groupby("shard_id").arrival_time.max()
    since = frame.min().isoformat()
    tail = lake.read(BRONZE, f"{where} AND arrival_time >= TIMESTAMP '{since}'", ["shard_id", "sequence_number"])
    positions: dict[str, str] = {}
    if tail is None:
        return positions
    for shard, sequence in zip(tail["shard_id"].to_pylist(), tail["sequence_number"].to_pylist()):
        if shard not in positions or int(sequence) > int(positions[shard]):
            positions[shard] = sequence
    return positions


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
