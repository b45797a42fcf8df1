"""The live state (Redis) as the API serves it: a platform's snapshot over REST, and the messages of
the WebSocket /ws/live (their JSON Schema: `live_message_schema`)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Literal

from pydantic import Field, TypeAdapter, field_validator

from gamestream.core.contracts import Platform
from realtime_api.models.base import Answer


def decode_json(value: Any) -> Any:
    """Redis holds a list as JSON text (empty: none)."""
    if isinstance(value, str):
        return json.loads(value) if value else None
    return value


class LiveChannel(Answer):
    """One of a game's channels with the most viewers in its latest poll."""

    id: str | None = Field(description="The channel's platform id (Twitch user id, YouTube channel id).")
    login: str | None = Field(description="The name in its Twitch URL; null on YouTube and before it was recorded.")
    name: str = Field(description="Its display name (Twitch) or title (YouTube).")
    viewers: int


class LiveGame(Answer):
    """A game in the platform's latest complete poll."""

    game: str = Field(description="The game's key.")
    name: str
    value: int | float | None = Field(description="Viewers (Twitch, YouTube) or players (Steam).")
    change: int | float | None = Field(description="vs the game's previous poll.")
    viewers: int | float | None
    channels: int | float | None
    players: int | float | None
    observed_at: str | None
    poll_id: str | None
    is_game: bool = Field(True, description="False for a category that is not a game (Just Chatting, Music, ...).")
    top_channels: list[LiveChannel] | None = Field(
        None, description="Its 5 channels with the most viewers in the poll, most first; null on Steam."
    )

    _decode_top = field_validator("top_channels", mode="before")(decode_json)


class LivePlatform(Answer):
    total: int | float | None
    games_live: int | float | None = None
    observed_at: str | None
    poll_id: str | None = None
    games: list[LiveGame]


class LiveSnapshot(LivePlatform):
    platform: Platform
    position: str = Field(description="The change feed's id this snapshot includes: resume after it.")


class SnapshotMessage(Answer):
    """First message of a connection without a resumable `last_id`: the state, then changes after `position`."""

    type: Literal["snapshot"]
    position: str
    platforms: dict[str, LivePlatform]


class ResumedMessage(Answer):
    """First message of a connection resumed after `last_id`: the changes it missed follow."""

    type: Literal["resumed"]
    after: str


class ChangeMessage(Answer):
    """A game's (or, with game '*', the platform total's) new value from a complete poll: an item of
    a `changes` message."""

    type: Literal["change"]
    id: str = Field(description="The feed id: reconnect with last_id=id to resume after it.")
    platform: str
    game: str = Field(description="The game's key, or '*' for the platform's total.")
    name: str
    value: int | float
    change: int | float | None
    observed_at: str
    poll_id: str
    is_game: bool | None = Field(
        None, description="False for a category that is not a game (Just Chatting, ...); absent for a total."
    )
    top_channels: list[LiveChannel] | None = Field(
        None,
        description="The game's 5 channels with the most viewers in the poll, most first; absent for a total, "
        "on Steam, and for a game gone from the poll.",
    )

    _decode_top = field_validator("top_channels", mode="before")(decode_json)


class ChangesMessage(Answer):
    """The changes the feed holds next, in feed order, each once: those written together (a poll's
    games and total) arrive in one message. Resume after the last one's id."""

    type: Literal["changes"]
    changes: list[ChangeMessage] = Field(min_length=1)


class HeartbeatMessage(Answer):
    """Sent when nothing changed for GST_API_WS_HEARTBEAT_SECONDS."""

    type: Literal["heartbeat"]
    position: str | None


LiveMessage = Annotated[
    SnapshotMessage | ResumedMessage | ChangesMessage | HeartbeatMessage, Field(discriminator="type")
]
LIVE_MESSAGE = TypeAdapter(LiveMessage)


def live_message_schema(ref_template: str = "#/$defs/{model}") -> dict[str, Any]:
    """The JSON Schema of every message /ws/live sends."""
    return {"title": "LiveMessage", **LIVE_MESSAGE.json_schema(ref_template=ref_template)}
