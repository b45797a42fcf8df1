"""Redshift cannot be reached from here. Its SQL is checked by compiling the dbt project with
Redshift's spelling (var sql_dialect) through the PostgreSQL target, first build and incremental,
and parsing every compiled model in sqlglot's Redshift dialect; the Redshift-only configuration
(dist and sort keys) is checked in the parsed project. The COPY manifest must list exactly the files
the Delta log holds as active (copying the table's prefix would also count files that merges and
compaction removed)."""

import json
from pathlib import Path

import pyarrow as pa
import sqlglot
from sqlglot import exp

from batch_jobs.dbt import invoke, work_dir
from batch_jobs.gold.loads import run_gold
from batch_jobs.gold.redshift_copy import copy_manifest, redshift_copy
from batch_jobs.gold.silver_changes import changed_files
from batch_jobs.gold.sources import STREAMS_SOURCE, TOTALS_SOURCE
from gamestream.core.lake import TOTALS_SCHEMA, Lake
from gamestream.core.settings import Settings
from tests.support.postgres import fresh_database
from tests.support.silver import totals


def compiled_as_redshift(settings: Settings) -> dict[str, str]:
    invoke(settings, ["compile", "--vars", "{sql_dialect: redshift}"])
    folder = work_dir(settings) / "target" / "compiled" / "gamestream" / "models"
    # the models, not the generic tests compiled from their YAML (folders named after the YAML file)
    return {p.stem: p.read_text() for p in folder.rglob("*.sql") if not any(d.endswith(".yml") for d in p.parts)}


def assert_redshift(models: dict[str, str]) -> None:
    assert {"game_buckets", "platform_buckets", "poll_totals", "polls", "games", "game_reviews"} <= set(models)
    for name, sql in models.items():
        assert "generate_series" not in sql.lower(), name  # Redshift runs it on the leader node only
        assert "to_timestamp(" not in sql.lower(), name  # Redshift's to_timestamp parses text
        tree = sqlglot.parse_one(sql, read="redshift")
        assert tree is not None and not isinstance(tree, exp.Command), f"{name}: not understood as Redshift SQL"


def test_gold_models_compile_to_redshift_sql_first_and_incrementally(tmp_path, postgres_url):
    settings = Settings(
        _env_file=None,
        lake_root=str(tmp_path / "lake"),
        data_dir=tmp_path / "data",
        warehouse_url=fresh_database(postgres_url, "gst_gold_redshift"),
    )
    Lake(settings.lake_path).append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
    first = compiled_as_redshift(settings)
    assert_redshift(first)
    assert "cast(timestamp 'epoch'" in first["game_buckets"]
    run_gold(settings)
    Lake(settings.lake_path).append("silver/game_poll_totals", totals(range(10, 20)), 1, ["poll_date"])
    incremental = compiled_as_redshift(settings)
    assert_redshift(incremental)
    assert "exists (select 1 from affected" in incremental["game_buckets"]
    assert "exists (select 1 from affected" not in first["game_buckets"]


def test_redshift_tables_are_distributed_and_sorted(tmp_path):
    settings = Settings(_env_file=None, data_dir=tmp_path / "data", warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}")
    invoke(settings, ["parse"])
    manifest = json.loads((work_dir(settings) / "target" / "manifest.json").read_text())
    config = {n["name"]: n["config"] for n in manifest["nodes"].values() if n["resource_type"] == "model"}
    assert config["game_buckets"]["dist"] == "game_key" and config["game_buckets"]["sort"][0] == "bucket"
    assert config["poll_totals"]["sort"] == ["platform", "scheduled_at"]
    assert config["platform_buckets"]["dist"] == "all" and config["games"]["dist"] == "all"


def test_copy_manifest_lists_exactly_the_active_files(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    for batch, minutes in enumerate((range(0, 20), range(20, 30), range(30, 40))):
        lake.append("silver/game_poll_totals", totals(minutes), batch, ["poll_date"])
    lake.table("silver/game_poll_totals").optimize.compact()  # the compacted files stay on disk until vacuum
    on_disk = {str(p) for p in (tmp_path / "lake" / "silver" / "game_poll_totals").rglob("*.parquet")}
    active = set(lake.table("silver/game_poll_totals").file_uris())

    changes = changed_files(lake, "silver/game_poll_totals", None)
    manifest = copy_manifest(changes.files)
    listed = {entry["url"] for entry in manifest["entries"]}
    assert listed == active and len(listed) < len(on_disk)  # removed files are still on disk, never listed
    for entry in manifest["entries"]:
        assert entry["mandatory"] is True
        assert entry["meta"]["content_length"] == Path(entry["url"].removeprefix("file://")).stat().st_size
    assert (
        sum(pa.parquet.read_metadata(u.removeprefix("file://")).num_rows for u in listed)
        == totals(range(0, 40)).num_rows
    )

    version = changes.version
    lake.append("silver/game_poll_totals", totals(range(40, 45)), 3, ["poll_date"])
    later = changed_files(lake, "silver/game_poll_totals", version)
    assert {f.uri for f in later.files} == set(lake.table("silver/game_poll_totals").file_uris()) - active


def test_redshift_copy_statements_stage_every_file_column_then_keep_gold_columns():
    schema = pa.schema([f for f in TOTALS_SCHEMA if f.name != "poll_date"])  # partition columns are not in files
    sql = redshift_copy(
        "gold_staging.game_poll_totals",
        TOTALS_SOURCE,
        schema,
        "s3://lake/_gold_manifests/m.json",
        "arn:aws:iam::1:role/copy",
    )
    trees = [sqlglot.parse_one(s, read="redshift") for s in sql]
    copy = next(t for t in trees if isinstance(t, exp.Copy))
    assert "MANIFEST" in copy.sql("redshift") and "PARQUET" in copy.sql("redshift")
    created = {t.find(exp.Table).sql("redshift"): t for t in trees if isinstance(t, exp.Create)}
    staged = next(t for name, t in created.items() if name.endswith("game_poll_totals_files"))
    assert [c.name for c in staged.find_all(exp.ColumnDef)] == schema.names
    kept = next(t for name, t in created.items() if name.endswith(".game_poll_totals"))
    assert [c.alias_or_name for c in kept.expression.selects] == list(TOTALS_SOURCE.columns)


def test_files_written_before_a_column_was_added_are_copied_apart_and_staged_with_it_null():
    older = pa.schema(
        [(n, t) for n, t in zip(STREAMS_SOURCE.schema.names, STREAMS_SOURCE.schema.types) if n != "user_login"]
    )
    sql = redshift_copy(
        "gold_staging.stream_snapshots", STREAMS_SOURCE, older, "s3://lake/m.json", "arn:aws:iam::1:role/copy", True
    )
    trees = [sqlglot.parse_one(s, read="redshift") for s in sql]
    assert not any(isinstance(t, exp.Drop) and t.find(exp.Table).name == "stream_snapshots" for t in trees)
    insert = next(t for t in trees if isinstance(t, exp.Insert))
    selected = {s.alias_or_name: s for s in insert.expression.selects}
    assert list(selected) == list(STREAMS_SOURCE.columns)  # the staging table's columns, in its order
    assert isinstance(selected["user_login"].this.this, exp.Null)  # CAST(NULL AS ...) AS user_login
    assert not isinstance(selected["channel_name"].this.this, exp.Null)
