"""Wiring for `gst produce` and `gst demo`: a poller per source, its sink, its loop."""

from __future__ import annotations

import threading
from contextlib import AbstractContextManager
from datetime import datetime, timedelta

import structlog
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gamestream.core.background import background
from gamestream.core.clock import Clock, ManualClock, SystemClock, slot_floor
from gamestream.core.contracts import Source
from gamestream.core.settings import Settings
from producers.budget import plan_steam, plan_twitch, plan_youtube
from producers.poll_loop import Poller, PollLoop
from producers.sinks import make_sink
from producers.sinks.base import Sink
from producers.steam import SteamPoller
from producers.synthetic import SyntheticPoller
from producers.twitch import TwitchPoller
from producers.youtube import YouTubePoller

log = structlog.get_logger(__name__)


def describe_plans(settings: Settings) -> list[str]:
    return [plan_twitch(settings).describe(), plan_steam(settings).describe(), plan_youtube(settings).describe()]


def build_poller(source: Source, settings: Settings, clock: Clock) -> Poller:
    if source is Source.SYNTHETIC:
        return SyntheticPoller(settings)
    if source is Source.TWITCH:
        return TwitchPoller(settings, clock)
    if source is Source.YOUTUBE:
        return YouTubePoller(settings, clock)
    top_games = None
    if settings.twitch_client_id and settings.twitch_client_secret:
        top_games = TwitchPoller(settings, clock).top_game_names
    return SteamPoller(settings, clock, twitch_top_games=top_games)


def run_producer(
    settings: Settings,
    source: Source,
    once: bool = False,
    stop: threading.Event | None = None,
    sink: Sink | None = None,
) -> PollLoop:
    """Poll until `stop` is set (or one slot with `once`); the sink is flushed whatever happens."""
    stop = stop or threading.Event()
    clock = SystemClock(stop)
    poller = build_poller(source, settings, clock)
    sink = sink or make_sink(settings)
    loop = PollLoop(poller, sink, clock, stop)
    try:
        if once:
            loop.run_slot(slot_floor(clock.now(), poller.interval))
        else:
            loop.run()
    finally:
        sink.close()
        poller.close()
        log.info(
            "producer_stopped",
            source=str(source),
            records_sent=loop.health.records_sent,
            delivered=sink.stats.delivered,
            retried_entries=sink.stats.retried_entries,
        )
    return loop


def emit_synthetic_history(
    settings: Settings, sink: Sink, start: datetime, end: datetime, interval: float = 60.0, show_progress: bool = True
) -> int:
    """The synthetic market's polls from `start` to `end`, as fast as the sink takes them."""
    poller = SyntheticPoller(settings, interval=interval)
    first = slot_floor(start, interval)
    slots = int((end - first).total_seconds() // interval)
    clock = ManualClock(first)
    loop = PollLoop(poller, sink, clock)
    columns = (
        TextColumn("synthetic history"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("polls"),
        TimeRemainingColumn(),
    )
    with Progress(*columns, disable=not show_progress) as progress:
        task = progress.add_task("history", total=slots)
        for k in range(slots):
            slot = first + timedelta(seconds=k * interval)
            clock.advance((slot - clock.now()).total_seconds())
            loop.run_slot(slot)
            progress.advance(task)
    return loop.health.records_sent


def background_producer(settings: Settings, source: Source = Source.SYNTHETIC) -> AbstractContextManager[None]:
    """Run a producer in a thread (for `gst demo`); on exit it stops and flushes its sink."""
    return background(lambda stop: run_producer(settings, source, stop=stop), f"producer-{source}")
