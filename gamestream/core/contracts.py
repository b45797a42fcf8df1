"""Record contracts: the JSON payloads every stage agrees on (docs/architecture.md, Contracts).

Every record carries ``schema_version``, a deterministic ``event_id``, ``source``, ``kind``,
``observed_at`` (UTC) and ``poll_id``, then kind-specific fields. ``event_id`` is a hash of
source, kind, entity id and poll id, so the same observation always gets the same id and
duplicates (Kinesis is at-least-once, replays re-publish) are removed downstream by it.

Build records with ``Kind.create(...)`` (it derives ``event_id``), read them with
:func:`parse_record`; an invalid record raises :class:`ContractError` naming field and value.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

SCHEMA_VERSION = 2
SUPPORTED_SCHEMA_VERSIONS = frozenset({1, 2})
# fields added after version 1, with the version that added them: a record of an older version
# never carries them (the lake query quarantines one that does, as parse_record rejects it)
ADDED_IN_VERSION: dict[str, int] = {"user_login": 2}
UNATTRIBUTED = "unattributed"


class Source(StrEnum):
    STEAM = "steam"
    TWITCH = "twitch"
    YOUTUBE = "youtube"
    SYNTHETIC = "synthetic"


class Platform(StrEnum):
    """Where a metric is observed; the synthetic source emits records for all three."""

    STEAM = "steam"
    TWITCH = "twitch"
    YOUTUBE = "youtube"


class ContractError(ValueError):
    """A record that breaks the contract; names the offending field and value."""

    def __init__(self, field: str, value: Any, reason: str):
        self.field = field
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 200:
            shown = shown[:200] + "..."
        super().__init__(f"invalid record: field '{field}' = {shown}: {reason}")


DERIVED: dict[str, bool] = {"event_id_derived": True}  # validation context of `create`: no second hash


def derive_event_id(source: str, kind: str, entity_id: object, poll_id: str) -> str:
    """Same observation (source, kind, entity, poll) -> same id, whatever else it carries."""
    key = "\x1f".join((str(source), str(kind), str(entity_id), str(poll_id)))
    return hashlib.sha256(key.encode()).hexdigest()[:32]


def poll_id_for(source: str, poll_kind: str, slot_start: datetime) -> str:
    """Poll ids name the grid slot a poll belongs to, so a re-run of a slot reuses its ids."""
    return f"{source}:{poll_kind}:{int(slot_start.astimezone(UTC).timestamp())}"


NonEmpty = Annotated[str, Field(min_length=1, max_length=512)]
Count = Annotated[int, Field(ge=0)]


class RecordBase(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)

    entity_field: ClassVar[str]

    schema_version: int = SCHEMA_VERSION
    event_id: Annotated[str, Field(pattern=r"^[0-9a-f]{32}$")]
    source: Source
    kind: str
    observed_at: AwareDatetime
    poll_id: NonEmpty

    @field_validator("schema_version")
    @classmethod
    def _known_version(cls, value: int) -> int:
        if value not in SUPPORTED_SCHEMA_VERSIONS:
            raise ValueError(f"unknown schema_version; supported: {sorted(SUPPORTED_SCHEMA_VERSIONS)}")
        return value

    @model_validator(mode="after")
    def _fields_of_its_version(self) -> Self:
        for name, version in ADDED_IN_VERSION.items():
            if self.schema_version < version and getattr(self, name, None) is not None:
                raise ValueError(
                    f"{name} is a schema_version {version} field; this record is version {self.schema_version}"
                )
        return self

    @field_validator("observed_at")
    @classmethod
    def _to_utc(cls, value: datetime) -> datetime:
        return value if value.tzinfo is UTC else value.astimezone(UTC)

    @model_validator(mode="after")
    def _event_id_matches(self, info: ValidationInfo) -> Self:
        if info.context is DERIVED:  # `create` derived it from these very fields
            return self
        expected = derive_event_id(self.source, self.kind, self.entity_id, self.poll_id)
        if self.event_id != expected:
            raise ValueError(f"event_id {self.event_id} does not match its observation (expected {expected})")
        return self

    @property
    def entity_id(self) -> str:
        """Kinesis partition key: spreads load evenly over shards."""
        return str(getattr(self, self.entity_field))

    @classmethod
    def create(cls, **fields: Any) -> Self:
        """Build a record, deriving its event_id; raises ContractError on bad fields."""
        kind = cls.model_fields["kind"].default
        entity = fields.get(cls.entity_field)
        event_id = derive_event_id(fields.get("source", ""), kind, entity, fields.get("poll_id", ""))
        try:
            return cls.model_validate({**fields, "kind": kind, "event_id": event_id}, context=DERIVED)
        except ValidationError as exc:
            raise _contract_error(exc, {**fields, "kind": kind}) from None

    def to_json(self) -> str:
        return self.model_dump_json()


class PlayerCount(RecordBase):
    entity_field: ClassVar[str] = "app_id"
    kind: Literal["player_count"] = "player_count"
    app_id: Annotated[int, Field(gt=0)]
    app_name: str | None = None
    player_count: Count


class StreamSnapshot(RecordBase):
    entity_field: ClassVar[str] = "stream_id"
    kind: Literal["stream_snapshot"] = "stream_snapshot"
    platform: Platform = Platform.TWITCH
    stream_id: NonEmpty
    channel_id: NonEmpty
    channel_name: str
    user_login: Annotated[str, Field(max_length=512)] | None = None  # version 2: the name in the channel's URL
    game_id: str | None = None
    game_name: str | None = None
    viewer_count: Count
    started_at: AwareDatetime | None = None
    language: str | None = None
    is_mature: bool = False
    title: str = ""


class CategorySnapshot(RecordBase):
    entity_field: ClassVar[str] = "game_id"
    kind: Literal["category_snapshot"] = "category_snapshot"
    platform: Platform = Platform.TWITCH
    game_id: NonEmpty
    game_name: NonEmpty
    rank: Annotated[int, Field(ge=1)]
    igdb_id: str | None = None


class ReviewSummary(RecordBase):
    entity_field: ClassVar[str] = "app_id"
    kind: Literal["review_summary"] = "review_summary"
    app_id: Annotated[int, Field(gt=0)]
    review_score: Annotated[int, Field(ge=0, le=9)]
    review_score_desc: str = ""
    total_positive: Count
    total_negative: Count
    total_reviews: Count


class VideoSnapshot(RecordBase):
    entity_field: ClassVar[str] = "video_id"
    kind: Literal["video_snapshot"] = "video_snapshot"
    video_id: NonEmpty
    channel_id: NonEmpty
    channel_title: str = ""
    title: str = ""
    tags: list[str] = Field(default_factory=list)
    game_name: NonEmpty = UNATTRIBUTED
    concurrent_viewers: Count
    view_count: Count | None = None
    like_count: Count | None = None
    actual_start_time: AwareDatetime | None = None


class PollManifest(RecordBase):
    """Closes a poll: downstream treats a poll as complete once it has counted record_count records."""

    entity_field: ClassVar[str] = "poll_id"
    kind: Literal["poll_manifest"] = "poll_manifest"
    platform: Platform
    record_kind: Literal["player_count", "stream_snapshot", "category_snapshot", "review_summary", "video_snapshot"]
    record_count: Count
    scheduled_at: AwareDatetime
    started_at: AwareDatetime
    finished_at: AwareDatetime
    interval_seconds: Annotated[float, Field(gt=0)]
    pages: Count = 0
    pages_failed: Count = 0
    coverage: Annotated[float, Field(ge=0.0, le=1.0)] = 1.0
    errors: list[str] = Field(default_factory=list, max_length=50)
    overran: bool = False

    @model_validator(mode="after")
    def _ordered_times(self) -> Self:
        if self.finished_at < self.started_at:
            raise ValueError(f"finished_at {self.finished_at} is before started_at {self.started_at}")
        return self


RECORD_TYPES: dict[str, type[RecordBase]] = {
    t.model_fields["kind"].default: t
    for t in (PlayerCount, StreamSnapshot, CategorySnapshot, ReviewSummary, VideoSnapshot, PollManifest)
}
Record = Annotated[
    PlayerCount | StreamSnapshot | CategorySnapshot | ReviewSummary | VideoSnapshot | PollManifest,
    Field(discriminator="kind"),
]
_record_adapter: TypeAdapter[Record] = TypeAdapter(Record)


def _contract_error(exc: ValidationError, raw: Any) -> ContractError:
    first = exc.errors()[0]
    loc = [str(p) for p in first["loc"] if not (isinstance(p, str) and p in RECORD_TYPES)]
    reason = first["msg"].removeprefix("Value error, ")
    if not loc and reason.split(" ", 1)[0] in (raw if isinstance(raw, dict) else {}):
        loc = [reason.split(" ", 1)[0]]  # whole-record checks start their message with the field
    field = ".".join(loc) or "record"
    value = first.get("input")
    if isinstance(raw, dict) and len(loc) == 1 and loc[0] in raw:
        value = raw[loc[0]]
    return ContractError(field, value, reason)


def parse_record(payload: str | bytes | dict[str, Any]) -> Record:
    """Decode and validate one record of any known kind and schema version."""
    if isinstance(payload, (str, bytes)):
        try:
            data = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise ContractError("record", payload, f"not JSON: {exc}") from None
    else:
        data = payload
    if not isinstance(data, dict):
        raise ContractError("record", data, "a record is a JSON object")
    version = data.get("schema_version")
    if version not in SUPPORTED_SCHEMA_VERSIONS:
        raise ContractError(
            "schema_version", version, f"unknown schema_version; supported: {sorted(SUPPORTED_SCHEMA_VERSIONS)}"
        )
    if data.get("kind") not in RECORD_TYPES:
        raise ContractError("kind", data.get("kind"), f"unknown kind; known: {sorted(RECORD_TYPES)}")
    try:
        return _record_adapter.validate_python(data)
    except ValidationError as exc:
        raise _contract_error(exc, data) from None
