"""Entry points of the local streaming job: `gst stream` and the stage `gst demo` runs."""

from __future__ import annotations

import json
import os
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog
from pyspark.sql import SparkSession
from pyspark.sql.streaming import StreamingQuery

from gamestream.settings import Settings
from streaming_jobs.job import StreamJob

log = structlog.get_logger(__name__)


def export_aws_environment(settings: Settings) -> None:
    """The source's reader runs in a Python worker started by the JVM: it sees only environment."""
    for key, value in settings.env().items():
        if key.startswith("GST_AWS_"):
            os.environ[key] = value


def checkpoint_run_id(checkpoint: str) -> str:
    """The query id Spark keeps in the checkpoint (written first, so the job knows it before batch 0)."""
    metadata = Path(checkpoint) / "metadata"
    if not metadata.exists():
        metadata.parent.mkdir(parents=True, exist_ok=True)
        metadata.write_text(json.dumps({"id": str(uuid.uuid4())}))
    return json.loads(metadata.read_text().splitlines()[0])["id"]


def start_query(
    settings: Settings,
    spark: SparkSession,
    job: StreamJob,
    available_now: bool = False,
    trigger_seconds: float | None = None,
    checkpoint: str | None = None,
) -> StreamingQuery:
    reader = (
        spark.readStream.format("kinesis")
        .option("streamName", settings.stream_name)
        .option("region", settings.aws_region)
        .option("startingPosition", settings.stream_starting_position)
        .option("maxRecordsPerBatch", str(settings.stream_max_records_per_batch))
    )
    if settings.aws_endpoint_url:
        reader = reader.option("endpointUrl", settings.aws_endpoint_url)
    checkpoint = checkpoint or f"{settings.checkpoint_path}/stream"
    job.attach(checkpoint_run_id(checkpoint))
    writer = (
        reader.load()
        .writeStream.queryName("gst_stream")
        .foreachBatch(lambda frame, batch_id: job.process(frame, batch_id) and None)
        .option("checkpointLocation", checkpoint)
    )
    if available_now:
        writer = writer.trigger(availableNow=True)
    else:
        writer = writer.trigger(processingTime=f"{trigger_seconds or settings.stream_trigger_seconds} seconds")
    query = writer.start()
    log.info("stream_started", stream=settings.stream_name, lake=settings.lake_path, available_now=available_now)
    return query


@contextmanager
def background_stream(settings: Settings) -> Iterator[StreamingQuery]:
    """The streaming job inside the current process (for `gst demo`); stopped on exit."""
    from streaming_jobs.spark import local_spark

    export_aws_environment(settings)
    spark = local_spark()
    job = StreamJob(settings, spark)
    query = start_query(settings, spark, job)
    try:
        yield query
    finally:
        drain(query)
        query.stop()
        job.live.close()
        spark.stop()


def drain(query: StreamingQuery, timeout: float = 60.0) -> None:
    """Let the query finish what the stream holds, so stopping it does not interrupt a batch."""
    if not query.isActive:
        return
    waiter = threading.Thread(target=query.processAllAvailable, daemon=True)
    waiter.start()
    waiter.join(timeout)
