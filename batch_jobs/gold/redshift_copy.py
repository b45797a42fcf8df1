"""Staging on Redshift: a COPY manifest naming exactly the changed files, written next to the lake on
S3, and the statements that copy them."""

from __future__ import annotations

import json
import uuid
from datetime import UTC, datetime

import pyarrow as pa

from batch_jobs.gold.silver_changes import DataFile
from batch_jobs.gold.sources import SilverSource
from batch_jobs.gold.sql_types import sql_type
from gamestream.core.aws import aws_client
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings


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
    bucket, _, prefix = root.removeprefix("s3://").partition("/")
    full_key = f"{prefix}/{key}" if prefix else key
    aws_client(settings or Settings(), "s3").put_object(Bucket=bucket, Key=full_key, Body=body.encode())
    return f"s3://{bucket}/{full_key}"


def redshift_copy(
    name: str, source: SilverSource, schema: pa.Schema, manifest_url: str, role: str, into_existing: bool = False
) -> list[str]:
    """The statements that stage a silver table's changed files on Redshift: COPY every file column
    (Parquet columns map by position) into a table, then keep the columns gold uses (null for a
    column the files lack: added after they were written). `into_existing`: add the rows to the
    staging table an earlier group of files (with other columns) created."""
    columns = ", ".join(f'"{f.name}" {sql_type(f.type, "redshift")}' for f in schema)

    def kept(field: pa.Field) -> str:
        held = f'"{field.name}"' if field.name in schema.names else "NULL"
        return f'CAST({held} AS {sql_type(field.type, "redshift")}) AS "{field.name}"'

    keep = ", ".join(kept(f) for f in source.schema)
    role_literal = role.replace("'", "''")
    return [
        f"DROP TABLE IF EXISTS {name}_files",
        *([] if into_existing else [f"DROP TABLE IF EXISTS {name}"]),
        f"CREATE TABLE {name}_files ({columns})",
        f"COPY {name}_files FROM '{manifest_url}' IAM_ROLE '{role_literal}' FORMAT AS PARQUET MANIFEST",
        f"INSERT INTO {name} SELECT {keep} FROM {name}_files"
        if into_existing
        else f"CREATE TABLE {name} AS SELECT {keep} FROM {name}_files",
        f"DROP TABLE {name}_files",
    ]
