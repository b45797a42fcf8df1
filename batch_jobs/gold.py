"""Gold loads: stage what silver gained since the last loaded Delta version, then `dbt build` the gold
dbt project (warehouse_sql, docs/warehouse.md) in this process.

"What it gained" is read from the files the Delta log lists as active now and not at the last
loaded version: removed files are never read, and a file rewritten by a merge carries the current
state of every row in it (the models replace rows by key, so seeing a row again changes nothing).
Three silver tables feed gold: game_poll_totals (the buckets), games (identity, the non-game flag)
and review_summaries (Steam review score). Each lands in gold_staging, replaced on every load.

Two steps (`gst gold stage`, `gst gold build`; `gst gold run` does both, as the Airflow DAG does):
staging records the Delta versions it staged in gold_staging.pending, and the build makes them the
load state (gold.load_state) only after `dbt build` succeeds, so a failed build is retried over
the same rows. The state also records a digest of the dbt project: a gold built by other SQL is
rebuilt from all of silver (`--full-refresh`).

Warehouses by URL: duckdb:///path (embedded default), postgresql://... and
redshift://user:password@host:5439/db (the changed files are loaded with COPY from a manifest listing
exactly those files).
"""

from __future__ import annotations

import hashlib
import json
import threading
import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from importlib.resources import files
from importlib.resources.abc import Traversable
from typing import Any
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
import structlog

from batch_jobs.dbt import DbtFailed, build
from gamestream.background import background
from gamestream.settings import Settings
from gamestream.warehouse import Warehouse
from streaming_jobs import lake as L
from streaming_jobs.lake import GAMES_SCHEMA, TOTALS_SCHEMA, Lake, plain

log = structlog.get_logger(__name__)
BUCKETS = {"5m": 300, "1h": 3600, "1d": 86400}
REVIEWS = "silver/review_summaries"
STAGING = "gold_staging"
STATE_COLUMNS = ("source_table", "delta_version", "project", "loaded_at")
FULL_REFRESH = "(full refresh)"  # a pending row saying the build rebuilds gold from the staged rows


def project() -> Traversable:
    """The packaged dbt project directory."""
    return files("warehouse_sql")


@dataclass(frozen=True)
class SilverSource:
    """A silver table gold loads and the staging table (with the columns and types) it lands in."""

    table: str
    staged_as: str
    schema: pa.Schema

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)


TOTALS_SOURCE = SilverSource(
    L.TOTALS,
    "game_poll_totals",
    pa.schema(
        [
            TOTALS_SCHEMA.field(c)
            for c in (
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
            )
        ]
    ),
)
GAMES_SOURCE = SilverSource(
    L.GAMES,
    "games",
    pa.schema(
        [
            GAMES_SCHEMA.field(c)
            for c in ("game_key", "name", "steam_app_id", "is_game", "first_seen_at", "last_seen_at")
        ]
    ),
)
REVIEWS_SOURCE = SilverSource(
    REVIEWS,
    "review_summaries",
    pa.schema(
        [
            ("event_id", pa.string()),
            ("app_id", pa.int64()),
            ("review_score", pa.int64()),
            ("review_score_desc", pa.string()),
            ("total_positive", pa.int64()),
            ("total_negative", pa.int64()),
            ("total_reviews", pa.int64()),
            ("observed_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
)
SOURCES = (GAMES_SOURCE, REVIEWS_SOURCE, TOTALS_SOURCE)


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


SQL_TYPES = {
    "duckdb": {"string": "TEXT", "double": "DOUBLE"},
    "postgresql": {"string": "TEXT", "double": "DOUBLE PRECISION"},
    "redshift": {"string": "VARCHAR(65535)", "double": "DOUBLE PRECISION"},
}


def sql_type(kind: pa.DataType, dialect: str) -> str:
    if pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind):
        return SQL_TYPES[dialect]["string"]
    if pa.types.is_integer(kind):
        return "BIGINT"
    if pa.types.is_floating(kind):
        return SQL_TYPES[dialect]["double"]
    if pa.types.is_boolean(kind):
        return "BOOLEAN"
    if pa.types.is_timestamp(kind):
        return "TIMESTAMPTZ"
    if pa.types.is_date(kind):
        return "DATE"
    if dialect == "redshift":  # lists and structs land in SUPER
        return "SUPER"
    raise TypeError(f"no {dialect} column type for {kind}")


def project_digest() -> str:
    """A digest of the dbt project's SQL and YAML: gold built by other SQL is rebuilt."""
    digest = hashlib.sha256()

    def walk(folder: Traversable, prefix: str) -> None:
        for item in sorted(folder.iterdir(), key=lambda i: i.name):
            if item.is_dir():
                walk(item, f"{prefix}{item.name}/")
            elif item.name.endswith((".sql", ".yml")):
                digest.update(f"{prefix}{item.name}\0".encode())
                digest.update(item.read_bytes())

    walk(project(), "")
    return digest.hexdigest()[:16]


class Loader:
    """Stages silver's new rows in gold_staging and keeps the load state."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.warehouse = Warehouse(settings.warehouse)
        self.kind = self.warehouse.kind

    def loaded(self, digest: str) -> dict[str, int] | None:
        """Loaded Delta versions per silver table, or None when gold must be built from the start."""
        if self.warehouse.columns("gold.load_state") != list(STATE_COLUMNS):
            return None
        rows = self.warehouse.execute("SELECT source_table, delta_version, project FROM gold.load_state")
        if any(project != digest for *_, project in rows):
            log.warning("gold_project_changed_rebuilding")
            return None
        return {table: version for table, version, _ in rows}

    def _state_table(self, name: str) -> str:
        text = sql_type(pa.string(), self.kind)
        return (
            f"CREATE TABLE {name} (source_table {text} NOT NULL, delta_version BIGINT NOT NULL, "
            f"project {text} NOT NULL, loaded_at TIMESTAMPTZ NOT NULL)"
        )

    def set_pending(self, versions: dict[str, int], digest: str, full: bool) -> None:
        """Record what the staged rows bring (gold_staging.pending; full: gold is rebuilt from them)."""
        with self.warehouse.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {STAGING}"))
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {STAGING}.pending"))
            connection.execute(sa.text(self._state_table(f"{STAGING}.pending")))
            rows = [{"source_table": t, "delta_version": v, "project": digest} for t, v in versions.items()]
            if full:
                rows.append({"source_table": FULL_REFRESH, "delta_version": 0, "project": digest})
            if rows:
                connection.execute(
                    sa.text(f"INSERT INTO {STAGING}.pending VALUES (:source_table, :delta_version, :project, :at)"),
                    [dict(r, at=datetime.now(UTC)) for r in rows],
                )

    def pending(self) -> tuple[dict[str, int], str | None, bool]:
        """Staged versions not yet built, the project digest they were staged for, whether in full."""
        if not self.warehouse.columns(f"{STAGING}.pending"):
            return {}, None, False
        rows = self.warehouse.execute(f"SELECT source_table, delta_version, project FROM {STAGING}.pending")
        versions = {t: v for t, v, _ in rows if t != FULL_REFRESH}
        return versions, (rows[0][2] if rows else None), any(t == FULL_REFRESH for t, *_ in rows)

    def advance(self, versions: dict[str, int], digest: str, full: bool) -> None:
        """After a build: the staged versions become the load state, in one transaction."""
        table = sa.table("load_state", sa.column("source_table"), schema="gold")
        with self.warehouse.connect() as connection:
            connection.execute(sa.text("CREATE SCHEMA IF NOT EXISTS gold"))
            if full:
                connection.execute(sa.text("DROP TABLE IF EXISTS gold.load_state"))
                connection.execute(sa.text(self._state_table("gold.load_state")))
            connection.execute(sa.delete(table).where(table.c.source_table.in_(list(versions))))
            if versions:
                connection.execute(
                    sa.text("INSERT INTO gold.load_state VALUES (:source_table, :delta_version, :project, :at)"),
                    [
                        {"source_table": t, "delta_version": v, "project": digest, "at": datetime.now(UTC)}
                        for t, v in versions.items()
                    ],
                )
            connection.execute(sa.text(f"DELETE FROM {STAGING}.pending"))

    def stage(self, source: SilverSource, changes: Changes | None, lake: Lake) -> None:
        """Replace gold_staging.<source> with the rows of the changed files (none: empty)."""
        name = f"{STAGING}.{source.staged_as}"
        with self.warehouse.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {STAGING}"))
            kind = connection.execute(
                sa.text(
                    "SELECT table_type FROM information_schema.tables WHERE table_schema = :schema AND table_name = :name"
                ),
                {"schema": STAGING, "name": source.staged_as},
            ).scalar()
            if kind is not None:  # a view on DuckDB over local files, else a table
                connection.execute(sa.text(f"DROP {'VIEW' if kind == 'VIEW' else 'TABLE'} {name}"))
            if self.kind == "redshift" and changes is not None and changes.files:
                self._copy_redshift(connection, name, source, changes, lake)
                return
            if (
                self.kind == "duckdb"
                and changes is not None
                and changes.files
                and all(_local(f.uri) for f in changes.files)
            ):
                # a view over exactly the listed Parquet files: DuckDB reads them once, in parallel,
                # when the models do (no copy in Python, no staging copy)
                listed = ", ".join(_quoted(_local(f.uri)) for f in changes.files)
                chosen = ", ".join(f"CAST({f.name} AS {sql_type(f.type, 'duckdb')}) AS {f.name}" for f in source.schema)
                view = f"SELECT {chosen} FROM read_parquet([{listed}], union_by_name = true)"
                connection.execute(sa.text(f"CREATE VIEW {name} AS {view}"))
                return
            columns = ", ".join(f"{f.name} {sql_type(f.type, self.kind)}" for f in source.schema)
            connection.execute(sa.text(f"CREATE TABLE {name} ({columns})"))
            if changes is None or not changes.files:
                return
            table = read_files(source, changes)
            if self.kind == "duckdb":  # files on S3: read through pyarrow's filesystem
                raw: Any = connection.connection.dbapi_connection  # duckdb's own connection
                raw.register("staged_arrow", table)
                raw.execute(f"INSERT INTO {name} SELECT * FROM staged_arrow")
                raw.unregister("staged_arrow")
            elif self.kind == "postgresql":
                pg: Any = connection.connection.dbapi_connection  # psycopg's own connection
                with pg.cursor() as cursor:
                    with cursor.copy(f"COPY {name} FROM STDIN") as copy:
                        for row in table.to_pylist():
                            copy.write_row(list(row.values()))
                    cursor.execute(f"ANALYZE {name}")

    def _copy_redshift(self, connection: Any, name: str, source: SilverSource, changes: Changes, lake: Lake) -> None:
        role = self.settings.redshift_iam_role
        if not role:
            raise ValueError("Redshift loads need GST_REDSHIFT_IAM_ROLE: the role COPY assumes to read the lake")
        manifest = write_manifest(lake, changes.files, self.settings)
        for statement in redshift_copy(name, source, changes.schema, manifest, role):
            connection.execute(sa.text(statement))

    def affected(self) -> tuple[int, int]:
        """Closed rows staged, and the buckets they touch (their own, for every bucket size)."""
        rows, *_ = self.warehouse.execute(
            f"SELECT COUNT(*) FROM {STAGING}.game_poll_totals WHERE status IN ('complete', 'partial')"
        )[0]
        times = self.warehouse.execute(
            f"SELECT DISTINCT platform, EXTRACT(EPOCH FROM scheduled_at) FROM {STAGING}.game_poll_totals"
            " WHERE status IN ('complete', 'partial')"
        )
        buckets = {(p, b, int(e) // s) for b, s in BUCKETS.items() for p, e in times}
        return int(rows), len(buckets)

    def close(self) -> None:
        self.warehouse.close()


def _local(uri: str) -> str | None:
    """The filesystem path of a local file URI (None for object stores)."""
    if uri.startswith("file://"):
        return unquote(uri.removeprefix("file://"))
    return uri if "://" not in uri else None


def _quoted(path: str | None) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def read_files(source: SilverSource, changes: Changes) -> pa.Table:
    """The source's columns from the changed files, in the staging schema."""
    tables = [
        plain(pq.read_table(f.uri, columns=list(source.columns))).select(list(source.columns)).cast(source.schema)
        for f in changes.files
    ]
    return pa.concat_tables(tables) if tables else source.schema.empty_table()


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

        known = set(DeltaTable(lake.path(table), version=since).file_uris())
    found = [DataFile(uri, sizes[_file_name(uri)]) for uri in sorted(set(uris) - known)]
    partitions = set(current.metadata().partition_columns)
    schema = pa.schema(current.schema().to_arrow())
    schema = pa.schema([f for f in schema if f.name not in partitions])
    return Changes(found, current.version(), schema)


def _file_name(path: str) -> str:
    return unquote(path).rsplit("/", 1)[-1]


def copy_manifest(found: list[DataFile]) -> dict:
    """A Redshift COPY manifest naming exactly `found` (Parquet manifests need each file's length)."""
    return {"entries": [{"url": f.uri, "mandatory": True, "meta": {"content_length": f.size}} for f in found]}


def write_manifest(lake: Lake, found: list[DataFile], settings: Settings | None) -> str:
    """Write the manifest next to the lake (S3: Redshift reads it there) and return its URL."""
    key = f"_gold_manifests/{datetime.now(UTC):%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}.json"
    body = json.dumps(copy_manifest(found), indent=1)
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
    (Parquet columns map by position) into a table, then keep the columns gold uses."""
    columns = ", ".join(f'"{f.name}" {sql_type(f.type, "redshift")}' for f in schema)
    keep = ", ".join(f'CAST("{f.name}" AS {sql_type(f.type, "redshift")}) AS "{f.name}"' for f in source.schema)
    role_literal = role.replace("'", "''")
    return [
        f"DROP TABLE IF EXISTS {name}_files",
        f"DROP TABLE IF EXISTS {name}",
        f"CREATE TABLE {name}_files ({columns})",
        f"COPY {name}_files FROM '{manifest_url}' IAM_ROLE '{role_literal}' FORMAT AS PARQUET MANIFEST",
        f"CREATE TABLE {name} AS SELECT {keep} FROM {name}_files",
        f"DROP TABLE {name}_files",
    ]


@dataclass(frozen=True)
class Staged:
    from_version: int | None
    to_version: int | None
    rows: int
    buckets: int
    tables: tuple[str, ...]


def stage_gold(settings: Settings, lake: Lake | None = None) -> Staged:
    """Step 1: stage what silver gained since the load state into gold_staging (every active file when
    gold is missing or was built by other SQL), and record it as pending."""
    lake = lake or Lake(settings.lake_path)
    digest = project_digest()
    loader = Loader(settings)
    try:
        loaded = loader.loaded(digest)
        full = loaded is None
        loaded = loaded or {}
        pending = {}
        for source in SOURCES:
            changes = changed_files(lake, source.table, loaded.get(source.table))
            if changes is not None and changes.version != loaded.get(source.table):
                pending[source] = changes
        since = loaded.get(L.TOTALS)
        for source in SOURCES:
            loader.stage(source, pending.get(source), lake)
        loader.set_pending({s.table: c.version for s, c in pending.items()}, digest, full and bool(pending))
        rows, buckets = loader.affected()
    finally:
        loader.close()  # dbt opens its own connections
    totals = pending.get(TOTALS_SOURCE)
    staged = Staged(since, totals.version if totals else since, rows, buckets, tuple(sorted(s.table for s in pending)))
    log.info("gold_staged", **staged.__dict__, full_refresh=full and bool(pending))
    return staged


def build_gold(settings: Settings) -> bool:
    """Step 2: `dbt build` over what is staged, then advance the load state (False: nothing staged)."""
    loader = Loader(settings)
    try:
        versions, digest, full = loader.pending()
    finally:
        loader.close()
    if not versions:
        return False
    if digest != project_digest():
        raise ValueError("gold was staged for another version of the dbt project: run `gst gold stage` again")
    build(settings, full_refresh=full)
    loader = Loader(settings)
    try:
        loader.advance(versions, digest, full)
    finally:
        loader.close()
    log.info("gold_built", tables=sorted(versions), full_refresh=full)
    return True


def run_gold(settings: Settings, lake: Lake | None = None) -> LoadReport:
    """One incremental load: stage, then build (what `gst gold run` and the Airflow DAG do)."""
    staged = stage_gold(settings, lake)
    build_gold(settings)
    return LoadReport(staged.from_version, staged.to_version, staged.rows, staged.buckets)


def load_gold_every(
    settings: Settings,
    every: float,
    stop: threading.Event,
    at_once: bool = True,
    on_load: Callable[[LoadReport], object] | None = None,
) -> None:
    """Run `run_gold` every `every` seconds until `stop` is set (`gst gold run --every` in the foreground,
    `gst demo` in a thread): the first load at once, or after `every` seconds unless `at_once`. A failed
    load is logged and the next one retries it; a configuration error (ValueError) ends the loop, since
    repeating cannot help. `on_load` gets the report of each load that succeeds."""
    if not at_once and stop.wait(every):
        return
    while True:
        try:
            report = run_gold(settings)
        except ValueError:  # ends the loop (in a thread: its trace is printed)
            raise
        except DbtFailed as exc:  # names the failing models and tests: no trace needed
            log.error("gold_load_failed", error=str(exc))
        except Exception:
            log.exception("gold_load_failed")
        else:
            if on_load is not None:
                on_load(report)
        if stop.wait(every):
            return


def scheduled_gold(settings: Settings, every: float = 60.0, at_once: bool = False) -> AbstractContextManager[None]:
    """Load gold every `every` seconds in a thread (for `gst demo`), as `load_gold_every` does; the first
    load at once when there is something to load already (the demo's history), else after `every`."""
    return background(partial(load_gold_every, settings, every, at_once=at_once), "gold-loads")
