"""The stream both queries read, as a streaming DataFrame with the columns of
streaming_jobs.kinesis_source.SCHEMA (stream, shard_id, sequence_number, partition_key,
approximate_arrival_timestamp, data, millis_behind_latest)."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession

from gamestream.settings import Settings


def stream_records(
    spark: SparkSession, settings: Settings, max_records: int, start_after: dict[str, str] | None = None
) -> DataFrame:
    """Kinesis through the project's Python data source (streaming_jobs/kinesis_source.py);
    `start_after` (shard -> sequence number) is where a new checkpoint starts."""
    reader = (
        spark.readStream.format("kinesis")
        .option("streamName", settings.stream_name)
        .option("region", settings.aws_region)
        .option("startingPosition", settings.stream_starting_position)
        .option("startAfter", json.dumps(start_after or {}))
        .option("maxRecordsPerBatch", str(max_records))
    )
    if settings.aws_endpoint_url:
        reader = reader.option("endpointUrl", settings.aws_endpoint_url)
    return reader.load()
