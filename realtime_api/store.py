"""Read-only access to the gold warehouse for the API: DuckDB (embedded), PostgreSQL or Redshift.

Every query is fixed SQL text from realtime_api/gold_queries.py with its values bound as parameters;
connections are read-only where the database enforces it (PostgreSQL and Redshift sessions, DuckDB
when no loader shares the process). A warehouse that cannot be reached raises WarehouseUnavailable,
which the app answers with 503.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from queue import Empty, LifoQueue
from typing import Any
from urllib.parse import unquote, urlsplit


class WarehouseUnavailable(RuntimeError):
    pass


class GoldStore:
    def __init__(self, url: str, read_only: bool = True, pool_size: int = 8, timeout_seconds: float = 10.0):
        self.url, self.kind = url, url.split(":", 1)[0]
        self.read_only, self.timeout = read_only, timeout_seconds
        self._pool: LifoQueue = LifoQueue(maxsize=pool_size)
        self._duck: Any = None
        self._lock = threading.Lock()

    def rows(self, sql: str, params: tuple | list = ()) -> list[dict[str, Any]]:
        """Run one read query; rows as dicts keyed by column name."""
        try:
            with self._cursor() as cursor:
                if self.kind == "duckdb":
                    cursor.execute(sql, list(params))
                else:
                    cursor.execute(sql.replace("?", "%s"), tuple(params))
                names = [d[0] for d in cursor.description]
                return [dict(zip(names, row)) for row in cursor.fetchall()]
        except WarehouseUnavailable:
            raise
        except Exception as exc:
            if _is_connection_error(exc):
                raise WarehouseUnavailable(f"the {self.kind} warehouse cannot be reached") from exc
            if "does not exist" in str(exc) or "Catalog Error" in str(exc):
                raise WarehouseUnavailable(
                    f"the {self.kind} warehouse has no gold tables yet (run `gst gold run`)"
                ) from exc
            raise

    def ping(self) -> None:
        self.rows("SELECT 1 AS ok")

    @contextmanager
    def _cursor(self) -> Iterator[Any]:
        if self.kind == "duckdb":
            cursor = self._duckdb().cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            return
        conn = self._borrow()
        healthy = True
        try:
            cursor = conn.cursor()
            try:
                yield cursor
            finally:
                cursor.close()
            conn.rollback()  # read-only work: end the transaction, keep the connection
        except Exception as exc:
            healthy = not _is_connection_error(exc)
            raise
        finally:
            if healthy:
                try:
                    self._pool.put_nowait(conn)
                except Exception:
                    conn.close()
            else:
                conn.close()

    def _duckdb(self) -> Any:
        with self._lock:
            if self._duck is None:
                import duckdb

                try:
                    self._duck = duckdb.connect(self.url.removeprefix("duckdb:///"), read_only=self.read_only)
                    self._duck.execute("SET TimeZone = 'UTC'")
                except duckdb.Error as exc:
                    raise WarehouseUnavailable(f"the DuckDB warehouse cannot be opened: {exc}") from exc
            return self._duck

    def _borrow(self) -> Any:
        try:
            return self._pool.get_nowait()
        except Empty:
            return self._connect()

    def _connect(self) -> Any:
        try:
            if self.kind == "postgresql":
                import psycopg

                timeout_ms = int(self.timeout * 1000)
                options = f"-c statement_timeout={timeout_ms}" + (
                    " -c default_transaction_read_only=on" if self.read_only else ""
                )
                return psycopg.connect(self.url, connect_timeout=3, options=options)
            if self.kind == "redshift":
                import redshift_connector

                parts = urlsplit(self.url)
                conn = redshift_connector.connect(
                    host=parts.hostname,
                    port=parts.port or 5439,
                    database=parts.path.lstrip("/") or "dev",
                    user=unquote(parts.username or ""),
                    password=unquote(parts.password or ""),
                    timeout=3,
                )
                cursor = conn.cursor()
                cursor.execute(f"SET statement_timeout TO {int(self.timeout * 1000)}")
                cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
                cursor.close()
                return conn
        except Exception as exc:
            raise WarehouseUnavailable(f"the {self.kind} warehouse cannot be reached") from exc
        raise ValueError(f"unsupported warehouse {self.kind}")

    def close(self) -> None:
        while True:
            try:
                self._pool.get_nowait().close()
            except Empty:
                break
        if self._duck is not None:
            self._duck.close()
            self._duck = None


def _is_connection_error(exc: Exception) -> bool:
    name = type(exc).__name__
    return name in ("OperationalError", "InterfaceError", "ConnectionException", "IOException") or isinstance(
        exc, (ConnectionError, OSError)
    )


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken as UTC)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
