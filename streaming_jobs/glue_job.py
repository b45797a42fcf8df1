"""AWS Glue 5.0 streaming job (Spark 3.5.4, Scala 2.12, Delta 3.3.0): the same two queries as the
local job (streaming_jobs/run.py: the lake query and the poll query, with the same writers, Delta
idempotent writes and Redis live state), reading Glue's own Kinesis source through a small adapter
that maps its columns onto the shared stream schema.

Deploy with (the project's infra/ does this for you):

    --datalake-formats delta
    --additional-python-modules pydantic~=2.13,pydantic-settings~=2.14,deltalake,redis,structlog,prometheus-client
    --extra-py-files s3://.../game_stream_trends.zip  (gamestream/ and streaming_jobs/)
    --JOB_NAME gst-stream --STREAM_ARN arn:aws:kinesis:...  (Kinesis only)
    plus the project's GST_* settings as job arguments (--GST_LAKE_ROOT s3://bucket/lake,
    --GST_CHECKPOINT_ROOT s3://bucket/checkpoints, --GST_REDIS_URL rediss://..., ...): Glue has no
    environment variables of its own, so the entry point copies them into the environment.

With GST_SINK=kafka (Amazon MSK) the job reads the topic with Spark's Kafka source, as the local job
does (streaming_jobs/sources.py), and needs no STREAM_ARN.
"""

from __future__ import annotations

import os
import sys
from collections.abc import MutableMapping, Sequence
from typing import Any

from pyspark.sql import DataFrame
from pyspark.sql import functions as F

from gamestream.core.settings import Settings
from streaming_jobs.run import StreamingJob


def from_glue_kinesis(source: DataFrame) -> DataFrame:
    """Glue's Kinesis columns as the shared stream schema (streaming_jobs.kinesis_source.SCHEMA):
    arrival time from `__src_timestamp` when Glue adds it, else `approximateArrivalTimestamp`."""
    arrival = (
        F.col("__src_timestamp").cast("timestamp")
        if "__src_timestamp" in source.columns
        else F.col("approximateArrivalTimestamp").cast("timestamp")
    )
    return source.select(
        F.col("streamName").alias("stream"),
        (F.col("shardId") if "shardId" in source.columns else F.lit("")).alias("shard_id"),
        F.col("sequenceNumber").alias("sequence_number"),
        F.col("partitionKey").alias("partition_key"),
        arrival.alias("approximate_arrival_timestamp"),
        F.col("data").cast("binary").alias("data"),
        F.lit(None).cast("long").alias("millis_behind_latest"),
    )


def export_settings_arguments(argv: Sequence[str], environ: MutableMapping[str, str] = os.environ) -> list[str]:
    """Copy every `--GST_NAME value` job argument into `environ`, where Settings reads it; return
    the names copied. Glue passes a job's arguments as `--name value` pairs."""
    copied = []
    for flag, value in zip(argv, argv[1:]):
        if flag.startswith("--GST_"):
            environ[flag[2:]] = value
            copied.append(flag[2:])
    return copied


def main() -> None:  # pragma: no cover - runs on AWS Glue only
    # lazy: awsglue exists only on AWS Glue; the module's helpers are imported and tested locally
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    export_settings_arguments(sys.argv)
    settings = Settings()
    kinesis = settings.sink == "kinesis"
    args = getResolvedOptions(sys.argv, ["JOB_NAME", "STREAM_ARN"] if kinesis else ["JOB_NAME"])
    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)

    def source(max_records: int, start_after: dict[str, str]) -> DataFrame:  # Glue keeps its own positions
        options: dict[str, Any] = {
            "streamARN": args["STREAM_ARN"],
            "startingPosition": settings.stream_starting_position,
            "inferSchema": "false",
            "classification": "binary",
            "maxFetchRecordsPerShard": str(max_records),
        }
        return from_glue_kinesis(
            glue.create_data_frame.from_options(connection_type="kinesis", connection_options=options)
        )

    # Kafka: the shared reader (Spark's Kafka source), as the local job uses
    StreamingJob(settings, glue.spark_session, source=source if kinesis else None).start().await_termination()
    job.commit()


if __name__ == "__main__":
    main()
