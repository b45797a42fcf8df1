"""One way into the gold warehouse, shared by the gold loader and the API.

SQLAlchemy Core over DuckDB (duckdb-engine), PostgreSQL (psycopg 3) and Redshift (sqlalchemy-redshift
on redshift-connector): SQLAlchemy is the standard Python layer over these drivers, so binding
(`:name` parameters, lists expanded for IN), pooling and the wrapping of driver errors are its, not
ours. One engine, and so one pool, per URL and mode per process. Errors are mapped by type:
a connection that fails or drops is `WarehouseUnavailable`, a missing gold table `GoldMissing`.

The project's URLs (duckdb:///path, postgresql://..., redshift://...) map to SQLAlchemy's driver names
here and nowhere else.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Connection, Engine

DRIVERS = {"duckdb": "duckdb", "postgresql": "postgresql+psycopg", "redshift": "redshift+redshift_connector"}
# DuckDB lets one process open a file many times only with one configuration; dbt's connections
# (profiles.yml, config_options) and ours use this one, so a build and the API can share the file
DUCKDB_CONFIG: dict[str, str | bool | int | float | list[str]] = {"custom_user_agent": "gamestream"}


class WarehouseUnavailable(RuntimeError):
    """The warehouse cannot be reached or opened (the API answers 503)."""


class GoldMissing(WarehouseUnavailable):
    """The warehouse has no gold tables yet."""


def kind_of(url: str) -> str:
    kind = url.split(":", 1)[0]
    if kind not in DRIVERS:
        raise ValueError(f"warehouses are duckdb://, postgresql:// or redshift:// URLs, not {kind}://")
    return kind


def sqlalchemy_url(url: str) -> sa.URL:
    """The SQLAlchemy URL (driver named) for one of the project's warehouse URLs."""
    kind = kind_of(url)
    parsed = sa.make_url(url)
    return parsed.set(drivername=DRIVERS[kind])


_engines: dict[tuple[str, bool, float | None], Engine] = {}
_engines_lock = threading.Lock()


def engine(url: str, read_only: bool = False, timeout_seconds: float | None = None) -> Engine:
    """The process's engine for `url` in this mode (created on first use)."""
    key = (url, read_only, timeout_seconds)
    with _engines_lock:
        found = _engines.get(key)
        if found is None:
            found = _engines[key] = _create_engine(url, read_only, timeout_seconds)
        return found


def _create_engine(url: str, read_only: bool, timeout_seconds: float | None) -> Engine:
    """No rollback when a connection goes back to its pool (pool_reset_on_return=None): every use is
    Warehouse.connect's engine.begin(), which has already committed or rolled back, and the extra
    rollback cost a DuckDB read about half a millisecond and a PostgreSQL one a round trip."""
    kind = kind_of(url)
    target = sqlalchemy_url(url)
    if kind == "duckdb":
        # lazy: only the configured warehouse's driver loads
        import duckdb
        from duckdb_engine import ConnectionWrapper

        path = target.database or ":memory:"

        def open_file() -> Any:  # the configuration dbt-duckdb opens the file with (profiles.yml)
            return ConnectionWrapper(duckdb.connect(path, read_only=read_only, config=DUCKDB_CONFIG))

        return sa.create_engine(
            target, creator=open_file, poolclass=sa.pool.QueuePool, pool_size=4, pool_reset_on_return=None
        )
    if kind == "postgresql":
        options = []
        if timeout_seconds:
            options.append(f"-c statement_timeout={int(timeout_seconds * 1000)}")
        if read_only:
            options.append("-c default_transaction_read_only=on")
        args = {"connect_timeout": 3, "options": " ".join(options)} if options else {"connect_timeout": 3}
        return sa.create_engine(target, connect_args=args, pool_size=8, pool_pre_ping=True, pool_reset_on_return=None)
    created = sa.create_engine(
        target, connect_args={"timeout": 3}, pool_size=8, pool_pre_ping=True, pool_reset_on_return=None
    )

    @sa.event.listens_for(created, "connect")
    def _session(dbapi_connection: Any, _record: Any) -> None:  # Redshift takes no startup options
        cursor = dbapi_connection.cursor()
        if timeout_seconds:
            cursor.execute(f"SET statement_timeout TO {int(timeout_seconds * 1000)}")
        if read_only:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
        cursor.close()
        dbapi_connection.commit()

    return created


def dispose(url: str, read_only: bool = False, timeout_seconds: float | None = None) -> None:
    """Close the pooled connections of one engine (a DuckDB file no one else holds is then free for
    another process); the next `engine` call opens anew."""
    with _engines_lock:
        found = _engines.pop((url, read_only, timeout_seconds), None)
    if found is not None:
        found.dispose()


def missing_table(error: BaseException) -> bool:
    """Whether a driver error says a table or schema does not exist (typed per driver)."""
    orig = getattr(error, "orig", error)
    # lazy: the warehouse drivers load when an error is to be read, not with this module
    import duckdb
    from psycopg import errors as pg

    if isinstance(orig, (duckdb.CatalogException, pg.UndefinedTable, pg.InvalidSchemaName, pg.UndefinedObject)):
        return True
    return bool(
        getattr(orig, "args", None) and isinstance(orig.args[0], dict) and orig.args[0].get("C") in ("42P01", "3F000")
    )


@contextmanager
def mapped_errors(kind: str) -> Iterator[None]:
    """Driver errors as the warehouse errors the callers handle."""
    try:
        yield
    except sa_exc.DBAPIError as error:
        if missing_table(error):
            raise GoldMissing(f"the {kind} warehouse has no gold tables yet (run `gst gold run`)") from error
        if error.connection_invalidated or isinstance(error, (sa_exc.OperationalError, sa_exc.InterfaceError)):
            raise WarehouseUnavailable(f"the {kind} warehouse cannot be reached") from error
        raise
    except OSError as error:
        raise WarehouseUnavailable(f"the {kind} warehouse cannot be reached: {error}") from error


class Warehouse:
    """A handle on the process's engine for one warehouse URL."""

    def __init__(self, url: str, read_only: bool = False, timeout_seconds: float | None = None):
        self.url, self.kind = url, kind_of(url)
        self.mode = (read_only, timeout_seconds)
        self.engine = engine(url, read_only, timeout_seconds)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        """A pooled connection inside one transaction (committed when the block ends without error)."""
        with mapped_errors(self.kind), self.engine.begin() as connection:
            yield connection

    def rows(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> list[dict[str, Any]]:
        """Run one statement; its rows as dicts keyed by column name."""
        with self.connect() as connection:
            result = connection.execute(sa.text(sql) if isinstance(sql, str) else sql, dict(params or {}))
            if not result.returns_rows:
                return []
            keys = list(result.keys())  # zipped per row: a third faster than RowMapping copies
            return [dict(zip(keys, row, strict=True)) for row in result.fetchall()]

    def column_lists(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> dict[str, list]:
        """Run one read; its result column by column (name -> values, NULL as None), for results of
        many rows. DuckDB hands columns over as arrays, several times faster than row by row; select
        numbers, booleans and text (not timestamps: they come back as numpy datetimes)."""
        with self.connect() as connection:
            result = connection.execute(sa.text(sql) if isinstance(sql, str) else sql, dict(params or {}))
            keys = list(result.keys())
            if self.kind == "duckdb":  # duckdb-engine's cursor passes fetchnumpy through to DuckDB
                arrays = result.cursor.fetchnumpy()
                return {key: arrays[key].tolist() for key in keys}  # masked (NULL) entries become None
            rows = result.fetchall()
            return {key: [row[i] for row in rows] for i, key in enumerate(keys)}

    def execute(self, sql: str | sa.TextClause, params: Mapping[str, Any] | None = None) -> list[tuple]:
        """Run one statement; its rows as tuples."""
        with self.connect() as connection:
            result = connection.execute(sa.text(sql) if isinstance(sql, str) else sql, dict(params or {}))
            return [tuple(row) for row in result] if result.returns_rows else []

    def columns(self, table: str) -> list[str]:
        """The columns of `schema.table` in order ([] when it does not exist)."""
        schema, name = table.split(".")
        rows = self.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_schema = :schema AND table_name = :name"
            " ORDER BY ordinal_position",
            {"schema": schema, "name": name},
        )
        return [r[0] for r in rows]

    def close(self) -> None:
        """Release this engine's pooled connections to the warehouse."""
        dispose(self.url, *self.mode)
