"""Fixture gold (loaded by the real gold loader from a fixture silver lake) in DuckDB and in the
machine's PostgreSQL, live state written by the streaming job's own Redis script, and the app."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
import redis
from fastapi.testclient import TestClient

from batch_jobs.gold.loads import run_gold
from gamestream.core.lake import GAMES_SCHEMA, STREAMS_SCHEMA, TOTALS_SCHEMA, VIDEOS_SCHEMA, Lake
from gamestream.core.settings import Settings
from realtime_api.app import create_app
from realtime_api.store import GoldStore
from streaming_jobs.live import LiveWriter
from tests.support.market import END, NAMES, START, fixture_rows, fixture_streams, live_polls
from tests.support.postgres import fresh_database


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
    streams, videos = fixture_streams(frame)
    lake.append("silver/stream_snapshots", pa.Table.from_pylist(streams, schema=STREAMS_SCHEMA), 0, ["poll_date"])
    lake.append("silver/video_snapshots", pa.Table.from_pylist(videos, schema=VIDEOS_SCHEMA), 0, ["poll_date"])
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


@pytest.fixture(scope="session")
def built_gold() -> dict[str, Settings]:
    """The fixture gold of each kind, built once per test process. `gold_settings` alone would not
    keep it: pytest sets a parametrized session fixture up again each time the next file asks for
    the other kind (about 8 s a build, twice per file). Tests only read it (`gold_copy` to change it)."""
    return {}


@pytest.fixture(scope="session", params=["duckdb", "postgresql"])
def gold_settings(request, built_gold, tmp_path_factory, api_redis_url) -> Settings:
    if request.param in built_gold:
        return built_gold[request.param]
    base = Settings(_env_file=None)
    folder = tmp_path_factory.mktemp(f"api-{request.param}")
    if request.param == "duckdb":
        url = f"duckdb:///{folder / 'warehouse.duckdb'}"
    else:
        url = fresh_database(request.getfixturevalue("postgres_url"), "gst_api_test")
    settings = base.model_copy(
        update={
            "lake_root": str(folder / "lake"),
            "data_dir": folder / "data",
            "warehouse_url": url,
            "redis_url": api_redis_url,
            "api_ws_heartbeat_seconds": 1.0,
        }
    )
    build_lake(settings.lake_path)
    run_gold(settings)
    built_gold[request.param] = settings
    return settings


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


@pytest.fixture()
def gold_copy(gold_settings, tmp_path):
    """A writable copy of the fixture gold (the API's own copy stays read-only)."""
    source = Path(gold_settings.warehouse_url.removeprefix("duckdb:///"))
    for file in (source, source.with_name(source.name + ".wal")):
        if file.exists():
            shutil.copy(file, tmp_path / file.name)
    copy = GoldStore(f"duckdb:///{tmp_path / source.name}", read_only=False)
    yield copy
    copy.close()
