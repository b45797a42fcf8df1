"""Health, readiness, metrics, CORS, and the documented 503 when the warehouse or Redis is down."""

import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from gamestream.core.settings import Settings
from realtime_api.app import create_app
from streaming_jobs.live import PollUpdate
from tests.support.market import END, GAMES, START

DOWN_WAREHOUSE = "postgresql://postgres@127.0.0.1:1/none"
DOWN_REDIS = "redis://127.0.0.1:1/0"


def wait_ready(client: TestClient) -> dict:
    """/readyz once the warehouse cache has warmed (a second or less on the fixture gold)."""
    deadline = time.monotonic() + 30
    while (ready := client.get("/readyz")).status_code != 200 and time.monotonic() < deadline:
        assert ready.json()["status"] == "warming", ready.json()
        time.sleep(0.05)
    assert ready.status_code == 200, ready.json()
    return ready.json()


def test_health_ready_and_metrics_when_everything_is_up(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = wait_ready(client)
    assert ready["checks"] == {"warehouse": "ok", "redis": "ok", "warehouse_cache": "warm"}
    client.get("/api/games/top")
    metrics = client.get("/metrics").text
    assert 'gst_api_requests_total{route="/api/games/top",status="200"} 1.0' in metrics
    assert "gst_api_request_seconds_bucket" in metrics and "gst_ws_clients 0.0" in metrics


def test_cors_allows_only_the_configured_origins(client):
    allowed = client.get("/api/games/top", headers={"Origin": "http://127.0.0.1:8000"})
    assert allowed.headers.get("access-control-allow-origin") == "http://127.0.0.1:8000"
    other = client.get("/api/games/top", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


@pytest.mark.parametrize(
    "path",
    ["/api/games/top", "/api/games/search?q=dota", "/api/games/dota 2", "/api/games/dota 2/series", "/api/movers"],
)
def test_warehouse_down_answers_503_with_a_message(path, api_redis_url):
    settings = Settings(_env_file=None, warehouse_url=DOWN_WAREHOUSE, redis_url=api_redis_url)
    with TestClient(create_app(settings, dashboard=None)) as down:
        response = down.get(path)
        assert response.status_code == 503 and "warehouse cannot be reached" in response.json()["detail"]
        assert response.headers["retry-after"] == "5"
        assert "postgres@" not in response.text  # no connection details leak
        ready = down.get("/readyz")
        assert ready.status_code == 503 and ready.json()["checks"]["redis"] == "ok"


@pytest.mark.parametrize("path", ["/api/live/twitch", "/api/overview", "/api/platforms/steam/overview"])
def test_redis_down_answers_503_with_a_message(path, gold_settings):
    settings = gold_settings.model_copy(update={"redis_url": DOWN_REDIS})
    with TestClient(create_app(settings, dashboard=None)) as down:
        response = down.get(path)
        assert response.status_code == 503 and "Redis" in response.json()["detail"]
        assert down.get("/api/games/top").status_code == 200  # gold answers on its own
        ready = down.get("/readyz")
        assert ready.status_code == 503 and ready.json()["status"] == "degraded"


def test_a_category_gold_does_not_know_yet_is_left_out_by_its_live_flag(client, live):
    """A fresh install: the poll query flags Music as no game from its first poll, before gold has it."""
    later = END + timedelta(minutes=5)
    music = {"key": "music", "name": "Music", "value": 10**9, "viewers": 10**9, "channels": 1, "players": 0}
    live.apply("fixture", 1, [PollUpdate("twitch", "twitch_head:1", later.isoformat(), later.timestamp(), False,
                                         [{**music, "is_game": False}])])  # fmt: skip
    body = client.get("/api/overview").json()
    twitch = {p["platform"]: p for p in body["platforms"]}["twitch"]["live"]["games"]
    assert "music" in body["non_games"] and "music" not in [g["game"] for g in twitch]
    everything = client.get("/api/platforms/twitch/overview", params={"include_non_games": True}).json()
    first = everything["live"]["games"][0]
    assert (first["game"], first["is_game"]) == ("music", False)


def test_overview_combines_live_and_the_latest_hour(client):
    body = client.get("/api/overview").json()
    platforms = {p["platform"]: p for p in body["platforms"]}
    assert body["non_games"] == ["just chatting"]
    assert set(platforms) == {"steam", "twitch", "youtube"}
    twitch = platforms["twitch"]
    assert [g["game"] for g in twitch["live"]["games"]] and "just chatting" not in [
        g["game"] for g in twitch["live"]["games"]
    ]
    assert twitch["live"]["total"] == sum(g["value"] for g in client.get("/api/live/twitch").json()["games"])
    hour = twitch["last_hour"]
    assert hour["games"][0]["game_key"] == "dota 2" and hour["games"][0]["change_4h"] is not None
    steam = platforms["steam"]["last_hour"]["games"]
    assert {g["game_key"]: g["review_score"] for g in steam}["dota 2"] == 8

    # the last hour of 5-minute totals gold has, one poll per bucket in the fixture
    recent = twitch["recent"]
    assert len(recent) == 12 and recent[-1]["bucket_start"].startswith(
        (END - timedelta(minutes=5)).strftime("%Y-%m-%dT%H:%M")
    )
    for point in recent:
        k = int((datetime.fromisoformat(point["bucket_start"]) - START).total_seconds() // 300)
        total = sum(int(v(k)) for key, v in GAMES["twitch"].items() if not (key == "minecraft" and k % 24 == 5))
        assert point["avg_total"] == pytest.approx(total) and point["coverage"] == pytest.approx(1.0)


def test_the_dashboard_is_served_at_the_root_when_built(tmp_path, gold_settings):
    (tmp_path / "index.html").write_text("<html><body>dashboard</body></html>")
    with TestClient(create_app(gold_settings, dashboard=tmp_path)) as app:
        assert "dashboard" in app.get("/").text
        assert app.get("/api/docs").status_code == 200


def test_without_a_built_dashboard_the_root_says_how_to_build_it(tmp_path, gold_settings):
    with TestClient(create_app(gold_settings, dashboard=tmp_path / "dashboard")) as app:
        root = app.get("/")
        assert root.status_code == 200 and "not built" in root.text and "npm run build" in root.text
        wait_ready(app)


def test_readiness_waits_for_the_warehouse_cache(gold_settings):
    app = create_app(gold_settings, dashboard=None)
    not_started = TestClient(app).get("/readyz")  # no lifespan: the warm-up has not run
    assert not_started.status_code == 503
    assert not_started.json() == {
        "status": "warming",
        "checks": {"warehouse": "ok", "redis": "ok", "warehouse_cache": "cold"},
    }
    with TestClient(app) as started:
        assert wait_ready(started)["checks"]["warehouse_cache"] == "warm"
    off = gold_settings.model_copy(update={"api_prewarm_days": 0})
    with TestClient(create_app(off, dashboard=None)) as unwarmed:
        assert wait_ready(unwarmed)["checks"]["warehouse_cache"] == "off"
