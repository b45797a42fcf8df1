"""Channel routes over fixture gold in DuckDB and PostgreSQL: each fixture game has a star (two
thirds of its viewers, English) and a sidekick (the rest, German on Twitch); Dota 2's star renamed
itself on the third day. Figures are checked against pandas over the fixture rows."""

from datetime import timedelta

import pytest

from tests.support.market import END, START


def star_hours(expected, platform: str, game: str) -> float:
    rows = expected[(expected.platform == platform) & (expected.game_key == game)]
    return float((rows.viewers - rows.viewers // 3).sum() * 300 / 3600)


def test_a_platforms_month_ranks_its_channels_by_a_monthly_column(client, expected):
    body = client.get("/api/platforms/twitch/channels/2026-11").json()
    assert body["metric"] == "hours_watched" and body["total"] == 8  # four categories, two channels each
    first = body["items"][0]
    assert (first["channel_id"], first["user_login"], first["rank"], first["platform_rank"]) == (
        "1justchattingstar",
        "justchatting_star",
        1,
        1,
    )
    assert first["hours_watched"] == pytest.approx(star_hours(expected, "twitch", "just chatting"))
    polls = expected[(expected.platform == "twitch") & (expected.game_key == "just chatting")]
    assert first["hours_streamed"] == pytest.approx(len(polls) * 300 / 3600)
    assert first["avg_viewers"] == pytest.approx(first["hours_watched"] / first["hours_streamed"])
    assert (first["streams"], first["games"], first["main_language"], first["is_partial"]) == (4, 1, "en", True)
    watched = [i["hours_watched"] for i in body["items"]]
    assert watched == sorted(watched, reverse=True)

    german = client.get("/api/platforms/twitch/channels/2026-11", params={"language": "de"}).json()
    assert german["total"] == 4 and {i["main_language"] for i in german["items"]} == {"de"}
    assert [i["rank"] for i in german["items"]] == [1, 2, 3, 4]
    by_peak = client.get("/api/platforms/twitch/channels/2026-11", params={"metric": "peak_viewers", "limit": 2}).json()
    assert len(by_peak["items"]) == 2 and by_peak["items"][0]["peak_viewers"] >= by_peak["items"][1]["peak_viewers"]
    assert client.get("/api/platforms/youtube/channels/2026-11").json()["total"] == 4


def test_channel_month_errors(client):
    assert client.get("/api/platforms/twitch/channels/2016-01").status_code == 404
    steam = client.get("/api/platforms/steam/channels/2026-11")
    assert steam.status_code == 422 and steam.json()["detail"][0]["loc"] == ["path", "platform"]
    for params in ({"metric": "charisma"}, {"language": "German!"}, {"limit": 0}):
        assert client.get("/api/platforms/twitch/channels/2026-11", params=params).status_code == 422


@pytest.mark.parametrize("named", ["dota2_star_tv", "DOTA2_STAR", "1dota2star", "Dota2 Star Tv", "dota2 star"])
def test_a_channel_is_found_by_id_login_or_name_now_or_before(client, named):
    body = client.get(f"/api/channels/twitch/{named}").json()
    assert (body["channel_id"], body["user_login"], body["channel_name"]) == (
        "1dota2star",
        "dota2_star_tv",
        "Dota2 Star Tv",
    )
    assert [n["user_login"] for n in body["names"]] == ["dota2_star_tv", "dota2_star"]  # newest first


def test_a_channels_page_has_its_months_and_games(client, expected):
    body = client.get("/api/channels/twitch/dota2_sidekick").json()
    (month,) = body["months"]
    rows = expected[(expected.platform == "twitch") & (expected.game_key == "dota 2")]
    assert month["month"] == "2026-11" and month["hours_watched"] == pytest.approx((rows.viewers // 3).sum() / 12)
    table = client.get("/api/platforms/twitch/channels/2026-11").json()["items"]
    ranked = [i["channel_id"] for i in table]
    assert month["main_language"] == "de" and month["rank"] == ranked.index(body["channel_id"]) + 1
    (game,) = body["games"]
    assert (game["game_key"], game["slug"], game["days"]) == ("dota 2", "dota-2", 4)
    assert game["hours_watched"] == pytest.approx(month["hours_watched"])
    assert body["first_seen_at"].startswith("2026-11-23T12:00")

    missing = client.get("/api/channels/twitch/dota2_sta")
    assert missing.status_code == 404 and "dota2_sta" in missing.json()["detail"]
    assert [s["user_login"] for s in missing.json()["suggestions"]] == ["dota2_star_tv"]
    assert client.get("/api/channels/steam/dota2_star_tv").status_code == 422
    assert client.get("/api/channels/youtube/dota2_star_tv").status_code == 404  # another platform's channel


def test_a_channels_series_holds_the_buckets_it_was_live_in(client, expected):
    params = {"from": START.isoformat(), "to": END.isoformat(), "resolution": "1h"}
    body = client.get("/api/channels/twitch/1fortnitestar/series", params=params).json()
    assert body["resolution"] == "1h" and len(body["points"]) == 72 - 1  # Twitch was not polled for an hour
    first = body["points"][0]
    rows = expected[(expected.platform == "twitch") & (expected.game_key == "fortnite")]
    hour = rows[rows.scheduled_at < START + timedelta(hours=1)]
    assert first["avg_viewers"] == pytest.approx((hour.viewers - hour.viewers // 3).mean())
    assert first["hours_streamed"] == pytest.approx(1.0)
    months = client.get("/api/channels/twitch/1fortnitestar/series", params={**params, "resolution": "1mo"}).json()
    assert len(months["points"]) == 1
    assert months["points"][0]["hours_watched"] == pytest.approx(star_hours(expected, "twitch", "fortnite"))


def test_a_games_channels_over_whole_days_with_their_share(client, expected):
    body = client.get("/api/games/Dota 2/channels", params={"from": "2026-11-23", "to": "2026-11-26T12:00"}).json()
    assert body["from"].startswith("2026-11-23T00:00") and body["to"].startswith("2026-11-27T00:00")  # whole days
    assert [i["user_login"] for i in body["items"]] == ["dota2_star_tv", "dota2_sidekick"] and body["total"] == 2
    rows = expected[(expected.platform == "twitch") & (expected.game_key == "dota 2")]
    assert body["hours_watched"] == pytest.approx(rows.viewers.sum() / 12)
    star, sidekick = body["items"]
    assert star["share_hours_watched"] == pytest.approx(
        star_hours(expected, "twitch", "dota 2") / body["hours_watched"]
    )
    assert star["share_hours_watched"] + sidekick["share_hours_watched"] == pytest.approx(1.0)
    second = client.get(
        "/api/games/Dota 2/channels", params={"from": "2026-11-23", "to": "2026-11-26T12:00", "limit": 1, "offset": 1}
    ).json()
    assert [i["user_login"] for i in second["items"]] == ["dota2_sidekick"] and second["items"][0]["rank"] == 2
    past = client.get(
        "/api/games/Dota 2/channels", params={"from": "2026-11-23", "to": "2026-11-26T12:00", "offset": 5}
    ).json()
    assert past["items"] == [] and past["total"] == 2 and past["hours_watched"] == body["hours_watched"]
    youtube = client.get("/api/games/minecraft/channels", params={"platform": "youtube", "from": "2026-11-23"}).json()
    assert youtube["total"] == 2 and youtube["items"][0]["channel_name"] == "Minecraft Star"
    assert client.get("/api/games/no such game/channels").status_code == 404
    for params in (
        {"platform": "steam"},
        {"from": "2026-11-26", "to": "2026-11-20"},
        {"from": "2024-01-01", "to": "2026-01-01"},
    ):
        assert client.get("/api/games/dota-2/channels", params=params).status_code == 422, params


def test_a_games_languages_per_day_and_month(client, expected):
    days = client.get("/api/games/dota-2/languages", params={"from": "2026-11-23", "to": "2026-11-27"}).json()
    assert [p["period_start"][:10] for p in days["periods"]] == ["2026-11-23", "2026-11-24", "2026-11-25", "2026-11-26"]
    first = days["periods"][0]["languages"]
    assert [(lang["language"], lang["channels"], lang["share_channels"]) for lang in first] == [
        ("en", 1, 0.5),
        ("de", 1, 0.5),
    ]
    assert first[0]["share_hours_watched"] == pytest.approx(2 / 3, abs=1e-4)
    (month,) = client.get("/api/games/dota-2/languages", params={"period": "1mo", "from": "2026-11-01"}).json()[
        "periods"
    ]
    assert month["period_start"].startswith("2026-11-01")
    english = month["languages"][0]
    assert english["language"] == "en"
    assert english["hours_watched"] == pytest.approx(star_hours(expected, "twitch", "dota 2"))
    (youtube,) = client.get(
        "/api/games/minecraft/languages", params={"platform": "youtube", "period": "1mo", "from": "2026-11-01"}
    ).json()["periods"]
    assert [lang["language"] for lang in youtube["languages"]] == ["unknown"]  # YouTube gives no language
    assert client.get("/api/games/dota-2/languages", params={"period": "1w"}).status_code == 422
