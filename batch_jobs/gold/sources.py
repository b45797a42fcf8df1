"""The silver tables gold loads, each with the staging table (columns and types) it lands in."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

from gamestream.core import lake as L
from gamestream.core.lake import GAMES_SCHEMA, TOTALS_SCHEMA

REVIEWS = "silver/review_summaries"


@dataclass(frozen=True)
class SilverSource:
    """A silver table gold loads and the staging table (with the columns and types) it lands in.
    `added_later` names columns a newer contract version added: files written before it lack them,
    and they are staged as null from those."""

    table: str
    staged_as: str
    schema: pa.Schema
    added_later: tuple[str, ...] = ()

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(self.schema.names)


TOTALS_SOURCE = SilverSource(
    L.TOTALS,
    "game_poll_totals",
    pa.schema(
        [
            TOTALS_SCHEMA.field(c)
            for c in (
                "platform",
                "source",
                "game_key",
                "game_name",
                "poll_id",
                "scheduled_at",
                "interval_seconds",
                "viewers",
                "channels",
                "players",
                "mature_channels",
                "coverage",
                "status",
                "top_channel",
                "top_channel_viewers",
                "views",
            )
        ]
    ),
)
GAMES_SOURCE = SilverSource(
    L.GAMES,
    "games",
    pa.schema(
        [
            GAMES_SCHEMA.field(c)
            for c in ("game_key", "name", "steam_app_id", "is_game", "first_seen_at", "last_seen_at")
        ]
    ),
)
REVIEWS_SOURCE = SilverSource(
    REVIEWS,
    "review_summaries",
    pa.schema(
        [
            ("event_id", pa.string()),
            ("app_id", pa.int64()),
            ("review_score", pa.int64()),
            ("review_score_desc", pa.string()),
            ("total_positive", pa.int64()),
            ("total_negative", pa.int64()),
            ("total_reviews", pa.int64()),
            ("observed_at", pa.timestamp("us", tz="UTC")),
        ]
    ),
)
STREAMS_SOURCE = SilverSource(
    L.STREAMS,
    "stream_snapshots",
    pa.schema(
        [
            L.STREAMS_SCHEMA.field(c)
            for c in (
                "platform",
                "source",
                "poll_id",
                "stream_id",
                "channel_id",
                "channel_name",
                "user_login",
                "game_key",
                "game_name",
                "viewer_count",
                "language",
                "started_at",
                "observed_at",
            )
        ]
    ),
    added_later=("user_login",),
)
VIDEOS_SOURCE = SilverSource(
    L.VIDEOS,
    "video_snapshots",
    pa.schema(
        [
            L.VIDEOS_SCHEMA.field(c)
            for c in (
                "source",
                "poll_id",
                "video_id",
                "channel_id",
                "channel_title",
                "game_key",
                "game_name",
                "concurrent_viewers",
                "actual_start_time",
                "observed_at",
            )
        ]
    ),
)
SOURCES = (GAMES_SOURCE, REVIEWS_SOURCE, TOTALS_SOURCE, STREAMS_SOURCE, VIDEOS_SOURCE)
