"""Fixture gold (loaded by the real gold loader from a fixture silver lake) in DuckDB and in the
machine's PostgreSQL, live state written by the streaming job's own Redis script, and the app."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest
import redis
from fastapi.testclient import TestClient

from batch_jobs.gold import run_gold
from gamestream.settings import Settings
from realtime_api.app import create_app
from streaming_jobs.job import GAMES_SCHEMA, TOTALS_SCHEMA
from streaming_jobs.lake import Lake
from streaming_jobs.live import LiveWriter, PollUpdate
from tests.support.postgres import fresh_database

START = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
POLLS = 3 * 288  # three days of 5-minute polls
END = START + timedelta(minutes=5 * POLLS)
GAP = (START + timedelta(days=2, hours=6), START + timedelta(days=2, hours=7))  # Twitch not polled for an hour
GAMES = {  # platform -> game -> viewers or players at poll k
    "twitch": {
        "dota 2": lambda k: 50_000 + 8_000 * math.sin(k / 288 * 2 * math.pi),
        "fortnite": lambda k: 20_000 + (60 * (k - 576) if k >= 576 else 0),
        "minecraft": lambda k: 30_000 - (25 * (k - 576) if k >= 576 else 0),
        "just chatting": lambda k: 100_000 + 10 * k,
    },
    "steam": {"dota 2": lambda k: 600_000 + 1000 * (k % 12), "counter strike 2": lambda k: 1_000_000 + 500 * (k % 7)},
    "youtube": {"minecraft": lambda k: 10_000 + 3 * k, "fortnite": lambda k: 5_000 - 2 * k},
}
NAMES = {
    "dota 2": "Dota 2",
    "fortnite": "Fortnite",
    "minecraft": "Minecraft",
    "just chatting": "Just Chatting",
    "counter strike 2": "Counter-Strike 2",
}


def fixture_rows() -> pd.DataFrame:
    rows = []
    for k in range(POLLS):
        t = START + timedelta(minutes=5 * k)
        for platform, games in GAMES.items():
            if platform == "twitch" and GAP[0] <= t < GAP[1]:
                continue
            for key, value in games.items():
                if platform == "twitch" and key == "minecraft" and k % 24 == 5:
                    continue  # absent from some polls: counts 0 there, not a gap
                n = int(value(k))
                watched = platform != "steam"
                rows.append(
                    dict(
                        poll_date=t.date(),
                        poll_id=f"{platform}:fixture:{int(t.timestamp())}",
                        platform=platform,
                        game_key=key,
                        game_name=NAMES[key],
                        viewers=n if watched else None,
                        channels=n // 100 if watched else None,
                        players=None if watched else n,
                        records=1,
                        mature_channels=0,
                        observed_at=t,
                        top_channel=f"{key} star" if watched else None,
                        top_channel_viewers=n // 10 if watched else None,
                        views=100_000 + k if platform == "youtube" else None,
                        status="complete",
                        coverage=1.0,
                        scheduled_at=t,
                        interval_seconds=300.0,
                        source=platform,
                        updated_batch_id=0,
                    )
                )
    return pd.DataFrame(rows)


def build_lake(root: str) -> pd.DataFrame:
    lake = Lake(root)
    frame = fixture_rows()
    lake.append(
        "silver/game_poll_totals",
        pa.Table.from_pandas(frame, schema=TOTALS_SCHEMA, preserve_index=False),
        0,
        ["poll_date"],
    )
    lake.append(
        "silver/games",
        pa.Table.from_pylist(
            [
                {
                    "game_key": key,
                    "name": name,
                    "steam_app_id": {"dota 2": 570, "counter strike 2": 730}.get(key),
                    "is_game": key != "just chatting",
                    "aliases": [name],
                    "first_seen_at": START,
                    "last_seen_at": END,
                }
                for key, name in NAMES.items()
            ],
            schema=GAMES_SCHEMA,
        ),
        0,
        [],
    )
    lake.append(
        "silver/review_summaries",
        pa.Table.from_pylist(
            [
                {
                    "event_id": "r1",
                    "app_id": 570,
                    "review_score": 8,
                    "review_score_desc": "Very Positive",
                    "total_positive": 900,
                    "total_negative": 100,
                    "total_reviews": 1000,
                    "observed_at": END,
                    "poll_date": END.date(),
                }
            ]
        ),
        0,
        ["poll_date"],
    )
    return frame


@pytest.fixture(scope="session")
def expected() -> pd.DataFrame:
    return fixture_rows()


@pytest.fixture(scope="session")
def api_redis_url(stack) -> str:
    return stack.settings.redis_url.rsplit("/", 1)[0] + "/5"


@pytest.fixture(scope="session", params=["duckdb", "postgresql"])
def gold_settings(request, tmp_path_factory, api_redis_url) -> Settings:
    base = Settings(_env_file=None)
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "duckdb":
        url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"), "gst_api_test")
    settings = base.model_copy(
        update={
            "lake_root": str(folder / "lake"),
            "warehouse_url": url,
            "redis_url": api_redis_url,
            "api_ws_heartbeat_seconds": 1.0,
        }
    )
    build_lake(settings.lake_path)
    run_gold(settings)
    return settings


def live_polls(count: int, first: datetime = END) -> list[PollUpdate]:
    """Twitch polls as the streaming job sends them to Redis."""
    polls = []
    for n in range(count):
        t = first + timedelta(minutes=n)
        games = [
            {
                "key": key,
                "name": NAMES[key],
                "value": int(f(POLLS + n)),
                "viewers": int(f(POLLS + n)),
                "channels": 10,
                "players": 0,
            }
            for key, f in GAMES["twitch"].items()
        ]
        polls.append(
            PollUpdate(
                platform="twitch",
                poll_id=f"twitch:live:{int(t.timestamp())}",
                observed_at=t.isoformat(),
                observed_ts=t.timestamp(),
                replace=True,
                games=games,
            )
        )
    return polls


@pytest.fixture()
def live(api_redis_url) -> LiveWriter:
    """An empty live state, written through the streaming job's own script."""
    redis.Redis.from_url(api_redis_url).flushdb()
    writer = LiveWriter(api_redis_url)
    writer.apply("fixture", 0, live_polls(1))
    yield writer
    writer.close()


@pytest.fixture()
def client(gold_settings, live) -> TestClient:
    with TestClient(create_app(gold_settings, dashboard=None)) as test_client:
        yield test_client
