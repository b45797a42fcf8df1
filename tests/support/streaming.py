"""Helpers of the streaming tests: recent poll slots, synthetic polls, one run of the streaming job
over what the stream holds, and lake tables as pandas."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import redis

from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.clock import ManualClock
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings
from producers.poll_loop import PollLoop
from producers.synthetic import SyntheticPoller
from streaming_jobs.games import identify
from streaming_jobs.run import StreamingJob
from tests.support.producers import ListSink


def recent_slot(interval: int = 60, polls: int = 3) -> datetime:
    """A grid slot recent enough that the stream treats its records as timely, not late."""
    now = int(datetime.now(UTC).timestamp())
    return datetime.fromtimestamp(now - now % interval - polls * interval, UTC)


def fresh_settings(settings: Settings, folder: Path) -> Settings:
    """`settings` with a new stream, lake and checkpoint folder in `folder`, and Redis emptied
    (the `fresh` fixture's, and a wider-scoped fixture's)."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    ensure_stream(aws_client(settings, "kinesis"), name, 2)
    redis.Redis.from_url(settings.redis_url).flushdb()
    return settings.model_copy(
        update={
            "stream_name": name,
            "lake_root": str(folder / "lake"),
            "checkpoint_root": str(folder / "checkpoints"),
            "data_dir": folder,
        }
    )


def run_job(spark, settings, job=None):
    """Both queries over what the stream holds now, to the end."""
    job = job or StreamingJob(settings, spark)
    job.start(available_now=True).await_termination()
    return job


def synthetic_records(settings, polls=3, interval=60, start=None):
    start = start or recent_slot(interval, polls)
    sink = ListSink()
    loop = PollLoop(SyntheticPoller(settings, interval=interval), sink, ManualClock(start))
    for k in range(polls):
        loop.run_slot(start + timedelta(seconds=k * interval))
    return sink.records


def table(settings, name):
    found = Lake(settings.lake_path).read(name)
    return found.to_pandas() if found is not None else pd.DataFrame()


def expected_totals(records):
    rows = []
    for r in records:
        if r.kind == "stream_snapshot":
            rows.append(("twitch", r.poll_id, r.game_name or "unattributed", r.viewer_count, None, None))
        elif r.kind == "video_snapshot":
            rows.append(("youtube", r.poll_id, r.game_name, r.concurrent_viewers, None, r.view_count))
        elif r.kind == "player_count":
            rows.append(("steam", r.poll_id, r.app_name, None, r.player_count, None))
    frame = pd.DataFrame(rows, columns=["platform", "poll_id", "game_name", "viewers", "players", "views"])
    frame["game_key"] = [identify(name).key for name in frame.game_name]  # "Nioh 2" and its edition are one game
    return (
        frame.groupby(["platform", "poll_id", "game_key"])
        .agg(
            viewers=("viewers", "sum"),
            players=("players", "sum"),
            channels=("viewers", "size"),
            top_channel_viewers=("viewers", "max"),
            views=("views", "sum"),
        )
        .reset_index()
    )
