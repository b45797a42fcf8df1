"""Exactly-once appends with delta-spark: each append carries Delta's idempotent-write options
(`txnAppId`, `txnVersion`), and Delta skips an append whose version the table already recorded for
that app id. A micro-batch replayed after a crash therefore writes nothing twice, and a new
checkpoint (a new query id) starts its own sequence instead of being skipped."""

from __future__ import annotations

from collections.abc import Sequence

from pyspark.sql import DataFrame


def append_once(frame: DataFrame, path: str, app_id: str, version: int, partition_by: Sequence[str] = ()) -> None:
    writer = (
        frame.write.format("delta")
        .mode("append")
        .option("txnAppId", app_id)
        .option("txnVersion", str(version))
        .option("mergeSchema", "true")
    )
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(path)
