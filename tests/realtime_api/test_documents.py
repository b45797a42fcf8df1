"""The OpenAPI document the dashboard's types are generated from is the API's current one (the
TypeScript generated from it is checked by `npm test`)."""

from pathlib import Path

from realtime_api.documents import openapi_text

COMMITTED = Path(__file__).resolve().parents[2] / "frontend" / "src" / "generated" / "openapi.json"


def test_the_dashboards_copy_of_the_openapi_document_is_current():
    assert COMMITTED.read_text() == openapi_text(), (
        "the API's answers changed: run `.venv/bin/python -m realtime_api.documents frontend/src/generated/openapi.json` "
        "and `cd frontend && npm run types`, and commit both files"
    )
