"""Exactly-once appends with delta-spark: each append carries Delta's idempotent-write options
(`txnAppId`, `txnVersion`), and Delta skips an append whose version the table already recorded for
that app id. A micro-batch replayed after a crash therefore writes nothing twice, and a new
checkpoint (a new query id) starts its own sequence instead of being skipped."""

from __future__ import annotations

from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

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


APPENDS_AT_ONCE = 2


@dataclass
class Append:
    frame: DataFrame
    path: str
    partition_by: Sequence[str] = field(default_factory=tuple)


def append_all_once(appends: list[Append], app_id: str, version: int, pool: str) -> None:
    """Appends to several tables at once (one Spark job each, on threads in the scheduler `pool`):
    an idempotent append spends most of its time in small jobs and the commit, which overlap well.
    Two at a time: on two cores, four left the poll query's batches a third of the CPU while they ran,
    and the lake batch was no faster for it."""
    if not appends:
        return

    def run(append: Append) -> None:
        append.frame.sparkSession.sparkContext.setLocalProperty("spark.scheduler.pool", pool)
        append_once(append.frame, append.path, app_id, version, append.partition_by)

    with ThreadPoolExecutor(
        max_workers=min(APPENDS_AT_ONCE, len(appends)), thread_name_prefix=f"delta-{pool}"
    ) as threads:
        for done in [threads.submit(run, a) for a in appends]:
            done.result()  # the first failure fails the batch; Spark replays it, appends already made are skipped
