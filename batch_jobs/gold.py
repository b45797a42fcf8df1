"""Gold loads: what silver gained since the last loaded Delta version goes into the warehouse, and
only the buckets it touches are rebuilt with the SQL models in warehouse_sql/models/, in one
transaction per run (re-running a load changes nothing).

"What it gained" is read from the files the Delta log lists as active now and not at the last
loaded version: the silver jobs rewrite rows by merging, so a rewritten file carries the new state
of every row in it, and removed files are never read. Closed polls only (complete or partial); open
polls wait for a later load. Three silver tables feed gold: game_poll_totals (the buckets),
games (identity, the non-game flag) and review_summaries (Steam review score).

Warehouses by URL: duckdb:///path (embedded default), postgresql://... (psycopg 3) and
redshift://user:password@host:5439/db (redshift-connector; the changed files are loaded with COPY
from a manifest listing exactly those files, then merged by the same SQL).
"""

from __future__ import annotations

import json
import threading
import uuid
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import pyarrow as pa
import pyarrow.parquet as pq
import structlog

from gamestream.background import background
from gamestream.settings import Settings
from streaming_jobs import lake as L
from streaming_jobs.lake import Lake, plain

log = structlog.get_logger(__name__)
SQL = Path(__file__).resolve().parents[1] / "warehouse_sql"
BUCKETS = {"5m": 300, "1h": 3600, "1d": 86400}
REVIEWS = "silver/review_summaries"


@dataclass(frozen=True)
class SilverSource:
    """A silver table gold loads, the columns it stages, and the temp table they land in."""

    table: str
    staged_as: str
    columns: tuple[str, ...]


TOTALS_SOURCE = SilverSource(
    L.TOTALS,
    "incoming",
    (
        "platform",
        "source",
        "game_key",
        "game_name",
        "poll_id",
        "scheduled_at",
        "interval_seconds",
        "viewers",
        "channels",
        "players",
        "mature_channels",
        "coverage",
        "status",
        "top_channel",
        "top_channel_viewers",
        "views",
    ),
)
GAMES_SOURCE = SilverSource(
    L.GAMES, "incoming_games", ("game_key", "name", "steam_app_id", "is_game", "first_seen_at", "last_seen_at")
)
REVIEWS_SOURCE = SilverSource(
    REVIEWS,
    "incoming_reviews",
    (
        "event_id",
        "app_id",
        "review_score",
        "review_score_desc",
        "total_positive",
        "total_negative",
        "total_reviews",
        "observed_at",
    ),
)
SOURCES = (GAMES_SOURCE, REVIEWS_SOURCE, TOTALS_SOURCE)  # games first: the buckets read is_game


@dataclass(frozen=True)
class DataFile:
    uri: str
    size: int


@dataclass(frozen=True)
class Changes:
    files: list[DataFile]
    version: int
    schema: pa.Schema  # the files' columns (the table's schema without partition columns)


@dataclass(frozen=True)
class LoadReport:
    from_version: int | None
    to_version: int | None
    rows: int
    buckets: int


ARROW_SQL = {
    "duckdb": {"string": "TEXT", "double": "DOUBLE"},
    "postgresql": {"string": "TEXT", "double": "DOUBLE PRECISION"},
    "redshift": {"string": "VARCHAR(65535)", "double": "DOUBLE PRECISION"},
}


def sql_type(kind: pa.DataType, dialect: str) -> str:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return ARROW_SQL[dialect]["string"]
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return ARROW_SQL[dialect]["double"]
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ"
    if pa.types.is_date(kind):
        return "DATE"
    if dialect == "redshift":  # lists and structs land in SUPER
        return "SUPER"
    raise TypeError(f"no {dialect} column type for {kind}")


class Warehouse:
    """A connection to DuckDB, PostgreSQL or Redshift with the few operations the loads need."""

    def __init__(self, url: str, settings: Settings | None = None):
        self.kind = url.split(":", 1)[0]
        self.settings = settings
        if self.kind == "duckdb":
            import duckdb

            path = url.removeprefix("duckdb:///")
            Path(path).parent.mkdir(parents=True, exist_ok=True)
            self.conn: Any = duckdb.connect(path)
        elif self.kind == "postgresql":
            import psycopg

            self.conn = psycopg.connect(url, autocommit=True)
        elif self.kind == "redshift":
            import redshift_connector

            parts = urlsplit(url)
            self.conn = redshift_connector.connect(
                host=parts.hostname,
                port=parts.port or 5439,
                database=parts.path.lstrip("/") or "dev",
                user=unquote(parts.username or ""),
                password=unquote(parts.password or ""),
            )
            self.conn.autocommit = True
        else:
            raise ValueError(
                f"gold loads support duckdb://, postgresql:// and redshift:// warehouses, not {self.kind}://"
            )

    def execute(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.kind == "duckdb":
            result = self.conn.execute(sql, params) if params else self.conn.execute(sql)
            return result.fetchall() if result.description else []
        cursor = self.conn.cursor()
        try:
            cursor.execute(sql.replace("?", "%s") if params else sql, params or None)
            return list(cursor.fetchall()) if cursor.description else []
        finally:
            cursor.close()

    def script(self, sql: str) -> None:
        for statement in statements(sql):
            self.execute(statement)

    def columns(self, table: str) -> list[str]:
        schema, name = table.split(".")
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?"
            " ORDER BY ordinal_position",
            (schema, name),
        )
        return [r[0] for r in rows]

    def stage(self, name: str, table: pa.Table) -> None:
        """A temporary table holding `table`'s rows for this connection."""
        self.execute(f"DROP TABLE IF EXISTS {name}")
        if self.kind == "duckdb":
            self.conn.register(f"{name}_arrow", table)
            self.execute(f"CREATE TEMP TABLE {name} AS SELECT * FROM {name}_arrow")
            self.conn.unregister(f"{name}_arrow")
            return
        columns = ", ".join(f"{f.name} {sql_type(f.type, self.kind)}" for f in table.schema)
        self.execute(f"CREATE TEMP TABLE {name} ({columns})")
        if self.kind == "redshift":  # small tables only (the buckets to rebuild); files go by COPY
            cursor = self.conn.cursor()
            marks = ", ".join(["%s"] * table.num_columns)
            cursor.executemany(f"INSERT INTO {name} VALUES ({marks})", [tuple(r.values()) for r in table.to_pylist()])
            cursor.close()
            return
        with self.conn.cursor() as cursor, cursor.copy(f"COPY {name} FROM STDIN") as copy:
            for row in table.to_pylist():
                copy.write_row(list(row.values()))
        self.analyze(name)  # temp tables get no statistics otherwise

    def stage_files(self, name: str, source: SilverSource, changes: Changes, lake: Lake) -> None:
        """Stage the rows of `changes.files` as temp table `name` with `source.columns`."""
        if self.kind == "redshift":
            role = self.settings.redshift_iam_role if self.settings else None
            if not role:
                raise ValueError("Redshift loads need GST_REDSHIFT_IAM_ROLE: the role COPY assumes to read the lake")
            manifest = write_manifest(lake, changes.files, self.settings)
            for statement in redshift_copy(name, source, changes.schema, manifest, role):
                self.execute(statement)
            return
        schema = pa.schema([changes.schema.field(c) for c in source.columns])
        schema = pa.schema([f.with_type(pa.string()) if pa.types.is_string_view(f.type) else f for f in schema])
        # files written by merges hold Arrow view types; one plain schema for all
        tables = [
            plain(pq.read_table(f.uri, columns=list(source.columns))).select(list(source.columns)).cast(schema)
            for f in changes.files
        ]
        self.stage(name, pa.concat_tables(tables) if tables else schema.empty_table())

    def analyze(self, table: str) -> None:
        """Fresh planner statistics where rows just changed in bulk (PostgreSQL plans badly without)."""
        if self.kind == "postgresql":
            self.execute(f"ANALYZE {table}")

    def transaction(self) -> Any:
        return _Transaction(self)

    def close(self) -> None:
        self.conn.close()


class _Transaction:
    def __init__(self, warehouse: Warehouse):
        self.warehouse = warehouse

    def __enter__(self) -> None:
        self.warehouse.execute("BEGIN")

    def __exit__(self, kind: object, *exc: object) -> None:
        self.warehouse.execute("ROLLBACK" if kind else "COMMIT")


def statements(sql: str) -> list[str]:
    """The statements of a SQL file: `--` comments dropped, split on `;` (our SQL has neither in literals)."""
    code = "\n".join(line.split("--", 1)[0] for line in sql.splitlines())
    return [s.strip() for s in code.split(";") if s.strip()]


def model(name: str) -> str:
    return (SQL / "models" / f"{name}.sql").read_text()


def ensure_schema(warehouse: Warehouse) -> None:
    """Create gold; a gold whose tables lack this version's columns is dropped and rebuilt from silver
    (gold is derived, and load_state goes with it, so the next load starts from the beginning)."""
    ddl = (SQL / "ddl" / f"{warehouse.kind}.sql").read_text()
    existing = warehouse.columns("gold.game_buckets")
    if existing and existing != _declared_columns(ddl, "game_buckets"):
        log.warning("gold_schema_changed_rebuilding")
        warehouse.execute("DROP VIEW IF EXISTS gold.players_vs_viewers")
        for table in ("game_buckets", "platform_buckets", "poll_totals", "games", "game_reviews", "load_state"):
            warehouse.execute(f"DROP TABLE IF EXISTS gold.{table}")
    warehouse.script(ddl)
    warehouse.execute(model("players_vs_viewers"))


def _declared_columns(ddl: str, table: str) -> list[str]:
    body = ddl.split(f"CREATE TABLE IF NOT EXISTS gold.{table} (", 1)[1].split("PRIMARY KEY", 1)[0]
    return [part.split()[0] for part in body.replace("\n", " ").split(",") if part.strip()]


def changed_files(lake: Lake, table: str, since: int | None) -> Changes | None:
    """Files active now but not at version `since` (None: the table does not exist yet)."""
    current = lake.table(table)
    if current is None:
        return None
    actions = current.get_add_actions(flatten=True)
    # data file names are unique (they carry a UUID): index sizes by name, not by path spelling
    sizes = {
        _file_name(path): size
        for path, size in zip(actions.column("path").to_pylist(), actions.column("size_bytes").to_pylist())
    }
    uris = current.file_uris()
    known = set()
    if since is not None:
        from deltalake import DeltaTable

        known = set(DeltaTable(lake.path(table), version=since, storage_options=lake.storage_options).file_uris())
    files = [DataFile(uri, sizes[_file_name(uri)]) for uri in sorted(set(uris) - known)]
    partitions = set(current.metadata().partition_columns)
    schema = pa.schema(current.schema().to_arrow())
    schema = pa.schema([f for f in schema if f.name not in partitions])
    return Changes(files, current.version(), schema)


def _file_name(path: str) -> str:
    return unquote(path).rsplit("/", 1)[-1]


def copy_manifest(files: list[DataFile]) -> dict:
    """A Redshift COPY manifest naming exactly `files` (Parquet manifests need each file's length)."""
    return {"entries": [{"url": f.uri, "mandatory": True, "meta": {"content_length": f.size}} for f in files]}


def write_manifest(lake: Lake, files: list[DataFile], settings: Settings | None) -> str:
    """Write the manifest next to the lake (S3: Redshift reads it there) and return its URL."""
    key = f"_gold_manifests/{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
    body = json.dumps(copy_manifest(files), indent=1)
    root = lake.root.rstrip("/")
    if not root.startswith("s3://"):
        raise ValueError(f"Redshift COPY reads from S3; the lake is at {root}")
    from gamestream.aws import aws_client

    bucket, _, prefix = root.removeprefix("s3://").partition("/")
    full_key = f"{prefix}/{key}" if prefix else key
    aws_client(settings or Settings(), "s3").put_object(Bucket=bucket, Key=full_key, Body=body.encode())
    return f"s3://{bucket}/{full_key}"


def redshift_copy(name: str, source: SilverSource, schema: pa.Schema, manifest_url: str, role: str) -> list[str]:
    """The statements that stage a silver table's changed files on Redshift: COPY every file column
    (Parquet columns map by position) into a temp table, then keep the columns gold uses."""
    columns = ", ".join(f'"{f.name}" {sql_type(f.type, "redshift")}' for f in schema)
    keep = ", ".join(f'"{c}"' for c in source.columns)
    role_literal = role.replace("'", "''")
    return [
        f"DROP TABLE IF EXISTS {name}_files",
        f"DROP TABLE IF EXISTS {name}",
        f"CREATE TEMP TABLE {name}_files ({columns})",
        f"COPY {name}_files FROM '{manifest_url}' IAM_ROLE '{role_literal}' FORMAT AS PARQUET MANIFEST",
        f"CREATE TEMP TABLE {name} AS SELECT {keep} FROM {name}_files",
    ]


def run_gold(settings: Settings, lake: Lake | None = None) -> LoadReport:
    """One incremental load into the configured warehouse."""
    lake = lake or Lake(settings.lake_path)
    warehouse = Warehouse(settings.warehouse, settings)
    try:
        ensure_schema(warehouse)
        loaded = dict(warehouse.execute("SELECT source_table, delta_version FROM gold.load_state"))
        pending = {}
        for source in SOURCES:
            changes = changed_files(lake, source.table, loaded.get(source.table))
            if changes is not None and changes.version != loaded.get(source.table):
                pending[source] = changes
        since = loaded.get(L.TOTALS)
        if not pending:
            return LoadReport(since, since, 0, 0)
        rows = buckets = 0
        with warehouse.transaction():
            for source, changes in pending.items():
                if changes.files:
                    warehouse.stage_files(source.staged_as, source, changes, lake)
                    if source is TOTALS_SOURCE:
                        rows, buckets = _load_totals(warehouse)
                    else:
                        warehouse.script(model("games" if source is GAMES_SOURCE else "game_reviews"))
                warehouse.execute("DELETE FROM gold.load_state WHERE source_table = ?", (source.table,))
                warehouse.execute(
                    "INSERT INTO gold.load_state VALUES (?, ?, ?)", (source.table, changes.version, datetime.now(UTC))
                )
        totals = pending.get(TOTALS_SOURCE)
        report = LoadReport(since, totals.version if totals else since, rows, buckets)
        log.info("gold_loaded", **report.__dict__, tables=sorted(s.table for s in pending))
        return report
    finally:
        warehouse.close()


def _load_totals(warehouse: Warehouse) -> tuple[int, int]:
    """Replace the staged polls' rows in gold.poll_totals and rebuild the buckets they touch."""
    columns = ", ".join(TOTALS_SOURCE.columns)
    warehouse.execute("DELETE FROM incoming WHERE status NOT IN ('complete', 'partial')")
    rows = warehouse.execute("SELECT COUNT(*) FROM incoming")[0][0]
    warehouse.execute("""DELETE FROM gold.poll_totals WHERE EXISTS (SELECT 1 FROM incoming i WHERE
                         i.platform = gold.poll_totals.platform AND i.poll_id = gold.poll_totals.poll_id
                         AND i.game_key = gold.poll_totals.game_key)""")
    warehouse.execute(f"INSERT INTO gold.poll_totals ({columns}) SELECT {columns} FROM incoming")
    warehouse.analyze("gold.poll_totals")
    times = warehouse.execute("SELECT DISTINCT platform, EXTRACT(EPOCH FROM scheduled_at) FROM incoming")
    affected = set()
    for bucket, seconds in BUCKETS.items():
        for platform, epoch in times:
            start = int(epoch) // seconds * seconds
            for neighbour in (start - seconds, start, start + seconds):  # weights and growth reach one bucket out
                affected.add((platform, bucket, seconds, neighbour))
    _stage_buckets(warehouse, affected)
    for table in ("game_buckets", "platform_buckets"):
        warehouse.execute(f"""DELETE FROM gold.{table} WHERE EXISTS (SELECT 1 FROM affected a WHERE
                              a.platform = gold.{table}.platform AND a.bucket = gold.{table}.bucket
                              AND a.bucket_start = gold.{table}.bucket_start)""")
        warehouse.execute(model(table))
    warehouse.analyze("gold.game_buckets")
    warehouse.script(model("game_buckets_growth"))
    return rows, len(affected)


def _stage_buckets(warehouse: Warehouse, affected: set[tuple[str, str, int, int]]) -> None:
    """Stage what the models join on, precomputed so every join is a plain equality or range:
    `affected` (buckets with their neighbours' starts), `load_window` (the span their polls and the
    polls right after them lie in) and `latest` (how far each platform's polls reach)."""

    def at(epoch: int) -> datetime:
        return datetime.fromtimestamp(epoch, UTC)

    stamp = pa.timestamp("us", tz="UTC")
    warehouse.stage(
        "affected",
        pa.Table.from_pylist(
            [
                {
                    "platform": p,
                    "bucket": b,
                    "bucket_seconds": s,
                    "bucket_start": at(t),
                    "start_epoch": t,
                    "previous_start": at(t - s),
                    "four_hours_before": at(t - 14400),
                    "four_hours_after": at(t + 14400),
                }
                for p, b, s, t in sorted(affected)
            ],
            schema=pa.schema(
                [
                    ("platform", pa.string()),
                    ("bucket", pa.string()),
                    ("bucket_seconds", pa.int64()),
                    ("bucket_start", stamp),
                    ("start_epoch", pa.int64()),
                    ("previous_start", stamp),
                    ("four_hours_before", stamp),
                    ("four_hours_after", stamp),
                ]
            ),
        ),
    )
    first = min(t for *_, t in affected)
    last = max(t + s for _, _, s, t in affected) + 86400  # the poll after the last bucket, if it is near
    warehouse.stage(
        "load_window",
        pa.table({"window_start": pa.array([at(first)], stamp), "window_end": pa.array([at(last)], stamp)}),
    )
    reach = []
    for platform in sorted({p for p, *_ in affected}):
        newest = warehouse.execute("SELECT MAX(scheduled_at) FROM gold.poll_totals WHERE platform = ?", (platform,))[0][
            0
        ]
        if newest is not None:
            interval = warehouse.execute(
                "SELECT MAX(interval_seconds) FROM gold.poll_totals WHERE platform = ? AND scheduled_at = ?",
                (platform, newest),
            )[0][0]
            reach.append({"platform": platform, "covered_until": newest.timestamp() + float(interval)})
    warehouse.stage(
        "latest",
        pa.Table.from_pylist(reach, schema=pa.schema([("platform", pa.string()), ("covered_until", pa.float64())])),
    )


def scheduled_gold(settings: Settings, every: float = 60.0) -> AbstractContextManager[None]:
    """Load gold every `every` seconds in a thread (for `gst demo`); a failed load is logged and retried."""

    def loop(stop: threading.Event) -> None:
        while not stop.wait(every):
            try:
                run_gold(settings)
            except Exception:  # the next run retries; the demo goes on
                log.exception("gold_load_failed")

    return background(loop, "gold-loads")
