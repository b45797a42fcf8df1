"""The demo's live status: rendered from a health dict, and collected from a real stack, thread and API."""

import dataclasses
import json
import threading
from datetime import UTC, datetime, timedelta

import httpx
import redis
from rich.console import Console

from gamestream.cli.live_status import collect, render
from gamestream.embedded.ports import free_port
from realtime_api.app import create_app
from realtime_api.server import background_api
from streaming_jobs.live import LiveWriter, PollUpdate


def shown(health):
    console = Console(record=True, width=200)
    console.print(render(health))
    return " ".join(console.export_text().split())


def test_the_status_shows_what_runs_how_fast_how_late_and_where():
    text = shown(
        {
            "stages": {"Kinesis": True, "streaming job": True, "producer": False},
            "batch": 41,
            "rows_per_s": 1234.4,
            "lag_ms": 2500,
            "data_age_s": 4.04,
            "url": "http://127.0.0.1:8000",
        }
    )
    assert "dashboard http://127.0.0.1:8000/" in text
    assert "✓ Kinesis ✓ streaming job ✗ producer" in text
    assert "1,234 rows/s (batch 41)" in text
    assert "lag 2.5 s" in text and "data age 4.0 s" in text


def test_the_status_says_unknown_until_the_first_batch():
    text = shown({"stages": {"API": True}, "batch": None, "rows_per_s": None, "lag_ms": None, "data_age_s": None})
    assert "– rows/s lag – data age –" in text
    assert "batch" not in text and "dashboard" not in text


def test_collect_reads_ports_threads_the_last_batch_and_the_api(stack, tmp_path):
    redis_url = stack.settings.redis_url.rsplit("/", 1)[0] + "/6"
    settings = stack.settings.model_copy(
        update={
            "checkpoint_root": str(tmp_path),
            "redis_url": redis_url,
            "api_port": free_port(),
            "warehouse_url": f"duckdb:///{tmp_path / 'none.duckdb'}",
        }
    )
    mine = dataclasses.replace(stack, settings=settings)
    (tmp_path / "status.json").write_text(json.dumps({"lake": {"batch_id": 3, "lag_millis": 1500}}))
    observed = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    redis.Redis.from_url(redis_url).flushdb()
    writer = LiveWriter(redis_url)
    poll = PollUpdate(
        platform="twitch",
        poll_id=f"twitch:live:{int(observed.timestamp())}",
        observed_at=observed.isoformat(),
        observed_ts=observed.timestamp(),
        replace=True,
        games=[{"key": "dota 2", "name": "Dota 2", "value": 5, "viewers": 5, "channels": 1, "players": 0}],
    )
    writer.apply("status-test", 0, [poll])
    writer.close()
    stop = threading.Event()
    gold = threading.Thread(target=stop.wait, name="gold-loads", daemon=True)
    gold.start()
    try:
        with background_api(create_app(settings, dashboard=None), settings):
            url = f"http://127.0.0.1:{settings.api_port}"
            with httpx.Client(base_url=url, timeout=2) as api:
                health = collect(mine, None, url, api, now=observed + timedelta(seconds=30))
    finally:
        stop.set()
        gold.join()
    assert health["stages"] == {
        "Kinesis": True,
        "Redis": True,
        "streaming job": False,
        "producer": False,
        "gold loads": True,
        "API": True,
    }
    assert health["lag_ms"] == 1500
    assert health["data_age_s"] == 30.0
    assert health["batch"] is None and health["rows_per_s"] is None
