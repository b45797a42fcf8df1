"""The record contracts as Spark sees them: each kind's typed fields and silver table, the fields a
kind requires or keeps non-negative, the sources and the time fields."""

from __future__ import annotations

from pyspark.sql import Column
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

from gamestream.core.contracts import ADDED_IN_VERSION, RECORD_TYPES

SEPARATOR = "\x1f"  # gamestream.core.contracts.derive_event_id joins with it
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
        StructField("user_login", StringType()),
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
# FIELDS are the newest version's; an older version lacks the fields added after it
assert all(any(f.name == name for fields in FIELDS.values() for f in fields) for name in ADDED_IN_VERSION), (
    "every field a contract version added needs its Spark type"
)


SOURCES = ("steam", "twitch", "youtube", "synthetic")
TIMESTAMP_FIELDS = ("observed_at", "started_at", "actual_start_time", "scheduled_at", "finished_at")


def all_fields() -> StructType:
    seen: dict[str, StructField] = {f.name: f for f in COMMON}
    for fields in FIELDS.values():
        for f in fields:
            seen.setdefault(f.name, f)
    return StructType(list(seen.values()))


def known_source(source: Column) -> Column:
    """A record's source as bronze partitions by it: one of ours, else "unknown"."""
    return F.when(source.isin(*SOURCES), source).otherwise(F.lit("unknown"))
