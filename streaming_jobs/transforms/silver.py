"""Silver rows: one typed frame per record kind, one row per event id, with game keys; and the game
names a batch mentions."""

from __future__ import annotations

from collections.abc import Callable, Collection

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F

from gamestream.core.contracts import UNATTRIBUTED
from streaming_jobs.transforms.parse import counted, steam_name
from streaming_jobs.transforms.polls import poll_date
from streaming_jobs.transforms.record_fields import FIELDS, TABLE_OF_KIND, TIMESTAMP_FIELDS


def _ts(name: str) -> Column:
    return F.try_to_timestamp(F.col(name)).alias(name)


def repeated_event_ids(parsed: DataFrame) -> DataFrame:
    """The event ids that more than one counted record of `parsed` carries: a hash aggregation of
    the key alone, cheap, and nearly always empty in a stream already deduplicated by its bytes."""
    return parsed.where(counted()).groupBy("event_id").count().where(F.col("count") > 1).select("event_id")


REPEATS_SPLIT_AT_MOST = 10_000


def _one_per_event(spark: SparkSession, repeated: Collection[str] | None) -> Callable[[DataFrame], DataFrame]:
    """How to keep one row per event id. Deduplicating every row sorts the whole frame (Spark
    aggregates string columns by sorting); when the caller knows which ids repeat, only their rows
    are deduplicated (`repeated`; None: not known). Those ids are joined as a broadcast frame, not
    tested with `isin`: its literal per id cost 0.4 ms of py4j, 22 s for 4,800 ids over the kinds."""
    if repeated is None or len(repeated) > REPEATS_SPLIT_AT_MOST:
        return lambda frame: frame.dropDuplicates(["event_id"])
    if not repeated:
        return lambda frame: frame
    ids = F.broadcast(spark.createDataFrame([(event_id,) for event_id in repeated], "event_id STRING"))
    return lambda frame: frame.join(ids, "event_id", "left_anti").unionByName(
        frame.join(ids, "event_id", "left_semi").dropDuplicates(["event_id"])
    )


def silver_frames(
    parsed: DataFrame, game_keys: DataFrame, repeated: Collection[str] | None = None
) -> dict[str, DataFrame]:
    """One typed, in-batch-deduplicated DataFrame per record kind (only valid records).

    `game_keys` maps display names to normalised game keys (columns name, game_key); `repeated`
    lists the event ids that occur more than once (`repeated_event_ids`), when the caller has them."""
    valid = parsed.where(counted())
    one_per_event = _one_per_event(parsed.sparkSession, repeated)
    common = [
        F.col("event_id"),
        F.col("schema_version"),
        F.col("source"),
        F.col("kind"),
        F.col("observed_ts").alias("observed_at"),
        F.to_date(F.col("observed_ts")).alias("observed_date"),
        F.col("poll_id"),
        F.col("ingest_batch_id"),
        F.col("ingest_run"),
        F.col("ingested_at"),
        poll_date(F.col("poll_id"), F.to_date(F.col("observed_ts"))).alias("poll_date"),
    ]
    out: dict[str, DataFrame] = {}
    for kind, fields in FIELDS.items():
        columns = [_ts(f.name) if f.name in TIMESTAMP_FIELDS else F.col(f.name) for f in fields]
        frame = one_per_event(valid.where(F.col("kind") == kind).select(*common, *columns))
        if kind in ("stream_snapshot", "video_snapshot"):
            frame = frame.withColumn("game_name", F.coalesce(F.col("game_name"), F.lit(UNATTRIBUTED)))
        if kind == "player_count":
            frame = frame.withColumn("game_name", steam_name())
        if kind in ("player_count", "stream_snapshot", "category_snapshot", "video_snapshot"):
            keys = game_keys.select(F.col("name").alias("game_name"), "game_key")
            frame = frame.join(F.broadcast(keys), on="game_name", how="left")
        out[TABLE_OF_KIND[kind]] = frame
    return out


def game_names(parsed: DataFrame) -> DataFrame:
    """Distinct game names a batch mentions (the job normalises these few on the driver)."""
    valid = parsed.where(counted())
    name = (
        F.when(F.col("kind") == "player_count", steam_name())
        .when(
            F.col("kind").isin("stream_snapshot", "video_snapshot"), F.coalesce(F.col("game_name"), F.lit(UNATTRIBUTED))
        )
        .otherwise(F.col("game_name"))
    )
    return valid.select(name.alias("name")).where(F.col("name").isNotNull()).distinct()
