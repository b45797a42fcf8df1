"""Both streaming queries start the same way: a foreachBatch writer, a checkpoint, a FAIR
scheduler pool of their own (streaming_jobs/data/fairscheduler.xml) and a trigger."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql.streaming import StreamingQuery

NO_DATA_BATCHES = "spark.sql.streaming.noDataMicroBatches.enabled"


def start_foreach_batch(
    frame: DataFrame,
    name: str,
    pool: str,
    writer: Callable[[DataFrame, int], None],
    checkpoint: str,
    trigger_seconds: float | None,
    output_mode: str = "append",
    batches_without_data: bool = True,
) -> StreamingQuery:
    """A query handing each micro-batch to `writer`, in the FAIR scheduler pool `pool`: every
    `trigger_seconds`, or (None) once over what the stream holds now. Without `batches_without_data`
    a trigger that finds no new records runs nothing (Spark runs a batch anyway by default when a
    stateful operator may have work: state to expire, timeouts to fire). A query reads the setting
    when it starts, so it is set for this query's start only."""
    spark = frame.sparkSession
    spark.sparkContext.setLocalProperty("spark.scheduler.pool", pool)
    stream = (
        frame.writeStream.queryName(name)
        .outputMode(output_mode)
        .foreachBatch(writer)
        .option("checkpointLocation", checkpoint)
    )
    triggered = (
        stream.trigger(availableNow=True)
        if trigger_seconds is None
        else stream.trigger(processingTime=f"{trigger_seconds} seconds")
    )
    if batches_without_data:
        return triggered.start()
    before = spark.conf.get(NO_DATA_BATCHES, None)
    spark.conf.set(NO_DATA_BATCHES, "false")
    try:
        return triggered.start()
    finally:
        if before is None:
            spark.conf.unset(NO_DATA_BATCHES)
        else:
            spark.conf.set(NO_DATA_BATCHES, before)
