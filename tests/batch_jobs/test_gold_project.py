"""Which gold a dbt project builds: a change to the project decides its gold_version (the lock), and
a warehouse built by the project's earlier shape (fixtures/gold_v1_project, loaded the way loaders
of that time recorded it) loads on with today's project without a rebuild: no renumbered slug, and
the rows today's project builds from scratch; so does a load abandoned mid-build, once loaded again."""

import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import yaml

from batch_jobs.gold.loads import run_gold
from batch_jobs.gold.project import LEGACY_DIGESTS, GoldProject, project_digest
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings
from gamestream.core.warehouse import Warehouse
from tests.support.silver import T0, channel_polls, colliding_games, review_summaries, totals

GOLD_V1 = Path(__file__).parent / "fixtures" / "gold_v1_project"
LOCK = Path(__file__).parents[2] / "warehouse_sql" / "gold.lock"


def test_a_changed_project_decides_its_gold_version():
    project = GoldProject.packaged()
    locked = [line.split() for line in LOCK.read_text().splitlines() if line and not line.startswith("#")]
    assert locked == [[project.tag, project_digest(project.path)]], (
        "The dbt project changed since its gold_version was last decided. If gold built before this "
        "change holds other rows than gold built after it (a new column, another definition), raise "
        "vars.gold_version in warehouse_sql/dbt_project.yml: existing warehouses are rebuilt. If it "
        "builds the same rows, keep it. Then write the tag and digest above in warehouse_sql/gold.lock."
    )


def test_the_earlier_project_is_the_one_its_loaders_recorded():
    assert LEGACY_DIGESTS[project_digest(GOLD_V1)] == "gold-v1"
    assert not (GOLD_V1 / "models" / "staging").exists()  # the shape before staging models


def gold_rows(settings: Settings, table: str, leave_out: str = "") -> pd.DataFrame:
    warehouse = Warehouse(settings.warehouse)
    chosen = f"* EXCLUDE ({leave_out})" if leave_out else "*"
    frame = pd.DataFrame(
        warehouse.execute(f"SELECT {chosen} FROM gold.{table} ORDER BY ALL"),
        columns=[c for c in warehouse.columns(f"gold.{table}") if c != leave_out],
    )
    warehouse.close()
    return frame


@pytest.fixture(scope="module")
def upgraded_and_fresh(tmp_path_factory) -> tuple[Settings, Settings]:
    """Two warehouses of the same silver: one built by the earlier project and loaded on by today's,
    one built by today's project from scratch."""
    folder = tmp_path_factory.mktemp("gold")

    def settings(name: str) -> Settings:
        return Settings(
            _env_file=None,
            lake_root=str(folder / "lake"),
            data_dir=folder / f"{name}-data",
            warehouse_url=f"duckdb:///{folder / name}",
        )

    upgraded, fresh = settings("upgraded.duckdb"), settings("fresh.duckdb")
    lake = Lake(upgraded.lake_path)
    # streams as version 1 code wrote them (no user_login), which the earlier project never read
    before_streams, before_videos, before_totals = channel_polls(range(0, 40), user_login=False)
    lake.append("silver/stream_snapshots", before_streams, 0, ["poll_date"])
    lake.append("silver/video_snapshots", before_videos, 0, ["poll_date"])
    lake.append("silver/game_poll_totals", pa.concat_tables([totals(range(0, 30)), before_totals]), 0, ["poll_date"])
    lake.append("silver/games", colliding_games("notepad plus plus"), 0, [])
    lake.append("silver/review_summaries", review_summaries((570, 8, 800, 1000, T0)), 0, ["poll_date"])
    # loaded as loaders before gold_version did: the earlier project, its digest in the load state
    run_gold(upgraded, lake, GoldProject(GOLD_V1, project_digest(GOLD_V1)))

    streams, videos, later_totals = channel_polls(range(40, 70))
    lake.append("silver/stream_snapshots", streams, 1, ["poll_date"])
    lake.append("silver/video_snapshots", videos, 1, ["poll_date"])
    lake.append(
        "silver/game_poll_totals", pa.concat_tables([totals(range(30, 60), skip={41}), later_totals]), 1, ["poll_date"]
    )
    # seen first, loaded second: a full rebuild would give it the natural slug, renumbering the other
    lake.append("silver/games", colliding_games("notepad++", first_seen=T0 - timedelta(hours=1)), 1, [])
    reviews = review_summaries((570, 5, 1, 2, T0 - timedelta(days=1)), (730, 9, 95, 100, T0))
    lake.append("silver/review_summaries", reviews, 1, ["poll_date"])
    report = run_gold(upgraded, lake)
    assert report.from_version == 0 and report.to_version == 1  # staged what version 1 added, no more
    assert report.rows == totals(range(30, 60), skip={41}).num_rows + later_totals.num_rows
    run_gold(fresh, lake)
    return upgraded, fresh


def test_a_warehouse_built_by_the_earlier_project_loads_on_without_a_rebuild(upgraded_and_fresh):
    upgraded, fresh = upgraded_and_fresh
    state = Warehouse(upgraded.warehouse)
    assert {tag for (tag,) in state.execute("SELECT project FROM gold.load_state")} == {"gold-v1"}
    state.close()
    slugs = dict(gold_rows(upgraded, "games")[["game_key", "slug"]].itertuples(index=False))
    rebuilt = dict(gold_rows(fresh, "games")[["game_key", "slug"]].itertuples(index=False))
    assert slugs == {"notepad plus plus": "notepad-plus-plus", "notepad++": "notepad-plus-plus--2"}
    assert rebuilt == {"notepad++": "notepad-plus-plus", "notepad plus plus": "notepad-plus-plus--2"}

    # the silver the earlier project never read is staged from its start: the channels of both versions
    names = gold_rows(upgraded, "channel_names")
    had = {(login, name) for login, name in names[names.channel_id == "101"][["user_login", "channel_name"]].values}
    assert had == {(None, "BigOne"), ("bigone", "BigOne"), ("bigone_tv", "BigOneTV")}  # None: version 1 records
    marts = sorted(p.stem for p in (GoldProject.packaged().path / "models" / "marts").glob("*.sql"))
    assert len(marts) >= 19
    for table in marts:
        ours, theirs = (gold_rows(s, table, "slug" if table == "games" else "") for s in (upgraded, fresh))
        assert len(ours) > 0, table
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9, obj=table)


def test_every_model_has_a_yaml_of_its_own_describing_each_column(upgraded_and_fresh):
    _, fresh = upgraded_and_fresh
    folder = GoldProject.packaged().path / "models"
    warehouse = Warehouse(fresh.warehouse)
    try:
        for sql in folder.rglob("*.sql"):
            spec = sql.with_suffix(".yml")
            assert spec.is_file(), f"{sql.name} has no {spec.name} beside it"
            [model] = yaml.safe_load(spec.read_text())["models"]
            assert model["name"] == sql.stem and model.get("description"), spec
            described = {c["name"]: c.get("description") for c in model.get("columns", [])}
            assert described and all(described.values()), f"{spec.name}: columns without a description"
            layer = sql.relative_to(folder).parts[0]  # staging models and other ephemerals have no table
            built = warehouse.columns(f"{'gold' if layer == 'marts' else 'gold_staging'}.{sql.stem}")
            assert built or layer != "marts", f"{sql.stem}: no table in gold"
            assert not built or list(described) == built, f"{spec.name}: the table's columns, in its order"
            # the warehouses enforce no declared constraint: the model's column_constraints test checks them
            constrained = [c["name"] for c in model.get("columns", []) if c.get("constraints")]
            assert not constrained or "column_constraints" in model.get("data_tests", []), (
                f"{spec.name}: {constrained} declare constraints that no column_constraints test checks"
            )
    finally:
        warehouse.close()


def test_only_staging_models_read_sources():
    project = GoldProject.packaged().path
    readers = {
        str(sql.relative_to(project)) for sql in project.rglob("*.sql") if re.search(r"\bsource\s*\(", sql.read_text())
    }
    assert readers == {
        "models/staging/silver/stg_silver__game_poll_totals.sql",
        "models/staging/silver/stg_silver__games.sql",
        "models/staging/silver/stg_silver__review_summaries.sql",
        "models/staging/silver/stg_silver__stream_snapshots.sql",
        "models/staging/silver/stg_silver__video_snapshots.sql",
    }


def test_a_full_rebuild_keeps_every_slug(upgraded_and_fresh, tmp_path):
    upgraded, fresh = upgraded_and_fresh
    copy = tmp_path / "rebuilt.duckdb"
    shutil.copy(upgraded.warehouse.removeprefix("duckdb:///"), copy)
    rebuilt = upgraded.model_copy(update={"warehouse_url": f"duckdb:///{copy}"})
    state = Warehouse(rebuilt.warehouse)
    state.execute("UPDATE gold.load_state SET project = 'gold-v0'")  # gold of another version: rebuilt
    state.close()
    report = run_gold(rebuilt)
    assert report.from_version is None  # every active file staged, every model built with --full-refresh
    assert gold_rows(rebuilt, "games").equals(gold_rows(upgraded, "games"))  # the slugs as given, not renumbered
    for table in ("game_buckets", "game_months", "game_windows"):
        pd.testing.assert_frame_equal(gold_rows(rebuilt, table), gold_rows(fresh, table), check_dtype=False, rtol=1e-9)


ABANDON_MID_BUILD = """
import threading, time
from pathlib import Path
from batch_jobs.gold.loads import run_gold
from batch_jobs.gold.schedule import GOLD_THREAD
from gamestream.cli.stack import _abandon_gold_load
from gamestream.core.settings import Settings

settings = Settings(_env_file=None)
threading.Thread(target=run_gold, args=(settings,), name=GOLD_THREAD, daemon=True).start()
log = settings.data_dir / "dbt" / "duckdb" / "logs" / "dbt.log"
while not (log.is_file() and "OK created" in log.read_text()):  # a model built, others to come
    time.sleep(0.05)
_abandon_gold_load()
"""


def test_a_load_the_demo_abandons_mid_build_is_redone_by_the_next(upgraded_and_fresh, tmp_path):
    """`gst demo` ends a gold load still running at its stop with the process: the warehouse it leaves
    opens, and the next load builds what one load from scratch does."""
    _, fresh = upgraded_and_fresh
    abandoned = fresh.model_copy(
        update={"warehouse_url": f"duckdb:///{tmp_path / 'abandoned.duckdb'}", "data_dir": tmp_path}
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")} | abandoned.env()
    ended = subprocess.run(
        [sys.executable, "-c", ABANDON_MID_BUILD], env=env, capture_output=True, text=True, timeout=300
    )
    assert ended.returncode == 0, ended.stderr[-3000:]
    assert "the gold load in progress is left to the next start" in ended.stdout
    assert "ERROR" not in ended.stdout + ended.stderr and "Traceback" not in ended.stderr, ended.stderr[-3000:]
    state = Warehouse(abandoned.warehouse)
    recorded = state.execute("SELECT COUNT(*) FROM gold.load_state")[0][0] if state.columns("gold.load_state") else 0
    assert recorded == 0  # the load never finished
    state.close()

    run_gold(abandoned)
    marts = sorted(p.stem for p in (GoldProject.packaged().path / "models" / "marts").glob("*.sql"))
    for table in marts:
        ours, theirs = (gold_rows(s, table) for s in (abandoned, fresh))
        pd.testing.assert_frame_equal(ours, theirs, check_dtype=False, rtol=1e-9, obj=table)
