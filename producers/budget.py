"""Budgets per platform: the planner derives cadences from each API's limits, and the runtime
guards (a sliding-window limiter for Twitch's points, a daily quota for Steam and YouTube) make
it impossible for any configuration to spend more than the budget."""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from gamestream.core.clock import Clock
from gamestream.core.settings import Settings

TWITCH_POINTS_PER_MINUTE = 800
STEAM_CALLS_PER_DAY = 100_000
YOUTUBE_UNITS_PER_DAY = 10_000
SAFETY = 0.9  # leave headroom for retries and for other tools sharing the key
TWITCH_PEAK_LIVE_STREAMS = 100_000
YOUTUBE_SEARCH_COST = 100
YOUTUBE_VIDEOS_COST = 1
DAY = 86_400.0


class BudgetExhausted(RuntimeError):
    """A call would exceed the day's quota; the poll records it and carries on."""


class SlidingWindowLimiter:
    """At most `limit` calls in any `window` seconds, plus waits ordered by the server's headers."""

    def __init__(self, clock: Clock, limit: int, window: float = 60.0):
        self.clock, self.limit, self.window = clock, limit, window
        self._calls: deque[datetime] = deque()
        self._not_before: datetime | None = None
        self._lock = threading.Lock()

    def acquire(self) -> None:
        while True:
            with self._lock:
                now = self.clock.now()
                horizon = now - timedelta(seconds=self.window)
                while self._calls and self._calls[0] <= horizon:
                    self._calls.popleft()
                wait = 0.0
                if self._not_before and now < self._not_before:
                    wait = (self._not_before - now).total_seconds()
                elif len(self._calls) >= self.limit:
                    wait = (self._calls[0] - horizon).total_seconds()
                else:
                    self._calls.append(now)
                    return
            self.clock.sleep(max(wait, 0.001))

    def defer_until(self, moment: datetime) -> None:
        with self._lock:
            if self._not_before is None or moment > self._not_before:
                self._not_before = moment

    def used_in_window(self) -> int:
        with self._lock:
            horizon = self.clock.now() - timedelta(seconds=self.window)
            return sum(1 for t in self._calls if t > horizon)


class DailyQuota:
    """Units spent per UTC day; `spend` refuses a call that would pass the day's limit."""

    def __init__(self, clock: Clock, limit: int):
        self.clock, self.limit = clock, limit
        self._day: date | None = None
        self.used = 0
        self._lock = threading.Lock()

    def spend(self, units: int) -> None:
        with self._lock:
            today = self.clock.now().date()
            if today != self._day:
                self._day, self.used = today, 0
            if self.used + units > self.limit:
                raise BudgetExhausted(f"daily quota {self.limit} reached ({self.used} used, {units} more asked)")
            self.used += units


@dataclass(frozen=True)
class TwitchPlan:
    points_per_minute: int
    head_interval_s: float
    head_pages: int
    sweep_interval_s: float
    sweep_pages: int
    sweep_duration_s: float
    top_games_pages: int

    @property
    def average_points_per_minute(self) -> float:
        per_sweep_cycle = self.sweep_interval_s / self.head_interval_s
        head_polls = per_sweep_cycle - math.ceil(self.sweep_duration_s / self.head_interval_s)
        points = head_polls * (self.head_pages + self.top_games_pages) + self.sweep_pages + self.top_games_pages
        return points / (self.sweep_interval_s / 60)

    def describe(self) -> str:
        return (
            f"twitch: limit {TWITCH_POINTS_PER_MINUTE} points/min, planned at most {self.points_per_minute}/min; "
            f"head poll of {self.head_pages} pages (+{self.top_games_pages} top-games page) every "
            f"{self.head_interval_s:g}s; full sweep of up to {self.sweep_pages} pages every {self.sweep_interval_s:g}s "
            f"taking >= {self.sweep_duration_s:.0f}s (the head slots it overlaps are skipped and recorded); "
            f"average {self.average_points_per_minute:.0f} points/min; coverage of each poll is in its manifest"
        )


def plan_twitch(settings: Settings, live_streams: int = TWITCH_PEAK_LIVE_STREAMS) -> TwitchPlan:
    ceiling = int(TWITCH_POINTS_PER_MINUTE * SAFETY)
    head_interval = max(settings.twitch_poll_seconds, 60.0)
    top_games_pages = 1
    per_head_poll = int(ceiling * head_interval / 60) - top_games_pages
    head_pages = max(1, min(settings.twitch_head_pages, per_head_poll))
    sweep_pages = min(settings.twitch_max_pages, math.ceil(live_streams / 100) + 10)
    sweep_duration = (sweep_pages + top_games_pages) / ceiling * 60
    slots_per_sweep = math.ceil(sweep_duration / head_interval)
    min_sweep = head_interval * max(slots_per_sweep + 1, 2)
    sweep_interval = head_interval * math.ceil(max(settings.twitch_sweep_seconds, min_sweep) / head_interval)
    return TwitchPlan(ceiling, head_interval, head_pages, sweep_interval, sweep_pages, sweep_duration, top_games_pages)


@dataclass(frozen=True)
class SteamPlan:
    calls_per_day: int
    top_apps: int
    top_interval_s: float
    tail_apps: int
    tail_interval_s: float
    review_apps: int

    @property
    def calls_per_day_planned(self) -> float:
        return (
            self.top_apps * DAY / self.top_interval_s
            + (self.tail_apps * DAY / self.tail_interval_s)
            + self.review_apps
            + 24
        )

    def describe(self) -> str:
        return (
            f"steam: limit {STEAM_CALLS_PER_DAY} calls/day, planned at most {self.calls_per_day}/day; "
            f"{self.top_apps} most-played apps every {self.top_interval_s:g}s, {self.tail_apps} long-tail apps every "
            f"{self.tail_interval_s:g}s, reviews for {self.review_apps} apps daily; "
            f"~{self.calls_per_day_planned:.0f} calls/day"
        )


def plan_steam(settings: Settings, tail_apps: int = 300) -> SteamPlan:
    ceiling = int(STEAM_CALLS_PER_DAY * SAFETY)
    top = settings.steam_top_apps
    reviews = top + tail_apps
    chart_calls = 24  # the most-played chart is refreshed hourly
    spendable = ceiling - reviews - chart_calls
    top_interval = max(settings.steam_poll_seconds, 60.0)
    top_calls = top * DAY / top_interval
    if top_calls > spendable * 0.7:
        top_interval = math.ceil(top * DAY / (spendable * 0.7) / 60) * 60
        top_calls = top * DAY / top_interval
    tail_interval = top_interval
    if tail_apps:
        tail_interval = max(
            top_interval, math.ceil(tail_apps * DAY / (spendable - top_calls) / top_interval) * top_interval
        )
    return SteamPlan(ceiling, top, top_interval, tail_apps, tail_interval, reviews)


@dataclass(frozen=True)
class YouTubePlan:
    units_per_day: int
    discovery_interval_s: float
    refresh_interval_s: float
    max_videos: int

    @property
    def units_per_day_planned(self) -> float:
        batches = math.ceil(self.max_videos / 50)
        refresh = batches * YOUTUBE_VIDEOS_COST * DAY / self.refresh_interval_s
        return batches * YOUTUBE_SEARCH_COST * DAY / self.discovery_interval_s + refresh

    def describe(self) -> str:
        return (
            f"youtube: limit {YOUTUBE_UNITS_PER_DAY} units/day, planned at most {self.units_per_day}/day; "
            f"search.list discovery ({math.ceil(self.max_videos / 50)} pages of 100 units) every {self.discovery_interval_s:g}s, videos.list refresh of up to "
            f"{self.max_videos} videos in batches of 50 (1 unit each) every {self.refresh_interval_s:g}s; "
            f"~{self.units_per_day_planned:.0f} units/day"
        )


def plan_youtube(settings: Settings) -> YouTubePlan:
    ceiling = int(YOUTUBE_UNITS_PER_DAY * SAFETY)
    search_pages = math.ceil(settings.youtube_max_videos / 50)
    discovery_share = ceiling * 0.6
    discovery = max(
        settings.youtube_discovery_seconds, math.ceil(search_pages * YOUTUBE_SEARCH_COST * DAY / discovery_share)
    )
    refresh_budget = ceiling - search_pages * YOUTUBE_SEARCH_COST * DAY / discovery
    batches = math.ceil(settings.youtube_max_videos / 50)
    refresh = max(settings.youtube_poll_seconds, math.ceil(batches * DAY / refresh_budget))
    return YouTubePlan(ceiling, float(discovery), float(refresh), settings.youtube_max_videos)
