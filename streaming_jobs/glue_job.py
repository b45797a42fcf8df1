"""AWS Glue 5.0 streaming job (Spark 3.5): Glue's own Kinesis source, native Delta, and the same
bronze/silver transformations as the local job (streaming_jobs/transforms.py).

It cannot run where this project is developed (no Glue runtime, no Delta jars): tests only check
that it compiles and uses the shared transformations. Deploy with:

    --datalake-formats delta
    --additional-python-modules pydantic~=2.13,pydantic-settings~=2.14
    --extra-py-files s3://.../game_stream_trends.zip  (gamestream/ and streaming_jobs/)
    --JOB_NAME gst-stream --STREAM_ARN arn:aws:kinesis:... --LAKE_ROOT s3://bucket/lake
    --CHECKPOINT s3://bucket/checkpoints/stream

Each Delta write carries txnAppId/txnVersion (= the batch id), so Delta itself skips a batch
replayed after a failure. silver.polls, silver.game_poll_totals and the Redis live state are
derived by the local job's later steps (streaming_jobs/job.py); on Glue they are not wired yet.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from streaming_jobs.transforms import (
    bronze_frame,
    bronze_of,
    game_names,
    parse_records,
    quarantine_frame,
    silver_frames,
)


def main() -> None:  # pragma: no cover - runs on AWS Glue only
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from delta.tables import DeltaTable
    from pyspark.context import SparkContext
    from pyspark.sql import functions as F

    from streaming_jobs.games import identify

    args = getResolvedOptions(sys.argv, ["JOB_NAME", "STREAM_ARN", "LAKE_ROOT", "CHECKPOINT"])
    glue = GlueContext(SparkContext.getOrCreate())
    spark = glue.spark_session
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    lake = args["LAKE_ROOT"].rstrip("/")

    source = glue.create_data_frame.from_options(
        connection_type="kinesis",
        connection_options={
            "streamARN": args["STREAM_ARN"],
            "startingPosition": "TRIM_HORIZON",
            "inferSchema": "false",
            "classification": "binary",
        },
    )
    raw = source.select(
        F.col("streamName").alias("stream"),
        F.lit("").alias("shard_id"),
        F.col("sequenceNumber").alias("sequence_number"),
        F.col("partitionKey").alias("partition_key"),
        F.col("approximateArrivalTimestamp").alias("approximate_arrival_timestamp"),
        F.col("data"),
        F.lit(None).cast("long").alias("millis_behind_latest"),
    )

    def idempotent(batch_id: int) -> None:
        spark.conf.set("spark.databricks.delta.write.txnAppId", args["JOB_NAME"])
        spark.conf.set("spark.databricks.delta.write.txnVersion", str(batch_id))

    def process(frame, batch_id: int) -> None:
        parsed = parse_records(bronze_frame(frame, batch_id, datetime.now(UTC), args["JOB_NAME"])).cache()
        idempotent(batch_id)
        bronze_of(parsed).write.format("delta").mode("append").partitionBy("source", "ingest_date").save(
            f"{lake}/bronze/records"
        )
        names = [r["name"] for r in game_names(parsed).collect()]
        keys = spark.createDataFrame(
            [(n, identify(n).key) for n in names] or [("", "")], "name string, game_key string"
        )
        idempotent(batch_id)
        quarantine_frame(parsed).write.format("delta").mode("append").partitionBy("ingest_date").save(
            f"{lake}/quarantine/records"
        )
        for table, rows in silver_frames(parsed, keys).items():
            path = f"{lake}/silver/{table}"
            rows = rows.withColumn(
                "poll_date",
                F.coalesce(
                    F.to_date(F.from_unixtime(F.element_at(F.split("poll_id", ":"), -1).cast("long"))),
                    F.col("observed_date"),
                ),
            )
            idempotent(batch_id)
            if DeltaTable.isDeltaTable(spark, path):
                (
                    DeltaTable.forPath(spark, path)
                    .alias("t")
                    .merge(rows.alias("s"), "t.poll_date = s.poll_date AND t.event_id = s.event_id")
                    .whenNotMatchedInsertAll()
                    .execute()
                )
            else:
                rows.write.format("delta").partitionBy("poll_date").save(path)
        parsed.unpersist()

    glue.forEachBatch(
        frame=raw,
        batch_function=process,
        options={"windowSize": "10 seconds", "checkpointLocation": args["CHECKPOINT"]},
    )
    job.commit()


if __name__ == "__main__":
    main()
