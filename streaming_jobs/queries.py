"""Both streaming queries start the same way: a foreachBatch writer, a checkpoint, a FAIR
scheduler pool of their own (streaming_jobs/data/fairscheduler.xml) and a trigger."""

from __future__ import annotations

from collections.abc import Callable

from pyspark.sql import DataFrame
from pyspark.sql.streaming import StreamingQuery


def start_foreach_batch(
    frame: DataFrame,
    name: str,
    pool: str,
    writer: Callable[[DataFrame, int], None],
    checkpoint: str,
    trigger_seconds: float | None,
    output_mode: str = "append",
) -> StreamingQuery:
    """A query handing each micro-batch to `writer`, in the FAIR scheduler pool `pool`: every
    `trigger_seconds`, or (None) once over what the stream holds now."""
    frame.sparkSession.sparkContext.setLocalProperty("spark.scheduler.pool", pool)
    stream = (
        frame.writeStream.queryName(name)
        .outputMode(output_mode)
        .foreachBatch(writer)
        .option("checkpointLocation", checkpoint)
    )
    if trigger_seconds is None:
        return stream.trigger(availableNow=True).start()
    return stream.trigger(processingTime=f"{trigger_seconds} seconds").start()
