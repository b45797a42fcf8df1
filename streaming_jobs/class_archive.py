"""A class-data archive for the local Spark JVM (the JDK's AppCDS): the classes a Spark job with Delta
loads, parsed and verified once when `make` builds it, mapped by every later JVM instead of loaded
from the jars again. A session with it started in 4.5 s instead of 6.6-7.9 s, and its first Delta
write and read took 4.8 s instead of 7 s; the archive's pages are shared by every Spark JVM on the
machine. `local_spark` uses it when it is there (`spark_jars_dir`/spark-classes.jsa).

The archive fits one JDK and one class path: it is built by a short run of the local session that
touches what the streaming job, backfill and gold staging use (Delta writes, a merge, a streaming
query with RocksDB state, Arrow and pandas in Python workers) and records the classes at its exit.
A JVM that finds it does not fit (another JDK, other jars) loads its classes from the jars as
before, silently; `make` builds it again whenever the jars change.

    python -m streaming_jobs.class_archive .jars/spark
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from pyspark.sql import DataFrame
from pyspark.sql import functions as F
from pyspark.sql.datasource import DataSource, SimpleDataSourceStreamReader
from pyspark.sql.streaming.state import GroupState, GroupStateTimeout

ARCHIVE_NAME = "spark-classes.jsa"


def archive_path(jars_dir: Path) -> Path:
    return jars_dir / ARCHIVE_NAME


def java_options(jars_dir: Path) -> list[str]:
    """The JVM options that map the archive, when it is there (none otherwise)."""
    archive = archive_path(jars_dir)
    return [f"-XX:SharedArchiveFile={archive}", "-Xlog:cds*=off"] if archive.is_file() else []


class Numbers(DataSource):
    """A Python streaming source of 300 numbers, read as the Kinesis reader is (a simple reader whose
    offsets and rows the driver's source runner handles)."""

    @classmethod
    def name(cls) -> str:
        return "gst_class_archive_numbers"

    def schema(self) -> str:
        return "value long, key string"

    def simpleStreamReader(self, schema: Any) -> SimpleDataSourceStreamReader:
        return NumbersReader()


class NumbersReader(SimpleDataSourceStreamReader):
    def initialOffset(self) -> dict:
        return {"at": 0}

    def read(self, start: dict) -> tuple[Iterator[tuple], dict]:
        end = min(start["at"] + 100, 300)
        return self.readBetweenOffsets(start, {"at": end}), {"at": end}

    def readBetweenOffsets(self, start: dict, end: dict) -> Iterator[tuple]:
        return iter([(i, str(i % 5)) for i in range(start["at"], end["at"])])


def _count(key: tuple, frames: Iterator[pd.DataFrame], state: GroupState) -> Iterator[pd.DataFrame]:
    """A running count per key, kept in state as the poll query keeps its open polls."""
    seen = (state.get[0] if state.exists else 0) + sum(len(frame) for frame in frames)
    state.update((seen,))
    yield pd.DataFrame({"key": [key[0]], "seen": [seen]})


def _exercise(jars_dir: Path, work: Path) -> None:
    """What the project's Spark jobs do, in small: the classes it loads go into the archive."""
    from streaming_jobs.spark import local_spark  # here: that module maps the archive through this one

    spark = local_spark("gst-class-archive", jars_dir=jars_dir)
    table = str(work / "table")
    rows = spark.range(1000).select(F.col("id"), (F.col("id") % 7).alias("k"), F.current_timestamp().alias("at"))
    rows.write.format("delta").partitionBy("k").save(table)
    spark.sql(
        f"MERGE INTO delta.`{table}` t USING (SELECT id, k, at FROM delta.`{table}` WHERE k = 1) s "
        "ON t.id = s.id WHEN MATCHED THEN UPDATE SET at = s.at"
    )
    spark.read.format("delta").load(table).groupBy("k").count().collect()
    spark.read.format("delta").load(table).groupBy("k").applyInPandas(
        lambda f: f.head(1), "id long, k long, at timestamp"
    ).collect()

    def appender(table: str) -> Callable[[DataFrame, int], None]:
        return lambda batch, _: batch.write.format("delta").mode("append").save(str(work / table))

    query = (
        spark.readStream.format("rate")
        .option("rowsPerSecond", 100)
        .load()
        .withWatermark("timestamp", "1 minute")
        .dropDuplicates(["value"])
        .writeStream.foreachBatch(appender("unique"))
        .option("checkpointLocation", str(work / "checkpoint"))
        .trigger(processingTime="1 second")
        .start()
    )
    query.awaitTermination(8)
    query.stop()
    spark.dataSource.register(Numbers)
    counts = (
        spark.readStream.format(Numbers.name())
        .load()
        .groupBy("key")
        .applyInPandasWithState(_count, "key string, seen long", "seen long", "update", GroupStateTimeout.NoTimeout)
        .writeStream.outputMode("update")
        .foreachBatch(appender("counts"))
        .option("checkpointLocation", str(work / "checkpoint-counts"))
        .trigger(availableNow=True)
        .start()
    )
    counts.awaitTermination(120)
    # the JVM writes the archive as it exits, which it does when its Python side closes its stdin
    gateway: Any = spark.sparkContext._gateway
    jvm = gateway.proc
    spark.stop()
    jvm.stdin.close()
    jvm.wait(120)


def build(jars_dir: Path) -> Path:
    """Run the exercise in a JVM that writes the archive at its exit (to a temporary name first: an
    interrupted build leaves no half archive behind). The JDK's notes about classes it cannot archive
    (generated, or from signed jars) are not shown: those load from the jars as before."""
    archive = archive_path(jars_dir)
    archive.unlink(missing_ok=True)  # the run below must not map the archive it replaces
    partial = archive.with_suffix(".partial")
    partial.unlink(missing_ok=True)
    os.environ["SPARK_SUBMIT_OPTS"] = " ".join(
        filter(None, [os.environ.get("SPARK_SUBMIT_OPTS"), f"-XX:ArchiveClassesAtExit={partial}", "-Xlog:cds*=off"])
    )
    with tempfile.TemporaryDirectory(prefix="gst-class-archive-") as work:
        _exercise(jars_dir, Path(work))
    if not partial.is_file():
        sys.exit(f"the JVM wrote no class archive at {partial}")
    partial.replace(archive)
    return archive


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m streaming_jobs.class_archive JARS_DIR")
    built = build(Path(sys.argv[1]))
    print(f"class archive: {built} ({built.stat().st_size / 1e6:.0f} MB)")
