"""Redshift cannot be reached from here: its SQL must parse in sqlglot's Redshift dialect, and the
COPY manifest must list exactly the files the Delta log holds as active (copying the table's prefix
would also count files that merges and compaction removed)."""

from pathlib import Path

import pyarrow as pa
import pytest
import sqlglot
from sqlglot import exp

from batch_jobs.gold import SQL, TOTALS_SOURCE, changed_files, copy_manifest, redshift_copy, statements
from streaming_jobs.job import TOTALS_KEY, TOTALS_SCHEMA
from streaming_jobs.lake import Lake
from tests.support.silver import totals

REDSHIFT_FILES = [SQL / "ddl" / "redshift.sql", *sorted((SQL / "models").glob("*.sql"))]


@pytest.mark.parametrize("path", REDSHIFT_FILES, ids=lambda p: p.name)
def test_redshift_sql_parses_in_the_redshift_dialect(path: Path):
    text = path.read_text()
    assert "generate_series" not in text.lower()  # Redshift runs it on the leader node only
    for statement in statements(text):
        tree = sqlglot.parse_one(statement, read="redshift")
        assert tree is not None and not isinstance(tree, exp.Command), (
            f"not understood as Redshift SQL: {statement[:80]}"
        )


def test_redshift_ddl_distributes_and_sorts_and_has_no_indexes():
    trees = [sqlglot.parse_one(s, read="redshift") for s in statements((SQL / "ddl" / "redshift.sql").read_text())]
    tables = {t.this.this.name: t.sql("redshift") for t in trees if isinstance(t, exp.Create) and t.kind == "TABLE"}
    assert set(tables) == {"poll_totals", "game_buckets", "platform_buckets", "games", "game_reviews", "load_state"}
    assert "DISTKEY(game_key)" in tables["game_buckets"].replace(" ", "") and "SORTKEY" in tables["game_buckets"]
    assert not any(isinstance(t, exp.Create) and t.kind == "INDEX" for t in trees)


def test_copy_manifest_lists_exactly_the_active_files(tmp_path):
    lake = Lake(str(tmp_path / "lake"))
    add = {c: f"s.{c}" for c in TOTALS_SCHEMA.names if c not in ("poll_date", "poll_id", "platform", "game_key")}
    for batch, minutes in enumerate((range(0, 20), range(10, 30), range(25, 40))):  # overlapping: rows rewritten
        lake.upsert("silver/game_poll_totals", totals(minutes), batch, TOTALS_KEY, add, ["poll_date"])
    lake.table("silver/game_poll_totals").optimize.compact()
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
    lake.upsert("silver/game_poll_totals", totals(range(40, 45)), 3, TOTALS_KEY, add, ["poll_date"])
    later = changed_files(lake, "silver/game_poll_totals", version)
    assert {f.uri for f in later.files} == set(lake.table("silver/game_poll_totals").file_uris()) - active


def test_redshift_copy_statements_stage_every_file_column_then_keep_gold_columns():
    schema = pa.schema([f for f in TOTALS_SCHEMA if f.name != "poll_date"])  # partition columns are not in files
    sql = redshift_copy(
        "incoming", TOTALS_SOURCE, schema, "s3://lake/_gold_manifests/m.json", "arn:aws:iam::1:role/copy"
    )
    trees = [sqlglot.parse_one(s, read="redshift") for s in sql]
    copy = next(t for t in trees if isinstance(t, exp.Copy))
    assert "MANIFEST" in copy.sql("redshift") and "PARQUET" in copy.sql("redshift")
    staged = next(t for t in trees if isinstance(t, exp.Create) and t.this.this.name == "incoming_files")
    assert [c.name for c in staged.find_all(exp.ColumnDef)] == schema.names
    kept = next(t for t in trees if isinstance(t, exp.Create) and t.this.name == "incoming")
    assert [c.name for c in kept.expression.selects] == list(TOTALS_SOURCE.columns)
