"""A gold warehouse per test, on DuckDB and on the machine's PostgreSQL (a database per test module,
so modules on other workers do not share one)."""

import pytest

from gamestream.core.settings import Settings
from tests.support.postgres import fresh_database


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_settings(request, tmp_path):
    base = Settings(_env_file=None)
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        module = request.module.__name__.rsplit(".", 1)[-1]
        url = fresh_database(request.getfixturevalue("postgres_url"), f"gst_{module}")
    return base.model_copy(
        update={"lake_root": str(tmp_path / "lake"), "data_dir": tmp_path / "data", "warehouse_url": url}
    )
