"""The API's documents, written to files the dashboard and other clients build on: the OpenAPI
document (every route's answer and, as `LiveMessage`, the WebSocket's messages), from which the
dashboard's TypeScript types are generated (openapi-typescript), and the JSON Schema of the messages
of /ws/live alone, for clients of the live feed that read no OpenAPI:

    .venv/bin/python -m realtime_api.documents frontend/src/generated
    cd frontend && npm run types

`make test` checks that the files are current (tests/realtime_api/test_documents.py, `npm test`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from gamestream.core.settings import Settings
from realtime_api.app import create_app
from realtime_api.models.live import live_message_schema


def _text(document: dict[str, Any]) -> str:
    """Stable key order, one trailing newline: a file that changes only when the document does."""
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def documents() -> dict[str, str]:
    """File name -> content of every document."""
    with tempfile.TemporaryDirectory() as folder:  # the app opens no warehouse to describe itself
        settings = Settings(_env_file=None, warehouse_url=f"duckdb:///{Path(folder) / 'none.duckdb'}")
        openapi = create_app(settings, dashboard=None).openapi()
    live = {"$schema": "https://json-schema.org/draft/2020-12/schema", **live_message_schema()}
    return {"openapi.json": _text(openapi), "live-messages.schema.json": _text(live)}


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m realtime_api.documents OUT_FOLDER")
    folder = Path(argv[0])
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in documents().items():
        (folder / name).write_text(content)


if __name__ == "__main__":
    main(sys.argv[1:])
