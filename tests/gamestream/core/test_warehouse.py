"""The warehouse layer: duckdb-engine 0.17 (released before duckdb 2.0) proven against the installed
duckdb 2, bound parameters on DuckDB and PostgreSQL, one engine per URL and mode, and driver errors
mapped by type."""

from datetime import UTC, datetime, timedelta

import duckdb
import duckdb_engine
import pytest
import sqlalchemy as sa

from gamestream.core.warehouse import GoldMissing, Warehouse, WarehouseUnavailable, engine, kind_of, sqlalchemy_url
from gamestream.embedded.ports import free_port
from tests.support.postgres import fresh_database

T0 = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["duckdb", "postgresql"])
def url(request, tmp_path) -> str:
    if request.param == "duckdb":
        return f"duckdb:///{tmp_path / 'w.duckdb'}"
    return fresh_database(request.getfixturevalue("postgres_url"), "gst_warehouse_layer")


def test_duckdb_engine_0_17_pairs_with_duckdb_2():
    assert duckdb_engine.__version__ == "0.17.0" and duckdb.__version__.startswith("2.")


def test_values_are_bound_and_read_back_with_their_types(url):
    warehouse = Warehouse(url)
    try:
        warehouse.execute("CREATE SCHEMA IF NOT EXISTS t")
        warehouse.execute("CREATE TABLE t.rows (k TEXT, seen TIMESTAMPTZ, n BIGINT, ok BOOLEAN, x DOUBLE PRECISION)")
        rows = [
            {"k": f"o'brien {i}", "seen": T0 + timedelta(hours=i), "n": 10**12 + i, "ok": i % 2 == 0, "x": i / 3}
            for i in range(4)
        ]
        with warehouse.connect() as connection:
            connection.execute(sa.text("INSERT INTO t.rows VALUES (:k, :seen, :n, :ok, :x)"), rows)
        query = sa.text("SELECT * FROM t.rows WHERE k IN :keys AND seen >= :since ORDER BY n").bindparams(
            sa.bindparam("keys", expanding=True)
        )
        got = warehouse.rows(query, {"keys": ["o'brien 1", "o'brien 2", "nobody"], "since": T0})
        assert got == rows[1:3]
        assert all(r["seen"].utcoffset() == timedelta(0) for r in got)  # aware UTC instants
        assert warehouse.columns("t.rows") == ["k", "seen", "n", "ok", "x"]
        assert warehouse.columns("t.nothing") == []
    finally:
        warehouse.close()


def test_column_lists_read_what_rows_read_nulls_included(url):
    warehouse = Warehouse(url)
    try:
        warehouse.execute("CREATE SCHEMA IF NOT EXISTS t")
        warehouse.execute("CREATE TABLE t.points (k TEXT, n BIGINT, ok BOOLEAN, x DOUBLE PRECISION)")
        warehouse.execute(
            "INSERT INTO t.points VALUES ('a', 1, true, 0.5), (NULL, NULL, NULL, NULL), ('c', 3, false, 2)"
        )
        query = "SELECT k, n, ok, x FROM t.points ORDER BY n NULLS LAST"
        rows = warehouse.rows(query)
        columns = warehouse.column_lists(query)
        assert columns == {key: [row[key] for row in rows] for key in ("k", "n", "ok", "x")}
        assert columns["n"] == [1, 3, None] and columns["ok"] == [True, False, None] and columns["k"][2] is None
        assert [type(v) for v in columns["n"][:2] + columns["x"][:2] + columns["ok"][:2]] == [int] * 2 + [float] * 2 + [
            bool
        ] * 2
        assert warehouse.column_lists(query + " LIMIT 0") == {"k": [], "n": [], "ok": [], "x": []}
    finally:
        warehouse.close()


def test_one_engine_per_url_and_mode_until_closed(tmp_path):
    path = f"duckdb:///{tmp_path / 'w.duckdb'}"
    Warehouse(path).execute("CREATE TABLE x (n INT)")
    first = engine(path)
    assert engine(path) is first and engine(path, read_only=True) is not first
    Warehouse(path).close()
    assert engine(path) is not first


def test_project_urls_map_to_sqlalchemy_drivers():
    assert sqlalchemy_url("postgresql://u:p%40ss@h:5432/db").drivername == "postgresql+psycopg"
    assert sqlalchemy_url("postgresql://u:p%40ss@h:5432/db").password == "p@ss"
    assert sqlalchemy_url("redshift://u:p@h:5439/dev").drivername == "redshift+redshift_connector"
    with pytest.raises(ValueError, match="not mysql://"):
        kind_of("mysql://h/db")


def test_a_missing_gold_table_is_gold_missing(url):
    Warehouse(url).execute("SELECT 1")  # the database exists (DuckDB: the file), gold does not
    Warehouse(url).close()
    with pytest.raises(GoldMissing, match="no gold tables yet"):
        Warehouse(url, read_only=True).rows("SELECT * FROM gold.game_buckets")


def test_an_unreachable_warehouse_is_unavailable(tmp_path):
    with pytest.raises(WarehouseUnavailable, match="cannot be reached"):
        Warehouse(f"postgresql://nobody@127.0.0.1:{free_port()}/db").rows("SELECT 1")
    with pytest.raises(WarehouseUnavailable):  # read-only and absent: DuckDB cannot create it
        Warehouse(f"duckdb:///{tmp_path / 'absent.duckdb'}", read_only=True).rows("SELECT 1")


def test_read_only_connections_refuse_writes(url):
    Warehouse(url).execute("CREATE TABLE IF NOT EXISTS public_table_probe (n INT)")
    Warehouse(url).close()
    reader = Warehouse(url, read_only=True)
    try:
        with pytest.raises(sa.exc.DBAPIError):
            reader.execute("INSERT INTO public_table_probe VALUES (1)")
    finally:
        reader.close()
