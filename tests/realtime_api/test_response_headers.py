"""What every answer says about itself: compressed when the client accepts it, security headers (the
content security policy everywhere but the Swagger UI), and the dashboard's caching rules."""

import json

from fastapi.testclient import TestClient

from realtime_api.app import create_app
from realtime_api.response_headers import CONTENT_SECURITY_POLICY, IMMUTABLE, REVALIDATE
from tests.support.market import END

SERIES = "/api/games/dota 2/series"


def test_answers_are_compressed_when_the_client_accepts_it(client):
    params = {"to": END.isoformat(), "resolution": "5m"}
    packed = client.get(SERIES, params=params, headers={"Accept-Encoding": "gzip"})
    plain = client.get(SERIES, params=params, headers={"Accept-Encoding": "identity"})
    assert packed.headers["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain.headers
    assert "Accept-Encoding" in packed.headers["Vary"]  # caches keep both forms apart
    assert int(packed.headers["Content-Length"]) < len(plain.content) / 3  # what travelled
    assert packed.json() == plain.json() and len(plain.json()["series"]["twitch"]) > 100
    small = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert len(small.content) < 1024 and "Content-Encoding" not in small.headers  # not worth compressing


def test_every_answer_carries_the_security_headers(client):
    for path in ("/api/overview", "/api/games/no such game", "/healthz", "/api/openapi.json"):
        response = client.get(path)
        assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY, path
        assert response.headers["X-Content-Type-Options"] == "nosniff", path
        assert response.headers["X-Frame-Options"] == "DENY", path
    docs = client.get("/api/docs")  # Swagger UI runs scripts from a CDN: no policy, the other headers
    assert docs.status_code == 200 and "Content-Security-Policy" not in docs.headers
    assert docs.headers["X-Content-Type-Options"] == "nosniff"


def test_hashed_assets_are_immutable_and_the_page_is_revalidated(tmp_path, gold_settings):
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text('<html><script type="module" src="/assets/index-Ab12Cd34.js"></script></html>')
    script = "export const rows = " + json.dumps([{"game": "dota 2", "viewers": n} for n in range(200)]) + ";\n"
    (tmp_path / "assets" / "index-Ab12Cd34.js").write_text(script)
    with TestClient(create_app(gold_settings, dashboard=tmp_path)) as app:
        page = app.get("/")
        asset = app.get("/assets/index-Ab12Cd34.js", headers={"Accept-Encoding": "gzip"})
        assert page.headers["Cache-Control"] == REVALIDATE and page.headers["Content-Security-Policy"]
        assert asset.headers["Cache-Control"] == IMMUTABLE
        assert asset.headers["Content-Encoding"] == "gzip" and asset.text == script
