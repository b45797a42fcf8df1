"""The dbt side of gold loads: one invocation at a time in a process, a failing data test named in
the error with the load state left where it was, whole buckets replaced, and a DuckDB file shared
in one process by the API's connections and a build (the demo runs both)."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pyarrow as pa
import pyarrow.compute as pc
import pytest
import yaml

from batch_jobs.dbt import DbtFailed, build, project_dir, work_dir
from batch_jobs.gold.loads import ONE_MODEL_AT_A_TIME_ROWS, build_gold, dbt_threads, run_gold, stage_gold
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings
from gamestream.core.warehouse import DUCKDB_CONFIG, Warehouse
from realtime_api.store import GoldStore
from tests.support.silver import totals


def test_a_large_duckdb_load_builds_one_model_at_a_time_and_a_small_one_overlaps_them():
    assert dbt_threads("duckdb", ONE_MODEL_AT_A_TIME_ROWS) == 1
    assert dbt_threads("duckdb", ONE_MODEL_AT_A_TIME_ROWS - 1) is None  # the profile's threads
    assert dbt_threads("postgresql", 10 * ONE_MODEL_AT_A_TIME_ROWS) is None  # a server runs each on one core


def settings_in(folder) -> Settings:
    return Settings(
        _env_file=None,
        lake_root=str(folder / "lake"),
        data_dir=folder / "data",
        warehouse_url=f"duckdb:///{folder / 'w.duckdb'}",
    )


def loaded_version(settings: Settings) -> int | None:
    rows = Warehouse(settings.warehouse).execute(
        "SELECT delta_version FROM gold.load_state WHERE source_table = 'silver/game_poll_totals'"
    )
    Warehouse(settings.warehouse).close()
    return rows[0][0] if rows else None


def test_the_loader_opens_duckdb_as_dbt_does():
    """A build holds the DuckDB file open with our configuration while dbt-duckdb opens it with the
    profile's: DuckDB refuses a second configuration in one process, so they must be the same."""
    profile = yaml.safe_load((project_dir() / "profiles.yml").read_text())
    assert profile["gamestream"]["outputs"]["duckdb"]["config_options"] == DUCKDB_CONFIG


def test_builds_in_one_process_run_one_at_a_time(tmp_path):
    runs = [settings_in(tmp_path / name) for name in ("a", "b")]
    for settings in runs:
        Lake(settings.lake_path).append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
        stage_gold(settings)
    errors: list[BaseException] = []

    def go(settings: Settings) -> None:
        try:
            build(settings, full_refresh=True)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(s,)) for s in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not errors
    spans = []
    for settings in runs:
        meta = json.loads((work_dir(settings) / "target" / "run_results.json").read_text())
        end = datetime.fromisoformat(meta["metadata"]["generated_at"].replace("Z", "+00:00"))
        spans.append((end - timedelta(seconds=meta["elapsed_time"]), end))
    first, second = sorted(spans)
    assert first[1] <= second[0]  # the second build began after the first ended


def test_a_failing_data_test_is_named_and_the_load_state_stays(warehouse_settings):
    settings = warehouse_settings
    lake = Lake(settings.lake_path)
    lake.append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
    run_gold(settings)
    bad = totals(range(10, 12))
    bad = bad.set_column(bad.schema.get_field_index("coverage"), "coverage", pa.array([1.5] * bad.num_rows))
    lake.append("silver/game_poll_totals", bad, 1, ["poll_date"])
    # the error names the test, the constraint the rows break and how many rows break it
    expected = rf"test column_constraints_poll_totals_: Got 1 result.*\(coverage between 0 and 1, {bad.num_rows}\)"
    with pytest.raises(DbtFailed, match=expected):
        run_gold(settings)
    assert loaded_version(settings) == 0  # the next load stages version 1 again
    assert stage_gold(settings).from_version == 0


def test_a_rebuilt_bucket_loses_the_games_that_left_it(tmp_path):
    settings = settings_in(tmp_path)
    lake = Lake(settings.lake_path)
    lake.append("silver/game_poll_totals", totals(range(0, 3)), 0, ["poll_date"])  # minutes 0-2 of a 5m bucket
    run_gold(settings)
    warehouse = Warehouse(settings.warehouse)
    query = "SELECT DISTINCT game_key FROM gold.game_buckets WHERE platform = 'twitch' AND bucket = '5m' ORDER BY 1"
    assert [r[0] for r in warehouse.execute(query)] == ["dota 2", "fortnite", "minecraft"]
    # minecraft's rows leave poll_totals (as if re-keyed); the bucket is rebuilt by the next poll in it
    warehouse.execute("DELETE FROM gold.poll_totals WHERE game_key = 'minecraft'")
    warehouse.close()
    later = totals(range(3, 4))
    lake.append("silver/game_poll_totals", later.filter(pc.not_equal(later["game_key"], "minecraft")), 1, ["poll_date"])
    run_gold(settings)
    assert [r[0] for r in warehouse.execute(query)] == ["dota 2", "fortnite"]
    # nor is it any game's latest hour any more: it had no other hour, so it leaves game_latest_hours
    latest = "SELECT game_key FROM gold.game_latest_hours WHERE platform = 'twitch' ORDER BY 1"
    assert [r[0] for r in warehouse.execute(latest)] == ["dota 2", "fortnite"]
    warehouse.close()
    # the old rows were deleted by the distinct keys of the new ones (macros/delete_insert.sql), not by
    # a join of every old row with every new row of its bucket (dbt-duckdb's, quadratic per bucket)
    compiled = (
        work_dir(settings) / "target" / "run" / "gamestream" / "models" / "marts" / "game_buckets.sql"
    ).read_text()
    assert "using (select distinct platform, bucket, bucket_start from" in " ".join(compiled.split())


def test_the_api_and_a_build_share_a_duckdb_file_in_one_process(tmp_path):
    settings = settings_in(tmp_path)
    lake = Lake(settings.lake_path)
    lake.append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
    run_gold(settings)
    store = GoldStore(settings.warehouse, read_only=False)  # as `gst demo` opens it
    try:
        count = "SELECT COUNT(*) AS n FROM gold.poll_totals"
        before = store.rows(count)[0]["n"]
        with store.warehouse.connect():  # a connection held open across the build
            lake.append("silver/game_poll_totals", totals(range(10, 20)), 1, ["poll_date"])
            stage_gold(settings)
            assert build_gold(settings)
        assert store.rows(count)[0]["n"] == before + totals(range(10, 20)).num_rows
    finally:
        store.close()
