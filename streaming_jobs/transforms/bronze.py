"""Bronze rows: every record as received with its stream metadata, and a batch's own ingest values
stamped on each write without changing the generated code."""

from __future__ import annotations

from datetime import UTC, datetime

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F

from streaming_jobs.transforms.record_fields import known_source


def bronze_frame(raw: DataFrame, batch_id: int, ingested_at: datetime, run_id: str) -> DataFrame:
    """Every record as received (raw bytes, and as text when it is UTF-8), with stream metadata;
    partitioned by source and ingest date."""
    text = F.col("data").cast("string")
    payload = F.when(F.encode(text, "UTF-8") == F.col("data"), text)  # invalid UTF-8 would not round-trip
    source = F.get_json_object(payload, "$.source")  # parse_records reads it in its own pass instead
    return raw.select(
        F.col("stream"),
        F.col("shard_id"),
        F.col("sequence_number"),
        F.col("partition_key"),
        F.col("approximate_arrival_timestamp").alias("arrival_time"),
        F.lit(ingested_at).cast("timestamp").alias("ingested_at"),
        F.lit(batch_id).cast("long").alias("ingest_batch_id"),
        F.lit(run_id).alias("ingest_run"),  # batch ids restart with a new checkpoint; (run, batch) does not
        F.col("data"),
        payload.alias("payload"),
        known_source(source).alias("source"),
        F.to_date(F.lit(ingested_at).cast("timestamp")).alias("ingest_date"),
    )


def _unfolded(value: str) -> Column:
    """`value` as a string Spark cannot fold into a constant: joined to an empty string it only
    knows per row. Folded, a number or time would be compiled into the generated code as a literal;
    a string reaches the code by reference, so the code stays the same whatever the value."""
    return F.concat(F.lit(value), F.spark_partition_id().cast("string").substr(1, 0))


def stamp(frame: DataFrame, batch_id: int, ingested_at: datetime, run_id: str) -> DataFrame:
    """`frame` with this batch's ingest columns (those of them it has) set to the batch's values.
    As number or time literals they would make the code of each write differ from batch to batch:
    Spark would generate and compile it anew, and the JVM JIT-compile it again, every batch."""
    at = _unfolded(ingested_at.astimezone(UTC).isoformat()).cast("timestamp")
    values = {
        "ingested_at": at,
        "ingest_batch_id": _unfolded(str(batch_id)).cast("long"),
        "ingest_run": F.lit(run_id),
        "ingest_date": F.to_date(at),
    }
    return frame.withColumns({name: value for name, value in values.items() if name in frame.columns})


BRONZE_COLUMNS = [
    "stream",
    "shard_id",
    "sequence_number",
    "partition_key",
    "arrival_time",
    "ingested_at",
    "ingest_batch_id",
    "ingest_run",
    "data",
    "payload",
    "source",
    "ingest_date",
]


def bronze_of(parsed: DataFrame) -> DataFrame:
    """The bronze columns of parsed rows (so one cached parse serves bronze and silver)."""
    return parsed.select(
        *[F.col("bronze_source").alias("source") if c == "source" else F.col(c) for c in BRONZE_COLUMNS]
    )
