"""Bronze and silver transformations as plain DataFrame functions, shared by both streaming
queries, the backfill and the AWS Glue job. They use only APIs that Spark 3.5 also has (Glue 5.0
runs Spark 3.5): no Arrow conversions, no Python data sources, no Spark-4-only functions.

    bronze = bronze_frame(raw, batch_id, ingested_at, run_id)
    parsed = mark_late(parse_records(bronze), dedup_seconds)  # typed columns, quarantine reason, late
    quarantine = quarantine_frame(parsed)
    repeated = [r.event_id for r in repeated_event_ids(parsed).collect()]  # nearly always none
    silver = silver_frames(parsed, game_keys, repeated)  # {table: DataFrame}, one row per event id
    written = stamp(silver["player_counts"], batch_id, ingested_at, run_id)  # a batch's own ingest values
    inputs = poll_inputs(parsed)                        # what the poll state function counts (`counted`)
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from datetime import UTC, datetime
from functools import lru_cache

from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import (
    ArrayType,
    BooleanType,
    DoubleType,
    LongType,
    StringType,
    StructField,
    StructType,
)

from gamestream.contracts import RECORD_TYPES, SUPPORTED_SCHEMA_VERSIONS, UNATTRIBUTED

SEPARATOR = "\x1f"  # gamestream.contracts.derive_event_id joins with it

COMMON = [
    StructField("schema_version", LongType()),
    StructField("event_id", StringType()),
    StructField("source", StringType()),
    StructField("kind", StringType()),
    StructField("observed_at", StringType()),
    StructField("poll_id", StringType()),
]
FIELDS: dict[str, list[StructField]] = {
    "player_count": [
        StructField("app_id", LongType()),
        StructField("app_name", StringType()),
        StructField("player_count", LongType()),
    ],
    "stream_snapshot": [
        StructField("platform", StringType()),
        StructField("stream_id", StringType()),
        StructField("channel_id", StringType()),
        StructField("channel_name", StringType()),
        StructField("game_id", StringType()),
        StructField("game_name", StringType()),
        StructField("viewer_count", LongType()),
        StructField("started_at", StringType()),
        StructField("language", StringType()),
        StructField("is_mature", BooleanType()),
        StructField("title", StringType()),
    ],
    "category_snapshot": [
        StructField("platform", StringType()),
        StructField("game_id", StringType()),
        StructField("game_name", StringType()),
        StructField("rank", LongType()),
        StructField("igdb_id", StringType()),
    ],
    "review_summary": [
        StructField("app_id", LongType()),
        StructField("review_score", LongType()),
        StructField("review_score_desc", StringType()),
        StructField("total_positive", LongType()),
        StructField("total_negative", LongType()),
        StructField("total_reviews", LongType()),
    ],
    "video_snapshot": [
        StructField("video_id", StringType()),
        StructField("channel_id", StringType()),
        StructField("channel_title", StringType()),
        StructField("title", StringType()),
        StructField("tags", ArrayType(StringType())),
        StructField("game_name", StringType()),
        StructField("concurrent_viewers", LongType()),
        StructField("view_count", LongType()),
        StructField("like_count", LongType()),
        StructField("actual_start_time", StringType()),
    ],
    "poll_manifest": [
        StructField("platform", StringType()),
        StructField("record_kind", StringType()),
        StructField("record_count", LongType()),
        StructField("scheduled_at", StringType()),
        StructField("started_at", StringType()),
        StructField("finished_at", StringType()),
        StructField("interval_seconds", DoubleType()),
        StructField("pages", LongType()),
        StructField("pages_failed", LongType()),
        StructField("coverage", DoubleType()),
        StructField("errors", ArrayType(StringType())),
        StructField("overran", BooleanType()),
    ],
}
TABLE_OF_KIND = {
    "player_count": "player_counts",
    "stream_snapshot": "stream_snapshots",
    "category_snapshot": "category_snapshots",
    "review_summary": "review_summaries",
    "video_snapshot": "video_snapshots",
    "poll_manifest": "poll_manifests",
}
ENTITY = {kind: record_type.entity_field for kind, record_type in RECORD_TYPES.items()}
REQUIRED: dict[str, list[str]] = {
    "player_count": ["app_id", "player_count"],
    "stream_snapshot": ["stream_id", "channel_id", "viewer_count"],
    "category_snapshot": ["game_id", "game_name", "rank"],
    "review_summary": ["app_id", "review_score", "total_positive", "total_negative", "total_reviews"],
    "video_snapshot": ["video_id", "channel_id", "concurrent_viewers"],
    "poll_manifest": [
        "platform",
        "record_kind",
        "record_count",
        "scheduled_at",
        "started_at",
        "finished_at",
        "interval_seconds",
    ],
}
NON_NEGATIVE: dict[str, list[str]] = {
    "player_count": ["player_count"],
    "stream_snapshot": ["viewer_count"],
    "category_snapshot": ["rank"],
    "review_summary": ["total_positive", "total_negative", "total_reviews"],
    "video_snapshot": ["concurrent_viewers"],
    "poll_manifest": ["record_count"],
}
PARSERS_BY_VERSION = {1: FIELDS}  # one entry per schema_version the contracts know
assert set(PARSERS_BY_VERSION) == set(SUPPORTED_SCHEMA_VERSIONS), "every contract version needs a parser"
SOURCES = ("steam", "twitch", "youtube", "synthetic")
TIMESTAMP_FIELDS = ("observed_at", "started_at", "actual_start_time", "scheduled_at", "finished_at")


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
        _known_source(source).alias("source"),
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


def _known_source(source: Column) -> Column:
    """A record's source as bronze partitions by it: one of ours, else "unknown"."""
    return F.when(source.isin(*SOURCES), source).otherwise(F.lit("unknown"))


def _all_fields() -> StructType:
    seen: dict[str, StructField] = {f.name: f for f in COMMON}
    for fields in FIELDS.values():
        for f in fields:
            seen.setdefault(f.name, f)
    return StructType(list(seen.values()))


def _event_id_expected(kind: str) -> Column:
    entity = F.col(ENTITY[kind]).cast("string")
    key = F.concat_ws(SEPARATOR, F.col("source"), F.col("kind"), entity, F.col("poll_id"))
    return F.substring(F.sha2(key, 256), 1, 32)


def _reason(kind: str) -> Column:
    """The first contract rule a record of `kind` breaks, or null."""
    checks: list[tuple[Column, Column]] = [
        (
            F.col("event_id").isNull() | F.col("source").isNull() | F.col("poll_id").isNull(),
            F.lit("missing field event_id, source or poll_id"),
        ),
        (
            ~F.col("source").isin(*SOURCES),
            F.concat(F.lit("unknown source "), F.col("source")),
        ),
        (F.col("observed_ts").isNull(), F.lit("observed_at missing or not an ISO-8601 time")),
    ]
    for name in REQUIRED[kind]:
        checks.append((F.col(name).isNull(), F.lit(f"missing or mistyped field {name}")))
    for name in NON_NEGATIVE[kind]:
        checks.append((F.col(name) < 0, F.lit(f"negative {name}")))
    checks.append((F.col("event_id") != _event_id_expected(kind), F.lit("event_id does not match its observation")))
    reason: Column = F.lit(None).cast("string")
    for failed, text in reversed(checks):
        reason = F.when(failed, text).otherwise(reason)
    return reason


def parse_records(bronze: DataFrame) -> DataFrame:
    """Bronze rows with every contract field typed and `quarantine_reason` set when invalid.

    The payload is parsed once, by from_json: the raw kind and version the reasons quote, the typed
    fields and bronze's source all come from that one pass (bronze_frame's own read of the source
    is replaced, so Spark drops it). Reading them with json_tuple and get_json_object as well cost
    about as much again as the parse itself."""
    typed, reason = _parse_columns(id(bronze.sparkSession))
    return (
        bronze.withColumn("r", F.from_json(F.col("payload"), _read_schema()))
        .withColumn("source", _known_source(F.col("r.source")))
        .withColumnRenamed("source", "bronze_source")
        .select("*", *typed, F.col("r.schema_version").alias("r_version"))
        .drop("r")
        .withColumn("observed_ts", F.try_to_timestamp(F.col("observed_at")))
        # null unless the payload is a JSON object: cheaper than re-serialising it (`$`)
        .withColumn("r_keys", F.json_object_keys(F.col("payload")))
        .withColumn("quarantine_reason", reason)
        .drop("r_keys", "r_version")
    )


def _read_schema() -> StructType:
    """Every contract field as from_json reads it, schema_version as written (text), so a reason
    can quote an unknown version."""
    return StructType(
        [StructField(f.name, StringType()) if f.name == "schema_version" else f for f in _all_fields().fields]
    )


@lru_cache(maxsize=4)
def _parse_columns(session_id: int) -> tuple[list[Column], Column]:
    """The parse expressions, built once per session: building them costs ~0.5 s of py4j calls."""
    versions = [str(v) for v in SUPPORTED_SCHEMA_VERSIONS]
    raw_version = F.col("r_version")
    typed = [
        F.when(F.col("r.schema_version").isin(*versions), F.col("r.schema_version").cast("long")).alias(f.name)
        if f.name == "schema_version"
        else F.col(f"r.{f.name}").alias(f.name)
        for f in _all_fields()
    ]
    raw_kind = F.col("kind")  # as written: the kind field is read as text
    reason = F.when(F.col("payload").isNull(), F.lit("payload is not UTF-8 text"))
    reason = reason.when(F.col("r_keys").isNull(), F.lit("malformed JSON: not a JSON object"))
    reason = reason.when(
        raw_version.isNull() | ~raw_version.isin(*versions),
        F.concat(F.lit("unknown schema_version "), F.coalesce(raw_version, F.lit("(missing)"))),
    )
    reason = reason.when(
        raw_kind.isNull() | ~raw_kind.isin(*FIELDS),  # a null test alone is null, not true
        F.concat(F.lit("unknown kind "), F.coalesce(raw_kind, F.lit("(missing)"))),
    )
    for kind in FIELDS:
        reason = reason.when(raw_kind == kind, _reason(kind))
    return typed, reason.otherwise(F.lit(None))


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


def quarantine_frame(parsed: DataFrame) -> DataFrame:
    return parsed.where(F.col("quarantine_reason").isNotNull()).select(
        "stream",
        "shard_id",
        "sequence_number",
        "arrival_time",
        "ingested_at",
        "ingest_batch_id",
        "ingest_run",
        F.col("bronze_source").alias("source"),
        F.col("quarantine_reason").alias("reason"),
        F.coalesce(F.col("payload"), F.concat(F.lit("base64:"), F.base64(F.col("data")))).alias("payload"),
        "ingest_date",
    )


def mark_late(parsed: DataFrame, dedup_seconds: float) -> DataFrame:
    """`late`: observed longer before its arrival than the stream's dedup window (bronze only)."""
    horizon = F.col("arrival_time") - F.make_dt_interval(secs=F.lit(float(dedup_seconds)))
    return parsed.withColumn("late", F.coalesce(F.col("observed_ts") < horizon, F.lit(False)))


def counted() -> Column:
    """Whether a parsed record is valid and timely: what reaches silver and the poll totals."""
    return F.col("quarantine_reason").isNull() & ~F.col("late")


def poll_date(poll_id: Column, fallback: Column) -> Column:
    """The UTC date of a poll's grid slot (poll ids end in its epoch second), else `fallback`."""
    tail = F.regexp_extract(poll_id, r":(\d+)$", 1)
    return F.when(tail != "", F.to_date(F.timestamp_seconds(tail.cast("long")))).otherwise(fallback)


def _steam_name() -> Column:
    return F.coalesce(F.col("app_name"), F.concat(F.lit("Steam app "), F.col("app_id").cast("string")))


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
            frame = frame.withColumn("game_name", _steam_name())
        if kind in ("player_count", "stream_snapshot", "category_snapshot", "video_snapshot"):
            keys = game_keys.select(F.col("name").alias("game_name"), "game_key")
            frame = frame.join(F.broadcast(keys), on="game_name", how="left")
        out[TABLE_OF_KIND[kind]] = frame
    return out


def game_names(parsed: DataFrame) -> DataFrame:
    """Distinct game names a batch mentions (the job normalises these few on the driver)."""
    valid = parsed.where(counted())
    name = (
        F.when(F.col("kind") == "player_count", _steam_name())
        .when(
            F.col("kind").isin("stream_snapshot", "video_snapshot"), F.coalesce(F.col("game_name"), F.lit(UNATTRIBUTED))
        )
        .otherwise(F.col("game_name"))
    )
    return valid.select(name.alias("name")).where(F.col("name").isNotNull()).distinct()


def poll_inputs(parsed: DataFrame) -> DataFrame:
    """Records as the poll state function takes them (streaming_jobs.poll_state), `counted` when
    valid and timely. The state function drops the rest: as a filter here, Spark's optimizer pushed
    the contract checks below the projection and evaluated the parse twice per row (60,000 rows:
    2.9 s filtered against 1.1 s flagged)."""
    kind = F.col("kind")
    platform = (
        F.when(kind == "video_snapshot", F.lit("youtube"))
        .when(kind.isin("player_count", "review_summary"), F.lit("steam"))
        .otherwise(F.col("platform"))
    )
    game = (
        F.when(kind == "player_count", _steam_name())
        .when(kind.isin("stream_snapshot", "video_snapshot"), F.coalesce(F.col("game_name"), F.lit(UNATTRIBUTED)))
        .otherwise(F.col("game_name"))
    )
    return parsed.select(
        "poll_id",
        "kind",
        F.xxhash64("event_id").alias("event_hash"),
        "source",
        platform.alias("platform"),
        game.alias("game_name"),
        F.coalesce(F.col("viewer_count"), F.col("concurrent_viewers")).alias("viewers"),
        F.col("player_count").alias("players"),
        "is_mature",
        F.coalesce(F.col("channel_name"), F.col("channel_title")).alias("channel"),
        F.col("view_count").alias("views"),
        (F.unix_micros(F.col("observed_ts")) / 1e6).alias("observed_s"),
        (F.unix_micros(F.col("arrival_time")) / 1e6).alias("arrival_s"),
        F.when(kind == "poll_manifest", F.col("payload")).alias("manifest"),
        counted().alias("counted"),
    )
