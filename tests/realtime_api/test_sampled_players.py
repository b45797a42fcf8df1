"""Steam players where an app is absent from some polls (tests/support/silver.py, sampled_totals:
uneven poll weights, a poll that saw half the platform, dota 2 missing every third Steam poll and a
long-tail app sampled once an hour), over gold in DuckDB and PostgreSQL: an app's average is over the
polls that sampled it, a bucket without it is a gap (never 0 players), while a Twitch game absent
from a poll still counts 0 viewers. Checked against pandas over the silver rows."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest
from fastapi.testclient import TestClient

from batch_jobs.gold.loads import run_gold
from gamestream.core.lake import GAMES_SCHEMA, Lake
from gamestream.core.settings import Settings
from realtime_api.app import create_app
from tests.support.postgres import fresh_database
from tests.support.silver import SAMPLED_START, sampled_totals

NAMES = {"counter strike 2": "Counter-Strike 2", "dota 2": "Dota 2", "long tail": "Long Tail", "fortnite": "Fortnite"}
HALF = SAMPLED_START + timedelta(minutes=10 * 200)  # the Steam poll that saw half the platform


@pytest.fixture(scope="module", params=["duckdb", "postgresql"])
def sampled(request, tmp_path_factory, api_redis_url):
    """The app over gold built from three days of sampled_totals, and the silver rows with each
    poll's weight (the gap to the platform's next poll, at most its interval) and coverage."""
    folder = tmp_path_factory.mktemp(f"sampled-{request.param}")
    if request.param == "duckdb":
        url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"), "gst_api_sampled")
    settings = Settings(_env_file=None).model_copy(
        update={
            "lake_root": str(folder / "lake"),
            "data_dir": folder / "data",
            "warehouse_url": url,
            "redis_url": api_redis_url,
        }
    )
    data = sampled_totals(days=3)
    lake = Lake(settings.lake_path)
    lake.append("silver/game_poll_totals", data, 0, ["poll_date"])
    first, last = SAMPLED_START, SAMPLED_START + timedelta(days=3)
    games = [
        {"game_key": key, "name": name, "steam_app_id": None, "is_game": True, "aliases": [name]}
        | {"first_seen_at": first, "last_seen_at": last}
        for key, name in NAMES.items()
    ]
    lake.append("silver/games", pa.Table.from_pylist(games, schema=GAMES_SCHEMA), 0, [])
    run_gold(settings)
    frame = data.to_pandas()
    polls = []
    for _, part in frame.groupby("platform"):
        one = part.drop_duplicates("poll_id").sort_values("scheduled_at")
        gaps = one.scheduled_at.shift(-1).sub(one.scheduled_at).dt.total_seconds()
        polls.append(
            one[["poll_id", "platform", "scheduled_at", "coverage"]].assign(
                weight=gaps.fillna(one.interval_seconds).clip(upper=one.interval_seconds)
            )
        )
    weighed = pd.concat(polls)
    rows = frame[["poll_id", "game_key", "players", "viewers"]].merge(weighed, on="poll_id")
    with TestClient(create_app(settings, dashboard=None)) as client:
        yield client, weighed, rows


def in_range(frame: pd.DataFrame, platform: str, start: datetime, end: datetime) -> pd.DataFrame:
    return frame[(frame.platform == platform) & (frame.scheduled_at >= start) & (frame.scheduled_at < end)]


def bucket_of(times: pd.Series, seconds: int | None) -> pd.Series:
    """Each time's bucket: epoch // seconds, or its calendar month when seconds is None."""
    if seconds is None:
        return times.map(lambda t: t.year * 12 + t.month)
    return times.map(lambda t: int(t.timestamp()) // seconds)


def ranged(polls, rows, platform, game, start, end, seconds: int | None) -> float:
    """An average over [start, end) as game_windows combines buckets: viewers over the covered seconds
    (a poll without the game counts 0); players over the app's own polls, each weighing its seconds
    x its bucket's covered / observed seconds (a poll without the app is a gap)."""
    p = in_range(polls, platform, start, end).copy()
    p["bucket"] = bucket_of(p.scheduled_at, seconds)
    observed = p.groupby("bucket").weight.sum()
    covered = (p.weight * p.coverage).groupby(p.bucket).sum()
    if seconds is not None:
        covered = covered.clip(upper=seconds)
    share = covered / observed
    r = in_range(rows, platform, start, end)
    r = r[r.game_key == game].assign(bucket=lambda x: bucket_of(x.scheduled_at, seconds))
    weight = r.weight * r.bucket.map(share)
    if platform == "steam":
        return (r.players * weight).sum() / weight.sum()
    return (r.viewers * weight).sum() / covered.sum()


def sampled_mean(rows, game, start, end) -> float:
    """The time-weighted mean of an app's players over the Steam polls in [start, end) that sampled it."""
    r = in_range(rows, "steam", start, end)
    r = r[r.game_key == game]
    return (r.players * r.weight).sum() / r.weight.sum()


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)


def test_a_ranking_over_a_range_averages_players_over_the_polls_that_sampled_the_app(sampled):
    client, polls, rows = sampled
    # twelve hours with the poll that saw half the platform, and the twelve before them
    start, end = SAMPLED_START + timedelta(days=1), SAMPLED_START + timedelta(days=1, hours=12)
    assert start <= HALF < end
    before = start - (end - start)
    body = client.get(
        "/api/games/top", params={"platform": "steam", "from": start.isoformat(), "to": end.isoformat()}
    ).json()
    assert body["resolution"] == "1h" and body["metric"] == "avg_players"
    items = {i["game_key"]: i for i in body["items"]}
    assert list(items) == ["counter strike 2", "dota 2", "long tail"]
    for game, item in items.items():
        want = ranged(polls, rows, "steam", game, start, end, 3600)
        previous = ranged(polls, rows, "steam", game, before, start, 3600)
        assert item["avg_players"] == pytest.approx(want, rel=1e-9), game
        assert item["previous"] == pytest.approx(previous, rel=1e-9), game
        assert item["change"] == pytest.approx(want - previous, rel=1e-6), game
        # the previous twelve hours saw the whole platform: a plain time-weighted mean over the samples
        assert previous == pytest.approx(sampled_mean(rows, game, before, start), rel=1e-12)
    # dota 2 missed a third of the polls: counting them as 0 players would put it a third lower
    steam = in_range(polls, "steam", start, end)
    dota = in_range(rows, "steam", start, end).query("game_key == 'dota 2'")
    assert items["dota 2"]["avg_players"] > 1.4 * (dota.players * dota.weight).sum() / steam.weight.sum()
    assert items["long tail"]["avg_players"] > 50  # sampled once an hour: 50 to 66 players each time
    movers = (
        client.get(
            "/api/movers",
            params={"platform": "steam", "from": start.isoformat(), "to": end.isoformat(), "direction": "fallers"},
        ).json()["items"]
        + client.get(
            "/api/movers", params={"platform": "steam", "from": start.isoformat(), "to": end.isoformat()}
        ).json()["items"]
    )
    assert movers and all(m["current"] == pytest.approx(items[m["game_key"]]["avg_players"]) for m in movers)
    # a Twitch game absent from a poll still counts 0 viewers there
    twitch = client.get(
        "/api/games/top", params={"platform": "twitch", "from": start.isoformat(), "to": end.isoformat()}
    ).json()
    fortnite = next(i for i in twitch["items"] if i["game_key"] == "fortnite")
    want = ranged(polls, rows, "twitch", "fortnite", start, end, 3600)
    seen = in_range(rows, "twitch", start, end).query("game_key == 'fortnite'")
    assert fortnite["avg_viewers"] == pytest.approx(want, rel=1e-9)
    assert fortnite["avg_viewers"] < 0.8 * (seen.viewers * seen.weight).sum() / seen.weight.sum()
    assert fortnite["avg_players"] is None


def test_ranges_of_days_and_months_agree_with_gold(sampled):
    client, polls, rows = sampled
    # the 30-day window (whole days) read from gold.game_windows and from the range's daily buckets
    window = client.get("/api/games/top", params={"platform": "steam", "window": "30d"}).json()
    days = client.get(
        "/api/games/top", params={"platform": "steam", "from": window["window_start"], "to": window["window_end"]}
    ).json()
    assert days["resolution"] == "1d"
    assert [(i["game_key"], pytest.approx(i["avg_players"], rel=1e-9)) for i in window["items"]] == [
        (i["game_key"], i["avg_players"]) for i in days["items"]
    ]
    start, end = at(window["window_start"]), at(window["window_end"])
    for item in days["items"]:
        assert item["avg_players"] == pytest.approx(
            ranged(polls, rows, "steam", item["game_key"], start, end, 86400), rel=1e-9
        )
    # one month: the month's own average over the polls that sampled the app
    november = client.get(
        "/api/games/top", params={"platform": "steam", "from": "2026-11-01", "to": "2026-12-01"}
    ).json()
    assert november["resolution"] == "1mo"
    first, last = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    for item in november["items"]:
        assert item["avg_players"] == pytest.approx(sampled_mean(rows, item["game_key"], first, last), rel=1e-9)
    table = client.get("/api/platforms/steam/months/2026-11").json()["items"]
    assert {i["game_key"]: pytest.approx(i["avg_players"], rel=1e-9) for i in table} == {
        i["game_key"]: i["avg_players"] for i in november["items"]
    }
    # two months: each weighs its seconds that sampled the app x its covered / observed seconds
    both = client.get("/api/games/top", params={"platform": "steam", "from": "2026-11-01", "to": "2027-01-01"}).json()
    assert both["resolution"] == "1mo"
    for item in both["items"]:
        want = ranged(polls, rows, "steam", item["game_key"], first, datetime(2027, 1, 1, tzinfo=UTC), None)
        assert item["avg_players"] == pytest.approx(want, rel=1e-9), item["game_key"]


def game_series(
    client: TestClient, game: str, platform: str, start: datetime | str, end: datetime | str, resolution: str
) -> list[dict]:
    """The game's series points on one platform over [start, end)."""
    bounds = [t.isoformat() if isinstance(t, datetime) else t for t in (start, end)]
    params = {"from": bounds[0], "to": bounds[1], "resolution": resolution, "platform": platform}
    answer = client.get(f"/api/games/{game}/series", params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["series"][platform]


def test_a_steam_series_is_a_gap_where_no_poll_sampled_the_app(sampled):
    client, polls, rows = sampled
    start, end = SAMPLED_START + timedelta(days=1), SAMPLED_START + timedelta(days=1, hours=12)
    series = game_series(client, "dota 2", "steam", start, end, "1h")
    assert len(series) == 12 and not any(p["gap"] for p in series)
    for point in series:
        hour = at(point["bucket_start"])
        sampled_rows = in_range(rows, "steam", hour, hour + timedelta(hours=1)).query("game_key == 'dota 2'")
        observed = in_range(polls, "steam", hour, hour + timedelta(hours=1)).weight.sum()
        assert point["avg_players"] == pytest.approx(sampled_mean(rows, "dota 2", hour, hour + timedelta(hours=1)))
        assert point["peak_players"] == sampled_rows.players.max()
        assert point["players_observed_seconds"] == pytest.approx(sampled_rows.weight.sum())
        assert 0 < point["players_observed_seconds"] < point["observed_seconds"] == pytest.approx(observed)
    # combining the points: by players_observed_seconds, the mean over the sampled polls; by those x
    # covered / observed seconds, the ranking over the same range
    exact = sum(p["avg_players"] * p["players_observed_seconds"] for p in series)
    assert exact / sum(p["players_observed_seconds"] for p in series) == pytest.approx(
        sampled_mean(rows, "dota 2", start, end), rel=1e-9
    )
    share = [p["players_observed_seconds"] * p["covered_seconds"] / p["observed_seconds"] for p in series]
    ranked = sum(p["avg_players"] * s for p, s in zip(series, share, strict=True)) / sum(share)
    top = client.get(
        "/api/games/top", params={"platform": "steam", "from": start.isoformat(), "to": end.isoformat()}
    ).json()["items"]
    assert ranked == pytest.approx(next(i for i in top if i["game_key"] == "dota 2")["avg_players"], rel=1e-9)

    # the long-tail app, sampled in the first 5 minutes of each hour: polled buckets without it are gaps
    hour = SAMPLED_START + timedelta(hours=30)
    steam = game_series(client, "long tail", "steam", hour, hour + timedelta(hours=1), "5m")
    assert len(steam) == 12
    sample = in_range(rows, "steam", hour, hour + timedelta(minutes=5)).query("game_key == 'long tail'")
    assert len(sample) == 1 and not steam[0]["gap"]
    assert steam[0]["avg_players"] == sample.players.iloc[0] and steam[0]["peak_players"] == sample.players.iloc[0]
    assert steam[0]["players_observed_seconds"] == sample.weight.iloc[0]
    polled = [p for p in steam[1:] if p["coverage"] > 0]  # every other 5 minutes: Steam polls every 10
    unpolled = [p for p in steam[1:] if p["coverage"] == 0]
    assert len(polled) == 5 and len(unpolled) == 6
    for point in polled:  # polled, app not sampled: a gap, not 0 players; the platform's seconds stay
        assert point["gap"] and point["avg_players"] is None and point["peak_players"] is None
        assert point["players_observed_seconds"] == 0 and point["observed_seconds"] > 0
    for point in unpolled:  # Steam not polled at all
        assert point["gap"] and point["avg_players"] is None and point["players_observed_seconds"] == 0
    daily = game_series(client, "long tail", "steam", "2026-11-29", "2026-12-02", "1d")
    for point in daily:
        day = at(point["bucket_start"])
        assert point["avg_players"] == pytest.approx(sampled_mean(rows, "long tail", day, day + timedelta(days=1)))
    months = game_series(client, "dota 2", "steam", "2026-10-01", "2027-01-01", "1mo")
    october, november, december = months
    assert october["gap"] and october["players_observed_seconds"] == 0 and october["coverage"] == 0
    first, last = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)
    nov = in_range(rows, "steam", first, last).query("game_key == 'dota 2'")
    assert november["avg_players"] == pytest.approx(sampled_mean(rows, "dota 2", first, last), rel=1e-9)
    assert november["players_observed_seconds"] == pytest.approx(nov.weight.sum())
    assert not december["gap"] and december["avg_players"] is not None


def test_a_twitch_game_absent_from_a_poll_still_counts_zero_in_its_series(sampled):
    client, polls, rows = sampled
    start = SAMPLED_START + timedelta(days=1)
    points = game_series(client, "fortnite", "twitch", start, start + timedelta(hours=6), "5m")
    zero = [p for p in points if not p["gap"] and p["avg_viewers"] == 0]
    assert zero and all(p["coverage"] == 1 and p["peak_viewers"] == 0 for p in zero)
    assert all(p["players_observed_seconds"] is None and p["avg_players"] is None for p in points)
    hourly = game_series(client, "fortnite", "twitch", start, start + timedelta(hours=6), "1h")
    combined = sum(p["avg_viewers"] * p["observed_seconds"] for p in hourly) / sum(
        p["observed_seconds"] for p in hourly
    )
    want = ranged(polls, rows, "twitch", "fortnite", start, start + timedelta(hours=6), 3600)
    assert combined == pytest.approx(want, rel=1e-9)
