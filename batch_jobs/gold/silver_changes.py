"""What a silver table gained since a Delta version: the data files active now and not then (removed
files are never read; a file rewritten by a merge carries the current state of every row in it)."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.parquet as pq
from deltalake import DeltaTable

from batch_jobs.gold.sources import SilverSource
from gamestream.core.lake import Lake, plain


@dataclass(frozen=True)
class DataFile:
    uri: str
    size: int


@dataclass(frozen=True)
class Changes:
    files: list[DataFile]
    version: int
    schema: pa.Schema  # the files' columns (the table's schema without partition columns)


def local_path(uri: str) -> str | None:
    """The filesystem path of a local file URI (None for object stores)."""
    if uri.startswith("file://"):
        return unquote(uri.removeprefix("file://"))
    return uri if "://" not in uri else None


def file_name(path: str) -> str:
    return unquote(path).rsplit("/", 1)[-1]


def read_files(source: SilverSource, changes: Changes) -> pa.Table:
    """The source's columns from the changed files, in the staging schema (a column added after a
    file was written is null in that file's rows)."""
    tables = []
    for f in changes.files:
        table = plain(pq.read_table(f.uri, columns=[c for c in source.columns if c in file_columns(source, f.uri)]))
        for name in source.added_later:
            if name not in table.column_names:
                table = table.append_column(name, pa.nulls(table.num_rows, source.schema.field(name).type))
        tables.append(table.select(list(source.columns)).cast(source.schema))
    return pa.concat_tables(tables) if tables else source.schema.empty_table()


def file_columns(source: SilverSource, uri: str) -> list[str]:
    """The columns a data file holds, in its order: read from its footer when the source has
    columns added later (an older file lacks them); else the source's own."""
    if not source.added_later:
        return list(source.columns)
    return pq.read_schema(uri).names


def changed_files(lake: Lake, table: str, since: int | None) -> Changes | None:
    """Files active now but not at version `since` (None: the table does not exist yet)."""
    current = lake.table(table)
    if current is None:
        return None
    actions = current.get_add_actions(flatten=True)
    # data file names are unique (they carry a UUID): index sizes by name, not by path spelling
    sizes = {
        file_name(path): size
        for path, size in zip(actions.column("path").to_pylist(), actions.column("size_bytes").to_pylist())
    }
    uris = current.file_uris()
    known = set()
    if since is not None:
        known = set(DeltaTable(lake.path(table), version=since).file_uris())
    found = [DataFile(uri, sizes[file_name(uri)]) for uri in sorted(set(uris) - known)]
    partitions = set(current.metadata().partition_columns)
    schema = pa.schema(current.schema().to_arrow())
    schema = pa.schema([f for f in schema if f.name not in partitions])
    return Changes(found, current.version(), schema)
