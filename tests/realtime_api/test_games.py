"""REST over fixture gold in DuckDB and PostgreSQL, checked against pandas over the fixture rows."""

from datetime import UTC, datetime, timedelta

import pytest

from realtime_api.models.games import Series
from tests.support.market import END, GAP, START


def window_average(expected, platform, game, start, end, column):
    """Mean over the platform's polls in [start, end) (equal 5-minute weights; absent game = 0)."""
    rows = expected[(expected.platform == platform) & (expected.scheduled_at >= start) & (expected.scheduled_at < end)]
    polls = rows.poll_id.nunique()
    return rows[rows.game_key == game][column].sum() / polls


def test_top_ranks_games_over_a_window_with_change_vs_the_window_before(client, expected):
    body = client.get("/api/games/top", params={"platform": "twitch", "window": "24h"}).json()
    assert body["metric"] == "avg_viewers" and body["total"] == 3  # Just Chatting left out
    assert [i["game_key"] for i in body["items"]] == ["dota 2", "fortnite", "minecraft"]
    start = END - timedelta(hours=24)
    for item in body["items"]:
        now = window_average(expected, "twitch", item["game_key"], start, END, "viewers")
        before = window_average(expected, "twitch", item["game_key"], start - timedelta(hours=24), start, "viewers")
        assert item["avg_viewers"] == pytest.approx(now, rel=1e-9)
        assert item["change"] == pytest.approx(now - before, rel=1e-9)
        assert item["growth"] == pytest.approx((now - before) / before, rel=1e-9)  # 23 vs 24 covered hours: comparable
        peak = expected[
            (expected.platform == "twitch") & (expected.game_key == item["game_key"]) & (expected.scheduled_at >= start)
        ].viewers.max()
        assert item["peak_viewers"] == peak
    everything = client.get("/api/games/top", params={"platform": "twitch", "include_non_games": True}).json()
    assert everything["items"][0]["game_key"] == "just chatting" and not everything["items"][0]["is_game"]
    page = client.get("/api/games/top", params={"platform": "twitch", "limit": 1, "offset": 1}).json()
    assert (
        [i["game_key"] for i in page["items"]] == ["fortnite"] and page["items"][0]["rank"] == 2 and page["total"] == 3
    )


def test_top_by_players_on_steam_and_the_now_window(client, expected):
    body = client.get("/api/games/top", params={"platform": "steam", "window": "now"}).json()
    assert body["metric"] == "avg_players"
    last = expected[(expected.platform == "steam") & (expected.scheduled_at == expected.scheduled_at.max())]
    assert {i["game_key"]: i["avg_players"] for i in body["items"]} == dict(
        zip(last.game_key, last.players.astype(float))
    )
    hours = client.get(
        "/api/games/top", params={"platform": "twitch", "metric": "hours_watched", "window": "7d"}
    ).json()
    want = expected[(expected.platform == "twitch") & (expected.game_key == "dota 2")].viewers.sum() * 300 / 3600
    assert hours["items"][0]["game_key"] == "dota 2" and hours["items"][0]["hours_watched"] == pytest.approx(want)


def test_bad_parameters_get_422_naming_the_parameter(client):
    for params, name in (
        ({"platform": "xbox"}, "platform"),
        ({"metric": "likes"}, "metric"),
        ({"window": "1y"}, "window"),
        ({"limit": 0}, "limit"),
        ({"offset": -1}, "offset"),
    ):
        response = client.get("/api/games/top", params=params)
        assert response.status_code == 422 and response.json()["detail"][0]["loc"][-1] == name, params
    response = client.get("/api/games/dota 2/series", params={"from": END.isoformat(), "to": START.isoformat()})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "to"]
    response = client.get(
        "/api/games/dota 2/series", params={"from": (END - timedelta(days=60)).isoformat(), "resolution": "5m"}
    )
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "resolution"]


def test_search_finds_games_by_name_and_treats_wildcards_literally(client):
    found = client.get("/api/games/search", params={"q": "DOTA"}).json()
    assert [g["game_key"] for g in found["items"]] == ["dota 2"] and found["total"] == 1
    assert client.get("/api/games/search", params={"q": "%"}).json()["items"] == []
    assert client.get("/api/games/search", params={"q": "_"}).json()["items"] == []
    only_games = client.get("/api/games/search", params={"q": "chat", "include_non_games": False}).json()
    assert only_games["items"] == []


def test_game_detail_with_reviews_and_404_for_unknown_games(client, expected):
    body = client.get("/api/games/dota 2").json()
    assert body["name"] == "Dota 2" and body["steam_app_id"] == 570 and body["is_game"]
    assert body["reviews"]["review_score"] == 8 and body["reviews"]["positive_ratio"] == pytest.approx(0.9)
    assert set(body["platforms"]) == {"steam", "twitch"}
    last_hour = expected[
        (expected.platform == "twitch")
        & (expected.game_key == "dota 2")
        & (expected.scheduled_at >= END - timedelta(hours=1))
    ]
    assert body["platforms"]["twitch"]["avg_viewers"] == pytest.approx(last_hour.viewers.mean())
    assert body["platforms"]["twitch"]["top_channel"] == "dota 2 star"
    missing = client.get("/api/games/no such game")
    assert missing.status_code == 404 and "no such game" in missing.json()["detail"]
    assert client.get("/api/games/no such game/series").status_code == 404


def test_series_shows_gaps_as_gaps_and_absences_as_zero(client, expected):
    body = client.get(
        "/api/games/minecraft/series",
        params={
            "from": (GAP[0] - timedelta(hours=2)).isoformat(),
            "to": (GAP[1] + timedelta(hours=2)).isoformat(),
            "platform": "twitch",
        },
    ).json()
    assert body["resolution"] == "5m"  # 5 hours: auto picks 5-minute buckets
    Series.model_validate(body)  # written by orjson, it still is the answer its model documents
    points = body["series"]["twitch"]
    assert len(points) == 5 * 12
    gap = [p for p in points if p["gap"]]
    assert len(gap) == 12 and all(p["avg_viewers"] is None and p["coverage"] == 0 for p in gap)
    zero = [p for p in points if not p["gap"] and p["avg_viewers"] == 0]
    assert zero and all(p["coverage"] == 1 for p in zero)  # polled, Minecraft absent: 0 viewers, not a gap
    hourly = client.get(
        "/api/games/dota 2/series",
        params={"from": START.isoformat(), "to": END.isoformat(), "resolution": "1h", "platform": ["steam", "twitch"]},
    ).json()
    Series.model_validate(hourly)  # Steam's unsampled buckets, Twitch's absences
    steam = hourly["series"]["steam"]
    assert len(steam) == 72 and set(hourly["series"]) == {"steam", "twitch"}
    first_hour = expected[
        (expected.platform == "steam")
        & (expected.game_key == "dota 2")
        & (expected.scheduled_at < START + timedelta(hours=1))
    ]
    assert steam[0]["avg_players"] == pytest.approx(first_hour.players.mean())
    assert steam[0]["peak_players"] == first_hour.players.max()
    long = client.get("/api/games/dota 2/series", params={"from": START.isoformat(), "to": END.isoformat()}).json()
    assert long["resolution"] == "1h"  # three days: auto picks hourly buckets


def test_players_vs_viewers(client, expected):
    body = client.get(
        "/api/games/dota 2/players-vs-viewers",
        params={"from": (END - timedelta(hours=3)).isoformat(), "to": END.isoformat(), "resolution": "1h"},
    ).json()
    assert len(body["points"]) == 3
    last = body["points"][-1]
    hour = expected[(expected.game_key == "dota 2") & (expected.scheduled_at >= END - timedelta(hours=1))]
    players = hour[hour.platform == "steam"].players.mean()
    viewers = hour[hour.platform == "twitch"].viewers.mean()
    assert last["avg_players"] == pytest.approx(players) and last["twitch_avg_viewers"] == pytest.approx(viewers)
    assert last["viewers_per_player"] == pytest.approx(viewers / players)


def test_movers_rank_risers_and_fallers(client, expected):
    risers = client.get("/api/movers", params={"platform": "twitch", "window": "24h"}).json()
    fallers = client.get("/api/movers", params={"platform": "twitch", "window": "24h", "direction": "fallers"}).json()
    assert risers["items"][0]["game_key"] == "fortnite" and all(i["change"] > 0 for i in risers["items"])
    assert fallers["items"][0]["game_key"] == "minecraft" and all(i["change"] < 0 for i in fallers["items"])
    start = END - timedelta(hours=24)
    now = window_average(expected, "twitch", "fortnite", start, END, "viewers")
    before = window_average(expected, "twitch", "fortnite", start - timedelta(hours=24), start, "viewers")
    assert risers["items"][0]["change"] == pytest.approx(now - before)
    assert "just chatting" not in {i["game_key"] for i in risers["items"] + fallers["items"]}


def test_games_are_found_by_slug_key_or_name_as_written(client):
    for written in ("counter-strike-2", "counter strike 2", "Counter-Strike 2", "COUNTER STRIKE 2™"):
        body = client.get(f"/api/games/{written}").json()
        assert (body["game_key"], body["slug"], body["name"]) == (
            "counter strike 2",
            "counter-strike-2",
            "Counter-Strike 2",
        )
    assert client.get("/api/games/search", params={"q": "counter"}).json()["items"][0]["slug"] == "counter-strike-2"
    series = client.get("/api/games/Dota-2/series", params={"platform": "steam"}).json()
    assert series["game_key"] == "dota 2" and series["series"]["steam"]


def test_unknown_games_get_a_404_suggesting_close_matches(client):
    missing = client.get("/api/games/minecraf")
    assert missing.status_code == 404 and "minecraf" in missing.json()["detail"]
    assert missing.json()["suggestions"][0] == {"game_key": "minecraft", "slug": "minecraft", "name": "Minecraft"}
    assert client.get("/api/games/zzzzzz/months").json()["suggestions"] == []


def test_rankings_over_any_range(client, expected):
    trailing = client.get("/api/games/top", params={"platform": "twitch", "window": "24h"}).json()
    ranged = client.get(
        "/api/games/top",
        params={"platform": "twitch", "from": (END - timedelta(hours=24)).isoformat(), "to": END.isoformat()},
    ).json()
    assert ranged["resolution"] == "1h" and ranged["window"] is None
    assert ranged["window_start"] == trailing["window_start"] and len(ranged["items"]) == len(trailing["items"])
    for mine, theirs in zip(ranged["items"], trailing["items"], strict=True):  # sums in any order: float noise
        assert mine.keys() == theirs.keys() and mine["game_key"] == theirs["game_key"]
        for field, value in theirs.items():
            assert mine[field] == (pytest.approx(value, rel=1e-9) if isinstance(value, float) else value), field
    days = client.get("/api/games/top", params={"platform": "twitch", "from": "2026-11-24", "to": "2026-11-26"}).json()
    assert days["resolution"] == "1d"
    start, end = datetime(2026, 11, 24, tzinfo=UTC), datetime(2026, 11, 26, tzinfo=UTC)
    for item in days["items"]:
        now = window_average(expected, "twitch", item["game_key"], start, end, "viewers")
        before = window_average(expected, "twitch", item["game_key"], start - (end - start), start, "viewers")
        assert item["avg_viewers"] == pytest.approx(now, rel=1e-9)
        assert item["change"] == pytest.approx(now - before, rel=1e-9)
    month = client.get("/api/games/top", params={"platform": "steam", "from": "2026-11-01", "to": "2026-12-01"}).json()
    assert month["resolution"] == "1mo" and month["items"][0]["game_key"] == "counter strike 2"
    assert month["items"][0]["avg_players"] == pytest.approx(
        window_average(expected, "steam", "counter strike 2", START, END, "players"), rel=1e-9
    )
    assert month["items"][0]["change"] is None  # no October in gold
    movers = client.get(
        "/api/movers",
        params={"platform": "twitch", "from": (END - timedelta(hours=24)).isoformat(), "to": END.isoformat()},
    ).json()
    assert [i["game_key"] for i in movers["items"]] == [
        i["game_key"] for i in client.get("/api/movers", params={"platform": "twitch"}).json()["items"]
    ]


def test_a_range_given_only_its_start_ends_now_on_the_starts_unit(client):
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    day_start = today - timedelta(days=3)
    hour_start = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - timedelta(hours=30)
    # Starts aligned to their own unit only: a day start on the 1st would be read as a month, an hour at midnight as a day.
    day_start -= timedelta(days=day_start.day == 1)
    hour_start -= timedelta(hours=hour_start.hour == 0)
    for start, resolution in ((day_start, "1d"), (hour_start, "1h"), (today.replace(day=1), "1mo")):
        response = client.get("/api/games/top", params={"platform": "twitch", "from": start.isoformat()})
        assert response.status_code == 200, (start, response.text)
        assert response.json()["resolution"] == resolution
        assert datetime.fromisoformat(response.json()["window_start"]) == start


def test_ranges_are_validated_and_bounded(client):
    for params, name, message in (
        ({"from": "2026-11-25", "to": "2026-11-24"}, "to", "after from"),
        ({"from": "2024-01-01", "to": "2026-01-01"}, "from", "at most 366"),
        ({"from": "2026-11-01T00:05:00Z", "to": "2026-11-20T00:05:00Z"}, "from", "align from and to"),
        ({"from": "yesterday"}, "from", ""),
        ({"from": "0001-01-01", "to": "0001-02-01"}, "to", "years 1970 to 9000"),
    ):
        for path in ("/api/games/top", "/api/movers"):
            response = client.get(path, params=params)
            detail = response.json()["detail"][0]
            assert response.status_code == 422 and detail["loc"] == ["query", name] and message in detail["msg"], params


def test_series_carry_each_buckets_weights_and_months(client, expected):
    hourly = client.get(
        "/api/games/dota 2/series",
        params={"from": START.isoformat(), "to": END.isoformat(), "resolution": "1h", "platform": "twitch"},
    ).json()["series"]["twitch"]
    observed = sum(p["observed_seconds"] for p in hourly)
    combined = sum(p["avg_viewers"] * p["observed_seconds"] for p in hourly if not p["gap"]) / observed
    assert combined == pytest.approx(window_average(expected, "twitch", "dota 2", START, END, "viewers"), rel=1e-9)
    assert all(p["covered_seconds"] == pytest.approx(p["coverage"] * 3600) for p in hourly)
    assert [p["covered_seconds"] for p in hourly if p["gap"]] == [0.0]  # the hour Twitch was not polled
    monthly = client.get(
        "/api/games/dota 2/series", params={"from": "2026-10-01", "to": "2026-12-01", "resolution": "1mo"}
    ).json()
    october, november = monthly["series"]["twitch"]
    assert october["gap"] and october["bucket_start"].startswith("2026-10-01")
    assert november["observed_seconds"] == observed and november["avg_viewers"] == pytest.approx(combined)
    assert november["is_partial"] and november["coverage"] == pytest.approx(observed / (30 * 86400))
    response = client.get("/api/games/dota 2/players-vs-viewers", params={"resolution": "1mo"})
    assert response.status_code == 422 and response.json()["detail"][0]["loc"] == ["query", "resolution"]
