"""The local SparkSession runs real Delta Lake from the jars `make` fetched from Maven Central."""

from __future__ import annotations

from deltalake import DeltaTable


def test_spark_writes_and_reads_delta_that_delta_rs_reads_too(spark, tmp_path):
    path = str(tmp_path / "table")
    spark.range(5).selectExpr("id AS x", "'a' AS tag").write.format("delta").save(path)
    again = spark.range(5, 8).selectExpr("id AS x", "'b' AS tag")
    for _ in range(2):  # the second append is the same batch replayed: Delta's idempotent writes skip it
        again.write.format("delta").mode("append").option("txnAppId", "test-query").option("txnVersion", 1).save(path)
    assert sorted(r.x for r in spark.read.format("delta").load(path).collect()) == list(range(8))
    table = DeltaTable(path)
    assert table.version() == 1
    assert sorted(table.to_pyarrow_table().column("x").to_pylist()) == list(range(8))
