"""Monthly tables over fixture gold (November 2026 only) in DuckDB and PostgreSQL, checked against
pandas over the fixture rows."""

import pytest

from tests.realtime_api.test_games import window_average
from tests.support.market import END, START


def test_a_platforms_month_ranks_games_with_the_monthly_columns(client, expected):
    body = client.get("/api/platforms/twitch/months/2026-11").json()
    assert body["metric"] == "avg_viewers" and body["total"] == 3  # Just Chatting left out
    assert [i["game_key"] for i in body["items"]] == ["dota 2", "minecraft", "fortnite"]
    twitch = expected[expected.platform == "twitch"]
    for item in body["items"]:
        rows = twitch[twitch.game_key == item["game_key"]]
        assert item["avg_viewers"] == pytest.approx(
            window_average(expected, "twitch", item["game_key"], START, END, "viewers")
        )
        assert item["peak_viewers"] == rows.viewers.max() and item["peak_channels"] == rows.channels.max()
        assert item["hours_watched"] == pytest.approx(rows.viewers.sum() * 300 / 3600)
        assert item["avg_viewer_ratio"] == pytest.approx(rows.viewers.sum() / rows.channels.sum())
        assert item["gain"] is None and item["growth"] is None  # no October in gold
        assert item["slug"] == item["game_key"].replace(" ", "-") and item["is_partial"]
    assert body["items"][0]["rank"] == 1 and body["items"][0]["platform_rank"] == 2  # Just Chatting is first
    summary = body["summary"]
    assert summary["observed_seconds"] == twitch.poll_id.nunique() * 300 and summary["is_partial"]
    by_peak = client.get("/api/platforms/twitch/months/2026-11", params={"metric": "peak_viewers", "limit": 1}).json()
    assert by_peak["items"][0]["peak_viewers"] == max(i["peak_viewers"] for i in body["items"])


def test_months_listed_per_platform_and_per_game(client, expected):
    listed = client.get("/api/platforms/steam/months").json()["months"]
    assert [m["month"] for m in listed] == ["2026-11"]
    steam = expected[expected.platform == "steam"]
    assert listed[0]["peak_total"] == steam.groupby("poll_id").players.sum().max()
    game = client.get("/api/games/Counter-Strike 2/months").json()
    assert game["slug"] == "counter-strike-2" and game["months"]["twitch"] == []
    (month,) = game["months"]["steam"]
    assert month["month"] == "2026-11" and month["rank"] == 1
    want = window_average(expected, "steam", "counter strike 2", START, END, "players")
    assert month["avg_players"] == pytest.approx(want)
    only = client.get("/api/games/dota-2/months", params={"platform": "twitch"}).json()
    assert list(only["months"]) == ["twitch"]


def test_month_errors(client):
    missing = client.get("/api/platforms/twitch/months/2016-01")
    assert missing.status_code == 404 and "2016-01" in missing.json()["detail"]
    for month in ("2016-13", "2016-1", "0000-01", "january"):
        response = client.get(f"/api/platforms/twitch/months/{month}")
        assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["path", "month"]
    assert client.get("/api/platforms/xbox/months").status_code == 422
