from datetime import UTC, datetime, timedelta, timezone

import pytest

from gamestream.core.contracts import (
    SCHEMA_VERSION,
    ContractError,
    PlayerCount,
    PollManifest,
    StreamSnapshot,
    VideoSnapshot,
    derive_event_id,
    parse_record,
    poll_id_for,
)

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
POLL = poll_id_for("twitch", "stream_snapshot", T0)


def snapshot(**overrides):
    fields = dict(
        source="twitch",
        observed_at=T0,
        poll_id=POLL,
        stream_id="4711",
        channel_id="c1",
        channel_name="alice",
        game_id="21779",
        game_name="League of Legends",
        viewer_count=1234,
        started_at=T0 - timedelta(hours=1),
        language="en",
        is_mature=False,
        title="ranked",
    )
    return StreamSnapshot.create(**{**fields, **overrides})


def manifest(**overrides):
    fields = dict(
        source="twitch",
        observed_at=T0,
        poll_id=POLL,
        platform="twitch",
        record_kind="stream_snapshot",
        record_count=3,
        scheduled_at=T0,
        started_at=T0,
        finished_at=T0 + timedelta(seconds=4),
        interval_seconds=60,
    )
    return PollManifest.create(**{**fields, **overrides})


def test_valid_record_round_trips_through_json():
    record = snapshot()
    again = parse_record(record.to_json())
    assert again == record
    assert isinstance(again, StreamSnapshot)
    assert again.schema_version == SCHEMA_VERSION == 2
    assert record.entity_id == "4711"


def test_a_version_1_record_still_reads_and_only_version_2_carries_user_login():
    written_by_version_1 = snapshot().model_dump(mode="json", exclude={"user_login"}) | {"schema_version": 1}
    older = parse_record(written_by_version_1)
    assert (older.schema_version, older.user_login) == (1, None)
    assert parse_record(snapshot(user_login="afro").to_json()).user_login == "afro"
    with pytest.raises(ContractError) as info:
        parse_record(written_by_version_1 | {"user_login": "afro"})
    assert (info.value.field, info.value.value) == ("user_login", "afro")
    assert "schema_version 2 field" in info.value.reason


def test_event_id_is_stable_and_depends_only_on_the_observation():
    a = snapshot(viewer_count=10)
    b = snapshot(viewer_count=99, title="other title")
    assert a.event_id == b.event_id == derive_event_id("twitch", "stream_snapshot", "4711", POLL)
    assert snapshot(stream_id="4712").event_id != a.event_id
    next_poll = poll_id_for("twitch", "stream_snapshot", T0 + timedelta(minutes=1))
    assert snapshot(poll_id=next_poll).event_id != a.event_id
    assert (
        PlayerCount.create(source="steam", observed_at=T0, poll_id=POLL, app_id=4711, player_count=1).event_id
        != a.event_id
    )


def test_observed_at_is_normalised_to_utc():
    kst = timezone(timedelta(hours=9))
    record = snapshot(observed_at=datetime(2026, 11, 26, 12, 0, tzinfo=kst))
    assert record.observed_at == T0
    assert record.observed_at.tzinfo == UTC
    assert '"observed_at":"2026-11-26T03:00:00Z"' in record.to_json()


@pytest.mark.parametrize(
    ("overrides", "field", "value"),
    [
        ({"viewer_count": -5}, "viewer_count", -5),
        ({"viewer_count": "lots"}, "viewer_count", "lots"),
        ({"stream_id": ""}, "stream_id", ""),
        ({"observed_at": datetime(2026, 11, 26, 3, 0)}, "observed_at", datetime(2026, 11, 26, 3, 0)),
        ({"source": "mixer"}, "source", "mixer"),
    ],
)
def test_invalid_record_names_field_and_value(overrides, field, value):
    with pytest.raises(ContractError) as info:
        snapshot(**overrides)
    assert info.value.field == field
    assert info.value.value == value
    assert f"'{field}'" in str(info.value)
    assert repr(value) in str(info.value)


def test_parse_rejects_unknown_version_kind_garbage_and_tampered_ids():
    good = snapshot().model_dump(mode="json")
    with pytest.raises(ContractError, match="schema_version") as info:
        parse_record({**good, "schema_version": 99})
    assert info.value.value == 99
    with pytest.raises(ContractError) as info:
        parse_record({**good, "kind": "chat_message"})
    assert (info.value.field, info.value.value) == ("kind", "chat_message")
    with pytest.raises(ContractError, match="not JSON"):
        parse_record(b"{not json")
    with pytest.raises(ContractError, match="JSON object"):
        parse_record("[1, 2]")
    with pytest.raises(ContractError, match="does not match") as info:
        parse_record({**good, "event_id": "0" * 32})
    assert (info.value.field, info.value.value) == ("event_id", "0" * 32)
    with pytest.raises(ContractError) as info:
        parse_record({**good, "surprise": 1})
    assert info.value.field == "surprise"


def test_every_kind_round_trips():
    closed = manifest(pages=1, coverage=0.5, errors=["page 2: HTTP 503"])
    video = VideoSnapshot.create(
        source="youtube",
        observed_at=T0,
        poll_id=POLL,
        video_id="v1",
        channel_id="ch",
        tags=["minecraft"],
        concurrent_viewers=7,
    )
    for record in (closed, video, snapshot()):
        assert parse_record(record.to_json()) == record
    assert video.game_name == "unattributed"
    assert closed.entity_id == POLL


def test_manifest_rejects_finish_before_start():
    with pytest.raises(ContractError, match="before started_at") as info:
        manifest(finished_at=T0 - timedelta(seconds=1))
    assert info.value.field == "finished_at"
