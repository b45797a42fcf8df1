"""The warehouse side of a load: silver's changed rows staged in gold_staging per dialect, the
pending versions, and the load state (gold.load_state) advanced only after a build succeeds."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pyarrow as pa
import sqlalchemy as sa
import structlog

from batch_jobs.gold.project import GoldProject
from batch_jobs.gold.redshift_copy import redshift_copy, write_manifest
from batch_jobs.gold.silver_changes import Changes, DataFile, file_columns, local_path, read_files
from batch_jobs.gold.sources import SOURCES, SilverSource
from batch_jobs.gold.sql_types import sql_type
from gamestream.core.gold_vocabulary import BUCKET_SECONDS
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings
from gamestream.core.warehouse import Warehouse

log = structlog.get_logger(__name__)


STAGING = "gold_staging"
STATE_COLUMNS = ("source_table", "delta_version", "project", "loaded_at")
FULL_REFRESH = "(full refresh)"  # a pending row saying the build rebuilds gold from the staged rows
CHANNEL_SOURCES = ("stream_snapshots", "video_snapshots")  # the staged tables the channel models read


def quoted(path: str | None) -> str:
    return "'" + str(path).replace("'", "''") + "'"


class Loader:
    """Stages silver's new rows in gold_staging and keeps the load state."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.warehouse = Warehouse(settings.warehouse)
        self.kind = self.warehouse.kind

    def loaded(self, project: GoldProject) -> dict[str, int] | None:
        """Loaded Delta versions per silver table, or None when gold must be built from the start."""
        if self.warehouse.columns("gold.load_state") != list(STATE_COLUMNS):
            return None
        rows = self.warehouse.execute("SELECT source_table, delta_version, project FROM gold.load_state")
        others = sorted({recorded for *_, recorded in rows if not project.built(recorded)})
        if others:
            log.warning("gold_version_changed_rebuilding", built_for=others, building=project.tag)
            return None
        return {table: version for table, version, _ in rows}

    def _state_table(self, name: str) -> str:
        text = sql_type(pa.string(), self.kind)
        return (
            f"CREATE TABLE {name} (source_table {text} NOT NULL, delta_version BIGINT NOT NULL, "
            f"project {text} NOT NULL, loaded_at TIMESTAMPTZ NOT NULL)"
        )

    def set_pending(self, versions: dict[str, int], tag: str, full: bool) -> None:
        """Record what the staged rows bring (gold_staging.pending; full: gold is rebuilt from them)."""
        with self.warehouse.connect() as connection:
            connection.execute(sa.text(f"CREATE SCHEMA IF NOT EXISTS {STAGING}"))
            connection.execute(sa.text(f"DROP TABLE IF EXISTS {STAGING}.pending"))
            connection.execute(sa.text(self._state_table(f"{STAGING}.pending")))
            rows = [{"source_table": t, "delta_version": v, "project": tag} for t, v in versions.items()]
            if full:
                rows.append({"source_table": FULL_REFRESH, "delta_version": 0, "project": tag})
            if rows:
                connection.execute(
                    sa.text(f"INSERT INTO {STAGING}.pending VALUES (:source_table, :delta_version, :project, :at)"),
                    [dict(r, at=datetime.now(UTC)) for r in rows],
                )

    def pending(self) -> tuple[dict[str, int], str | None, bool]:
        """Staged versions not yet built, the gold they were staged for (its tag), whether in full."""
        if not self.warehouse.columns(f"{STAGING}.pending"):
            return {}, None, False
        rows = self.warehouse.execute(f"SELECT source_table, delta_version, project FROM {STAGING}.pending")
        versions = {t: v for t, v, _ in rows if t != FULL_REFRESH}
        return versions, (rows[0][2] if rows else None), any(t == FULL_REFRESH for t, *_ in rows)

    def advance(self, versions: dict[str, int], tag: str, full: bool) -> None:
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
                        {"source_table": t, "delta_version": v, "project": tag, "at": datetime.now(UTC)}
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
                and all(local_path(f.uri) for f in changes.files)
            ):
                # a view over exactly the listed Parquet files: DuckDB reads them once, in parallel,
                # when the models do (no copy in Python, no staging copy)
                listed = ", ".join(quoted(local_path(f.uri)) for f in changes.files)
                held = set().union(*(file_columns(source, f.uri) for f in changes.files))
                chosen = ", ".join(
                    f"CAST({f.name if f.name in held else 'NULL'} AS {sql_type(f.type, 'duckdb')}) AS {f.name}"
                    for f in source.schema
                )
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
        # Parquet columns map by position: files written before a column was added are copied apart
        groups: dict[tuple[str, ...], list[DataFile]] = {}
        for f in changes.files:
            held = file_columns(source, f.uri) if source.added_later else changes.schema.names
            groups.setdefault(tuple(n for n in held if n in changes.schema.names), []).append(f)
        for position, (names, files) in enumerate(groups.items()):
            manifest = write_manifest(lake, files, self.settings)
            schema = pa.schema([changes.schema.field(n) for n in names])
            for statement in redshift_copy(name, source, schema, manifest, role, into_existing=position > 0):
                connection.execute(sa.text(statement))

    def has_channel_work(self) -> bool:
        """Whether the channel models have anything to do: snapshots staged by this load, or kept in
        gold.channel_snapshots (which a new poll can reweigh); when neither holds a row, every channel
        table is empty and stays so. True when gold.channel_snapshots was never built."""
        if not self.warehouse.columns("gold.channel_snapshots"):
            return True
        tables = [f"{STAGING}.{t}" for t in CHANNEL_SOURCES if self.warehouse.columns(f"{STAGING}.{t}")]
        return any(self.warehouse.execute(f"SELECT 1 FROM {t} LIMIT 1") for t in [*tables, "gold.channel_snapshots"])

    def staged_rows(self) -> int:
        """Rows staged for the next build, every source together."""
        tables = [f"{STAGING}.{s.staged_as}" for s in SOURCES]
        return sum(
            self.warehouse.execute(f"SELECT COUNT(*) FROM {t}")[0][0] for t in tables if self.warehouse.columns(t)
        )

    def affected(self) -> tuple[int, int]:
        """Closed rows staged, and the buckets they touch (their own, for every bucket size)."""
        rows, *_ = self.warehouse.execute(
            f"SELECT COUNT(*) FROM {STAGING}.game_poll_totals WHERE status IN ('complete', 'partial')"
        )[0]
        times = self.warehouse.execute(
            f"SELECT DISTINCT platform, EXTRACT(EPOCH FROM scheduled_at) FROM {STAGING}.game_poll_totals"
            " WHERE status IN ('complete', 'partial')"
        )
        buckets = {(p, b, int(e) // s) for b, s in BUCKET_SECONDS.items() for p, e in times}
        return int(rows), len(buckets)

    def close(self) -> None:
        self.warehouse.close()
