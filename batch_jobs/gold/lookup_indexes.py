"""DuckDB's ART indexes on the columns the API finds one channel by: an equality on an indexed
column is answered from the index, not a scan (a channel's games among 1.9M channel days: 1.2 ms,
not 19 ms; bench/api.py). Kept here, not in the dbt project: a full refresh renames each table
while dbt's other threads list indexes, and DuckDB fails that listing while the renamed table's
index is being dropped (dbt-duckdb drops them first, in the same transaction); so `build` drops
them before a full refresh and the load makes them again after every build. PostgreSQL's indexes
are the models' `indexes`."""

from __future__ import annotations

import sqlalchemy as sa

from gamestream.core.warehouse import Warehouse

LOOKUP_INDEXES = {
    "channels": ("channel_id", "lower(user_login)", "lower(channel_name)"),
    "channel_names": ("channel_id",),
    "channel_months": ("channel_id",),
    "channel_game_days": ("channel_id", "game_key"),
}


def drop_lookup_indexes(warehouse: Warehouse) -> None:
    if warehouse.kind == "duckdb":
        with warehouse.connect() as connection:
            for table, columns in LOOKUP_INDEXES.items():
                for number in range(1, len(columns) + 1):
                    connection.execute(sa.text(f"DROP INDEX IF EXISTS gold.{table}_by_{number}"))


def make_lookup_indexes(warehouse: Warehouse) -> None:
    if warehouse.kind == "duckdb":
        with warehouse.connect() as connection:
            for table, columns in LOOKUP_INDEXES.items():
                if warehouse.columns(f"gold.{table}"):
                    for number, column in enumerate(columns, 1):
                        connection.execute(
                            sa.text(f"CREATE INDEX IF NOT EXISTS {table}_by_{number} ON gold.{table} ({column})")
                        )
