"""The stream both queries read, as a streaming DataFrame with the columns of
streaming_jobs.kinesis_source.SCHEMA (stream, shard_id, sequence_number, partition_key,
approximate_arrival_timestamp, data, millis_behind_latest). `GST_SINK` chooses the transport the
producers write to, and so the one read here: Kinesis (the project's Python data source) or Kafka
(Spark's built-in Kafka source, `spark-sql-kafka-0-10`); nothing downstream differs.

A Kafka partition plays a shard's part and an offset a sequence number, so bronze, the dedup key
and "start after what the lake holds" work unchanged."""

from __future__ import annotations

import json

from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F

from gamestream.core.settings import Settings
from streaming_jobs.kinesis_source import KinesisDataSource


def stream_records(
    spark: SparkSession, settings: Settings, max_records: int, start_after: dict[str, str] | None = None
) -> DataFrame:
    """`start_after` (shard or partition -> sequence number or offset) is where a new checkpoint starts."""
    if settings.sink == "kafka":
        return kafka_records(spark, settings, max_records, start_after or {})
    # Every reader of one registration of a Python data source shares one Java map of environment
    # variables, and Spark adds to it while a query's source starts its Python runner
    # (PythonStreamingSourceRunner.init), on that query's thread, while the other query may be
    # serializing a task that holds the same map: the task then fails to deserialize
    # (java.io.OptionalDataException in HashMap.readObject; 2 of 4 kill -9 drill runs, at the restart
    # where both queries start at once). A registration per reader gives each a map of its own.
    spark.dataSource.register(KinesisDataSource)
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


def kafka_records(spark: SparkSession, settings: Settings, max_records: int, start_after: dict[str, str]) -> DataFrame:
    topic = settings.stream_name
    if start_after:  # partitions the lake has not seen start at their beginning (-2: earliest)
        starting = json.dumps({topic: {partition: int(offset) + 1 for partition, offset in start_after.items()}})
    else:
        starting = "latest" if settings.stream_starting_position == "LATEST" else "earliest"
    reader = (
        spark.readStream.format("kafka")
        .option("kafka.bootstrap.servers", settings.kafka_bootstrap_servers)
        .option("kafka.security.protocol", settings.kafka_security_protocol)
        .option("subscribe", topic)
        .option("startingOffsets", starting)
        .option("maxOffsetsPerTrigger", str(max_records))
        .option("failOnDataLoss", "true")
    )
    if settings.kafka_sasl_mechanism == "SCRAM-SHA-512":
        password = settings.secret("kafka_sasl_password")
        reader = reader.option("kafka.sasl.mechanism", "SCRAM-SHA-512").option(
            "kafka.sasl.jaas.config",  # Spark redacts this option in plans and logs
            "org.apache.kafka.common.security.scram.ScramLoginModule required "
            f'username="{settings.kafka_sasl_username}" password="{password}";',
        )
    elif settings.kafka_sasl_mechanism == "AWS_MSK_IAM":
        raise ValueError("reading Amazon MSK with IAM auth needs the aws-msk-iam-auth jar: use SCRAM-SHA-512 here")
    return reader.load().select(
        F.col("topic").alias("stream"),
        F.col("partition").cast("string").alias("shard_id"),
        F.col("offset").cast("string").alias("sequence_number"),
        F.col("key").cast("string").alias("partition_key"),
        F.col("timestamp").alias("approximate_arrival_timestamp"),
        F.col("value").alias("data"),
        F.lit(None).cast("long").alias("millis_behind_latest"),
    )
