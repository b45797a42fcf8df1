"""Read-only access to the gold warehouse for the API, through the shared warehouse layer
(gamestream.core.warehouse: SQLAlchemy engines, bound parameters, errors mapped by type).

Every query is SQL text from realtime_api/queries/ with its values bound as `:name`
parameters; connections are read-only where the database enforces it (PostgreSQL and Redshift
sessions, DuckDB when no gold build shares the process). A warehouse that cannot be reached, or has
no gold yet, raises WarehouseUnavailable, which the app answers with 503.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa

from gamestream.core.warehouse import Warehouse, WarehouseUnavailable

__all__ = ["GoldStore", "WarehouseUnavailable"]


class GoldStore:
    def __init__(self, url: str, read_only: bool = True, timeout_seconds: float = 10.0):
        self.warehouse = Warehouse(url, read_only=read_only, timeout_seconds=timeout_seconds)
        self.kind = self.warehouse.kind

    def rows(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one read query; rows as dicts keyed by column name."""
        return self.warehouse.rows(sql, params)

    def column_lists(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> dict[str, list]:
        """Run one read query; its result column by column (for results of many rows)."""
        return self.warehouse.column_lists(sql, params)

    def ping(self) -> None:
        self.rows("SELECT 1 AS ok")

    def close(self) -> None:
        self.warehouse.close()
