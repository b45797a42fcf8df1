"""The API's OpenAPI document (every route's answer and, as `LiveMessage`, the WebSocket's messages)
written to a file, from which the dashboard's TypeScript types are generated (openapi-typescript):

    .venv/bin/python -m realtime_api.documents frontend/src/generated/openapi.json
    cd frontend && npm run types

`make test` checks that both files are current (tests/realtime_api/test_documents.py, `npm test`).
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from gamestream.core.settings import Settings
from realtime_api.app import create_app


def openapi_text() -> str:
    """The document as the dashboard's generator reads it: stable key order, one trailing newline."""
    with tempfile.TemporaryDirectory() as folder:  # the app opens no warehouse to describe itself
        settings = Settings(_env_file=None, warehouse_url=f"duckdb:///{Path(folder) / 'none.duckdb'}")
        document: dict[str, Any] = create_app(settings, dashboard=None).openapi()
    return json.dumps(document, indent=2, sort_keys=True) + "\n"


def main(argv: list[str]) -> None:
    if len(argv) != 1:
        raise SystemExit("usage: python -m realtime_api.documents OUT.json")
    Path(argv[0]).write_text(openapi_text())


if __name__ == "__main__":
    main(sys.argv[1:])
