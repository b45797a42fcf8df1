"""Runs the streaming job's shared parts on the given payloads under whatever PySpark the interpreter
has and prints the results as JSON (the test runs it as a script under PySpark 3.5, as AWS Glue 5.0
has, and calls `probe` in its own PySpark 4 session): the lake transforms, the poll state function in a real streaming query (a file
source, Trigger.Once), and Delta's idempotent appends with the Delta jars in GST_PROBE_DELTA_JARS.
Uses no Spark-4-only API itself: rows go in as tuples, come out through collect()."""

import json
import os
import sys
import tempfile
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from pyspark.sql import SparkSession
from pyspark.sql.streaming.state import GroupStateTimeout

from streaming_jobs.delta_append import append_once
from streaming_jobs.kept_rows import kept_rows, release
from streaming_jobs.poll_state import OUTPUT_SCHEMA, STATE_SCHEMA, advance_poll
from streaming_jobs.transforms.bronze import bronze_frame, stamp
from streaming_jobs.transforms.parse import mark_late, parse_records, quarantine_frame
from streaming_jobs.transforms.polls import poll_inputs
from streaming_jobs.transforms.silver import game_names, repeated_event_ids, silver_frames

ARRIVED = datetime(2026, 11, 26, 3, 0, 30, tzinfo=UTC)  # 30 s after the probe's polls: timely
RAW = (
    "stream string, shard_id string, sequence_number string, partition_key string, "
    "approximate_arrival_timestamp timestamp, data binary, millis_behind_latest long"
)


def rows(frame, columns):
    out = [[None if v is None else str(v) for v in row] for row in frame.select(*columns).collect()]
    return sorted(out, key=lambda r: [x or "" for x in r])


def probe(spark: SparkSession, payloads: list[str]) -> dict:
    """The shared parts' results on `payloads`, in any SparkSession with the Delta extension."""
    raw = spark.createDataFrame(
        [
            ("s", "shard-0", str(i), "k", ARRIVED, bytearray(p.encode() if isinstance(p, str) else bytes(p)), 0)
            for i, p in enumerate(payloads)
        ],
        RAW,
    )
    # as the lake query runs a batch: parsed with stand-ins, kept, stamped per write, released
    parsed = kept_rows(mark_late(parse_records(bronze_frame(raw, -1, datetime(1970, 1, 1, tzinfo=UTC), "")), 900))
    names = [r["name"] for r in game_names(parsed).collect()]
    keys = spark.createDataFrame([(n, n.lower()) for n in names] or [("x", "x")], "name string, game_key string")
    repeated = [r["event_id"] for r in repeated_event_ids(parsed).collect()]
    frames = {**silver_frames(parsed, keys, repeated), "quarantine": quarantine_frame(parsed)}
    result = {name: rows(stamp(frame, 7, ARRIVED, "probe-run"), frame.columns) for name, frame in frames.items()}
    result["repeated"] = repeated
    release(parsed)

    with tempfile.TemporaryDirectory() as scratch:
        raw.write.parquet(f"{scratch}/raw")
        stream = spark.readStream.schema(RAW).parquet(f"{scratch}/raw")
        emitted = (
            poll_inputs(mark_late(parse_records(bronze_frame(stream, 0, ARRIVED, "probe")), 900))
            .groupBy("poll_id")
            .applyInPandasWithState(
                partial(advance_poll, grace_ms=60_000, tombstone_ms=900_000),
                OUTPUT_SCHEMA,
                STATE_SCHEMA,
                "update",
                GroupStateTimeout.ProcessingTimeTimeout,
            )
        )
        out = []
        query = (
            emitted.writeStream.outputMode("update")
            .foreachBatch(lambda frame, _: out.extend(r.asDict() for r in frame.collect()))
            .option("checkpointLocation", f"{scratch}/checkpoint")
            .trigger(once=True)
            .start()
        )
        query.awaitTermination()
        kept = ("row_kind", "poll_id", "platform", "game_key", "viewers", "channels", "records", "status", "coverage")
        result["emitted"] = sorted(json.dumps({k: r[k] for k in kept}, sort_keys=True) for r in out)

        table = f"{scratch}/delta"
        for version in (0, 0, 1):  # the replayed version 0 is skipped by Delta itself
            append_once(spark.createDataFrame([(version,)], "v long"), table, "probe-app", version)
        result["delta_rows"] = sorted(r["v"] for r in spark.read.format("delta").load(table).collect())

    result["spark_version"] = spark.version
    return result


def main() -> None:
    payloads = json.load(sys.stdin)
    jars = sorted(str(p) for p in Path(os.environ["GST_PROBE_DELTA_JARS"]).glob("*.jar"))
    spark = (
        SparkSession.builder.master("local[2]")
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    print(json.dumps(probe(spark, payloads)))
    spark.stop()


if __name__ == "__main__":
    main()
