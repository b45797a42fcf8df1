"""The documents the dashboard and live-feed clients build on (the OpenAPI document, the live
messages' JSON Schema) are the API's current ones; the TypeScript generated from the OpenAPI document
is checked by `npm test`."""

import json
from pathlib import Path

import jsonschema
import pytest

from realtime_api.documents import documents
from realtime_api.models.live import ChangeMessage

COMMITTED = Path(__file__).resolve().parents[2] / "frontend" / "src" / "generated"


def test_the_committed_documents_are_current():
    for name, content in documents().items():
        assert (COMMITTED / name).read_text() == content, (
            f"{name} is not the API's: run `.venv/bin/python -m realtime_api.documents frontend/src/generated` "
            "and `cd frontend && npm run types`, and commit the files"
        )


def test_the_live_message_schema_accepts_changes_and_refuses_an_unknown_kind():
    schema = json.loads((COMMITTED / "live-messages.schema.json").read_text())
    change = ChangeMessage(
        type="change",
        id="7-1",
        platform="twitch",
        game="dota 2",
        name="Dota 2",
        value=120,
        change=-3,
        observed_at="2026-12-06T12:00:00+00:00",
        poll_id="p",
    ).model_dump(mode="json")
    message = {"type": "changes", "changes": [change]}
    jsonschema.validate(message, schema)
    empty = {"type": "changes", "changes": []}
    bare = change  # a change travels in a `changes` message, never alone
    for wrong in ({**message, "type": "gossip"}, {**message, "extra": 1}, {"type": "heartbeat"}, empty, bare):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(wrong, schema)
