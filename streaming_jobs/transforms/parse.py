"""Parsing bronze once into typed contract fields with the first rule a record breaks
(`quarantine_reason`), lateness, and what counts: valid and timely records."""

from __future__ import annotations

from functools import lru_cache

from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import (
    StringType,
    StructField,
    StructType,
)

from gamestream.core.contracts import ADDED_IN_VERSION, SUPPORTED_SCHEMA_VERSIONS
from streaming_jobs.transforms.record_fields import (
    ENTITY,
    FIELDS,
    NON_NEGATIVE,
    REQUIRED,
    SEPARATOR,
    SOURCES,
    all_fields,
    known_source,
)


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
    for name, version in ADDED_IN_VERSION.items():
        if any(f.name == name for f in FIELDS[kind]):
            checks.append(
                (
                    (F.col("schema_version") < version) & F.col(name).isNotNull(),
                    F.concat(
                        F.lit(f"{name} is a schema_version {version} field; this record is version "),
                        F.col("schema_version"),
                    ),
                )
            )
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
        .withColumn("source", known_source(F.col("r.source")))
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
        [StructField(f.name, StringType()) if f.name == "schema_version" else f for f in all_fields().fields]
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
        for f in all_fields()
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


def steam_name() -> Column:
    return F.coalesce(F.col("app_name"), F.concat(F.lit("Steam app "), F.col("app_id").cast("string")))
