"""Gold loads: what silver.game_poll_totals gained since the last loaded Delta version goes into
gold.poll_totals, and only the buckets it touches are rebuilt with the SQL models in
warehouse_sql/models/, in one transaction per run (re-running a load changes nothing).

"What it gained" is read from the files the Delta log lists as active now and not at the last
loaded version: the totals job rewrites rows by merging, so a rewritten file carries the new
state of every row in it, and removed files are never read. Closed polls only (complete or
partial); open polls wait for a later load.

Warehouses by URL: duckdb:///path (embedded default) and postgresql://... (psycopg 3).
Redshift is not wired yet.
"""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import structlog

from gamestream.background import background
from gamestream.settings import Settings
from streaming_jobs import lake as L
from streaming_jobs.job import TOTALS_SCHEMA
from streaming_jobs.lake import Lake, plain

log = structlog.get_logger(__name__)
SQL = Path(__file__).resolve().parents[1] / "warehouse_sql"
BUCKETS = {"5m": 300, "1h": 3600, "1d": 86400}
STAGED = ["platform", "source", "game_key", "game_name", "poll_id", "scheduled_at", "interval_seconds", "viewers",
          "channels", "players", "mature_channels", "coverage", "status"]


@dataclass(frozen=True)
class LoadReport:
    from_version: int | None
    to_version: int | None
    rows: int
    buckets: int


class Warehouse:
    """A connection to DuckDB or PostgreSQL with the few operations the loads need."""

    def __init__(self, url: str):
        self.kind = url.split(":", 1)[0]
        if self.kind == "duckdb":
            import duckdb

            path = url.removeprefix("duckdb:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.conn: Any = duckdb.connect(path)
        elif self.kind == "postgresql":
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        else:
            raise ValueError(f"gold loads support duckdb:// and postgresql:// warehouses, not {self.kind}://")

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "duckdb":
            return self.conn.execute(sql, params).fetchall() if "?" in sql or params else self._duck(sql)
        with self.conn.cursor() as cursor:
            cursor.execute(sql.replace("?", "%s") if params else sql, params or None)
            return cursor.fetchall() if cursor.description else []

    def _duck(self, sql: str) -> list[tuple]:
        result = self.conn.execute(sql)
        return result.fetchall() if result.description else []

    def script(self, sql: str) -> None:
        for statement in (s.strip() for s in sql.split(";")):
            if statement and not all(line.startswith("--") for line in statement.splitlines() if line.strip()):
                self.execute(statement)

    def stage(self, name: str, table: pa.Table) -> None:
        """A temporary table holding `table`'s rows for this connection."""
        self.execute(f"DROP TABLE IF EXISTS {name}")
        if self.kind == "duckdb":
            self.conn.register(f"{name}_arrow", table)
            self.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            self.conn.unregister(f"{name}_arrow")
            return
        types = {pa.string(): "TEXT", pa.int64(): "BIGINT", pa.float64(): "DOUBLE PRECISION",
                 pa.timestamp("us", tz="UTC"): "TIMESTAMPTZ", pa.bool_(): "BOOLEAN"}
        columns = ", ".join(f"{f.name} {types[f.type]}" for f in table.schema)
        self.execute(f"CREATE TEMP TABLE {name} ({columns})")
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in table.to_pylist():
                copy.write_row(list(row.values()))

    def transaction(self) -> Any:
        if self.kind == "duckdb":
            return _DuckTransaction(self.conn)
        return self.conn.transaction()

    def close(self) -> None:
        self.conn.close()


class _DuckTransaction:
    def __init__(self, conn: Any):
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN TRANSACTION")

    def __exit__(self, kind: object, *exc: object) -> None:
        self.conn.execute("ROLLBACK" if kind else "COMMIT")


def ensure_schema(warehouse: Warehouse) -> None:
    warehouse.script((SQL / "ddl" / f"{warehouse.kind}.sql").read_text())
    warehouse.execute((SQL / "models" / "players_vs_viewers.sql").read_text())


def changed_rows(lake: Lake, since: int | None) -> tuple[pa.Table | None, int | None]:
    """Rows of the files active now but not at version `since`, and the current version."""
    current = lake.table(L.TOTALS)
    if current is None:
        return None, None
    files = set(current.file_uris())
    if since is not None:
        from deltalake import DeltaTable

        files -= set(DeltaTable(lake.path(L.TOTALS), version=since, storage_options=lake.storage_options).file_uris())
    schema = pa.schema([TOTALS_SCHEMA.field(name) for name in STAGED])
    # files written by merges hold Arrow view types; one plain schema for all
    tables = [plain(pq.read_table(uri, columns=STAGED)).select(STAGED).cast(schema) for uri in sorted(files)]
    if not tables:
        return None, current.version()
    rows = pa.concat_tables(tables)
    rows = rows.filter(pc.is_in(rows["status"], pa.array(["complete", "partial"])))
    return rows.select(STAGED), current.version()


def run_gold(settings: Settings, lake: Lake | None = None) -> LoadReport:
    """One incremental load into the configured warehouse."""
    lake = lake or Lake(settings.lake_path)
    warehouse = Warehouse(settings.warehouse)
    try:
        ensure_schema(warehouse)
        state = warehouse.execute("SELECT delta_version FROM gold.load_state WHERE source_table = ?", (L.TOTALS,))
        since = state[0][0] if state else None
        rows, version = changed_rows(lake, since)
        if version is None or version == since:
            return LoadReport(since, version, 0, 0)
        with warehouse.transaction():
            buckets = 0
            if rows is not None and rows.num_rows:
                buckets = _load(warehouse, rows)
            warehouse.execute("DELETE FROM gold.load_state WHERE source_table = ?", (L.TOTALS,))
            warehouse.execute("INSERT INTO gold.load_state VALUES (?, ?, ?)", (L.TOTALS, version, datetime.now(UTC)))
        report = LoadReport(since, version, rows.num_rows if rows is not None else 0, buckets)
        log.info("gold_loaded", **report.__dict__)
        return report
    finally:
        warehouse.close()


def _load(warehouse: Warehouse, rows: pa.Table) -> int:
    warehouse.stage("incoming", rows)
    warehouse.execute("""DELETE FROM gold.poll_totals WHERE EXISTS (SELECT 1 FROM incoming i WHERE
                         i.platform = gold.poll_totals.platform AND i.poll_id = gold.poll_totals.poll_id
                         AND i.game_key = gold.poll_totals.game_key)""")
    warehouse.execute(f"INSERT INTO gold.poll_totals ({', '.join(STAGED)}) SELECT {', '.join(STAGED)} FROM incoming")
    affected = []
    times = rows.select(["platform", "scheduled_at"]).group_by(["platform", "scheduled_at"]).aggregate([]).to_pylist()
    for bucket, seconds in BUCKETS.items():
        starts = set()
        for row in times:
            epoch = int(row["scheduled_at"].timestamp()) // seconds * seconds
            for neighbour in (epoch - seconds, epoch, epoch + seconds):  # weights and growth reach one bucket out
                starts.add((row["platform"], neighbour))
        affected += [{"platform": p, "bucket": bucket, "bucket_seconds": seconds,
                      "bucket_start": datetime.fromtimestamp(start, UTC)} for p, start in sorted(starts)]
    warehouse.stage("affected", pa.Table.from_pylist(affected, schema=pa.schema([
        ("platform", pa.string()), ("bucket", pa.string()), ("bucket_seconds", pa.int64()),
        ("bucket_start", pa.timestamp("us", tz="UTC"))])))
    for table in ("game_buckets", "platform_buckets"):
        warehouse.execute(f"""DELETE FROM gold.{table} WHERE EXISTS (SELECT 1 FROM affected a WHERE
                              a.platform = gold.{table}.platform AND a.bucket = gold.{table}.bucket
                              AND a.bucket_start = gold.{table}.bucket_start)""")
        warehouse.execute((SQL / "models" / f"{table}.sql").read_text())
    warehouse.execute((SQL / "models" / "game_buckets_growth.sql").read_text())
    return len(affected)


def scheduled_gold(settings: Settings, every: float = 60.0) -> AbstractContextManager[None]:
    """Load gold every `every` seconds in a thread (for `gst demo`); a failed load is logged and retried."""

    def loop(stop: threading.Event) -> None:
        while not stop.wait(every):
            try:
                run_gold(settings)
            except Exception:  # the next run retries; the demo goes on
                log.exception("gold_load_failed")

    return background(loop, "gold-loads")
