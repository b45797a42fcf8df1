"""A micro-batch computed once and kept for its several writes.

    parsed = kept_rows(parse(batch))   # computed by the first action on it
    ...                                # counts, bronze, silver, quarantine read the kept rows
    release(parsed)

Spark's columnar cache (`persist`) cost more to build than the parse itself, and every write
planned the whole parse again to find it in the cache. A local checkpoint keeps plain rows in the
block manager (spilling to disk under memory pressure), and the plan of a frame read from it is a
scan of those rows. Spark 3.5 has both calls, so the Glue job runs the same code.
"""

from __future__ import annotations

from pyspark.sql import DataFrame


def kept_rows(frame: DataFrame) -> DataFrame:
    """`frame`, computed by the first action on it and kept until `release`."""
    return frame.localCheckpoint(eager=False)


def release(kept: DataFrame) -> None:
    """Drop the rows `kept_rows` kept (else they stay until the JVM collects the frame)."""
    kept._jdf.queryExecution().analyzed().rdd().unpersist(False)
