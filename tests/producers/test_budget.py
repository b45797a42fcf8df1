from datetime import timedelta

import pytest

from gamestream.core.settings import Settings
from producers.budget import (
    STEAM_CALLS_PER_DAY,
    TWITCH_POINTS_PER_MINUTE,
    YOUTUBE_UNITS_PER_DAY,
    BudgetExhausted,
    DailyQuota,
    SlidingWindowLimiter,
    plan_steam,
    plan_twitch,
    plan_youtube,
)

GREEDY = dict(
    twitch_poll_seconds=1,
    twitch_sweep_seconds=1,
    twitch_head_pages=700,
    twitch_max_pages=5000,
    steam_poll_seconds=1,
    youtube_poll_seconds=1,
    youtube_discovery_seconds=1,
    youtube_max_videos=5000,
)


@pytest.mark.parametrize("overrides", [{}, GREEDY])
def test_no_configuration_plans_past_a_budget(overrides):
    settings = Settings(_env_file=None, **overrides)
    twitch = plan_twitch(settings)
    assert twitch.head_pages + twitch.top_games_pages <= twitch.points_per_minute * twitch.head_interval_s / 60
    assert twitch.average_points_per_minute <= TWITCH_POINTS_PER_MINUTE * 0.9
    assert twitch.sweep_interval_s > twitch.sweep_duration_s  # a sweep finishes before the next one is due
    steam = plan_steam(settings)
    assert steam.calls_per_day_planned <= STEAM_CALLS_PER_DAY * 0.9
    assert steam.tail_interval_s >= steam.top_interval_s
    youtube = plan_youtube(settings)
    assert youtube.units_per_day_planned <= YOUTUBE_UNITS_PER_DAY * 0.9


def test_default_plan_samples_as_often_as_the_budget_allows():
    settings = Settings(_env_file=None)
    twitch = plan_twitch(settings)
    assert twitch.head_interval_s == 60 and twitch.sweep_interval_s == 300
    assert twitch.sweep_pages >= 1000 and 75 <= twitch.sweep_duration_s <= 120
    assert plan_steam(settings).top_interval_s == 300
    assert "points/min" in twitch.describe()


def test_sliding_window_never_passes_its_limit_and_honours_server_resets(clock):
    limiter = SlidingWindowLimiter(clock, limit=10, window=60)
    stamps = []
    for _ in range(35):
        limiter.acquire()
        stamps.append(clock.now())
        clock.advance(0.5)
    for i, start in enumerate(stamps):
        assert sum(1 for t in stamps[i:] if t - start < timedelta(seconds=60)) <= 10
    limiter.defer_until(clock.now() + timedelta(seconds=100))
    before = clock.now()
    limiter.acquire()
    assert clock.now() - before >= timedelta(seconds=100)


def test_daily_quota_refuses_and_resets_at_midnight(clock):
    quota = DailyQuota(clock, limit=150)
    quota.spend(100)
    with pytest.raises(BudgetExhausted, match="daily quota 150"):
        quota.spend(100)
    assert quota.used == 100
    clock.advance(24 * 3600)
    quota.spend(100)
    assert quota.used == 100
