"""Staging column types per warehouse dialect."""

from __future__ import annotations

import pyarrow as pa

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
