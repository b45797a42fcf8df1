"""A synthetic games market that looks like the real one, for the demo, tests and benchmarks.

Built on Twitch's 200 most-watched categories of February 2021 (real names, real average viewers
and channels) and the Steam app ids of the games among them. Every value is a pure function of
(seed, category, time), so the same seed gives the same records, live or generated as history.

Model, per category:
- scale: `GST_SYNTHETIC_SCALE` (default 0.01) x the month's average viewers and channels;
- daily cycle by region: five regions (Americas UTC-5, South America UTC-3, Europe UTC+1,
  Russia/CIS UTC+3, East Asia UTC+9) each with viewers x (1 + 0.35 cos(2 pi (local hour - 20) / 24)),
  i.e. +/-35% around the mean with the peak at 20:00 local; each category mixes the regions
  differently (seeded), so the day's mean stays the CSV's average;
- update spikes: on about 3% of days a category gets x(1 + U(0.5, 2)) decaying with an 8 h time
  constant; launches: three mid-table games launch every 30 days (x0.15 before, x(1 + 3 e^(-t/2d)) after);
- heavy tails: each channel has a stable Pareto(alpha = 1.16) popularity, and a category's viewers
  are split by it; live channels swing half as much as viewers;
- Steam players follow Twitch viewers 45 minutes later, at a seeded players/viewers ratio;
- YouTube carries a seeded 3-15% of a game's audience on up to three broadcasts.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property

import numpy as np

from gamestream.contracts import CategorySnapshot, PlayerCount, Source, StreamSnapshot, VideoSnapshot
from gamestream.settings import Settings
from producers.catalog import Category, categories
from producers.poll_loop import Poller, PollSession

REGIONS = (
    ("americas", -5, "en"),
    ("south_america", -3, "pt"),
    ("europe", 1, "de"),
    ("cis", 3, "ru"),
    ("east_asia", 9, "ko"),
)
DAILY_AMPLITUDE = 0.35
PEAK_LOCAL_HOUR = 20
SPIKE_DAILY_PROBABILITY = 0.03
SPIKE_DECAY_HOURS = 8.0
LAUNCH_PERIOD_DAYS = 30
PARETO_ALPHA = 1.16
STEAM_LAG = timedelta(minutes=45)
DAY_SECONDS = 86_400


def _stable_int(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


@dataclass(frozen=True)
class CategoryModel:
    index: int
    category: Category
    game_id: str
    region_weights: np.ndarray
    steam_ratio: float
    youtube_share: float
    popularity: np.ndarray  # per channel, stable
    launch_offset_days: float | None


class SyntheticMarket:
    def __init__(self, seed: int, scale: float):
        self.seed, self.scale = seed, scale

    @cached_property
    def models(self) -> list[CategoryModel]:
        cats = categories()
        rng = np.random.default_rng([self.seed, 0])
        launchers = set(rng.choice(np.arange(30, 120), size=3, replace=False).tolist())
        models = []
        for i, cat in enumerate(cats):
            r = np.random.default_rng([self.seed, 1, i])
            weights = r.dirichlet(np.array([4.0, 1.5, 3.0, 1.5, 2.0]))
            max_channels = max(2, math.ceil(cat.peak_channels * self.scale * 1.2))
            popularity = r.pareto(PARETO_ALPHA, size=max_channels) + 1.0
            models.append(
                CategoryModel(
                    index=i,
                    category=cat,
                    game_id=str(10_000 + i * 37 + 1),
                    region_weights=weights,
                    steam_ratio=float(np.exp(r.normal(math.log(6.0), 0.8))),
                    youtube_share=float(r.uniform(0.03, 0.15)),
                    popularity=popularity,
                    launch_offset_days=float(r.uniform(5, 25)) if i in launchers else None,
                )
            )
        return models

    def _cycle(self, model: CategoryModel, when: datetime) -> float:
        hour = when.hour + when.minute / 60 + when.second / 3600
        factors = [
            1 + DAILY_AMPLITUDE * math.cos(2 * math.pi * ((hour + offset) % 24 - PEAK_LOCAL_HOUR) / 24)
            for _, offset, _ in REGIONS
        ]
        return float(np.dot(model.region_weights, factors))

    def _events(self, model: CategoryModel, when: datetime) -> float:
        epoch = when.timestamp()
        factor = 1.0
        day = int(epoch // DAY_SECONDS)
        for d in (day - 2, day - 1, day):  # spikes of the last days still decaying
            h = _stable_int(self.seed, "spike", model.index, d)
            if (h % 10_000) / 10_000 < SPIKE_DAILY_PROBABILITY:
                start = d * DAY_SECONDS + (h >> 16) % DAY_SECONDS
                if epoch >= start:
                    size = 0.5 + 1.5 * ((h >> 40) % 1000) / 1000
                    factor *= 1 + size * math.exp(-(epoch - start) / (SPIKE_DECAY_HOURS * 3600))
        if model.launch_offset_days is not None:
            period = LAUNCH_PERIOD_DAYS * DAY_SECONDS
            since = (epoch % period) - model.launch_offset_days * DAY_SECONDS
            factor *= 0.15 if since < 0 else 1 + 3 * math.exp(-since / (2 * DAY_SECONDS))
        return factor

    def viewers(self, model: CategoryModel, when: datetime) -> float:
        """Expected total viewers of a category at a moment (before per-poll noise)."""
        return model.category.avg_viewers * self.scale * self._cycle(model, when) * self._events(model, when)

    def channels(self, model: CategoryModel, when: datetime) -> int:
        swing = 1 + 0.5 * (self._cycle(model, when) * self._events(model, when) ** 0.5 - 1)
        return int(min(len(model.popularity), max(1, round(model.category.avg_channels * self.scale * swing))))

    def streams(self, model: CategoryModel, when: datetime, slot_index: int) -> list[tuple[int, int]]:
        """(channel index, viewers) of the live channels of a category at a slot."""
        live = self.channels(model, when)
        noise = np.random.default_rng([self.seed, 2, model.index, slot_index])
        total = self.viewers(model, when) * float(noise.lognormal(0.0, 0.04))
        weights = model.popularity[:live] * noise.lognormal(0.0, 0.1, size=live)
        counts = np.floor(total * weights / weights.sum() + noise.random(live)).astype(np.int64)
        return list(enumerate(counts.tolist()))


class SyntheticPoller(Poller):
    """Emits, per grid slot, what the three platforms' pollers would: Twitch streams and top games,
    Steam player counts, YouTube live videos, each poll closed by its manifest."""

    source = Source.SYNTHETIC

    def __init__(self, settings: Settings, interval: float | None = None):
        self.interval = interval or settings.synthetic_poll_seconds
        self.market = SyntheticMarket(settings.synthetic_seed, settings.synthetic_scale)

    def poll(self, session: PollSession) -> None:
        slot = session.slot
        slot_index = int(slot.timestamp() // self.interval)
        observed = slot + timedelta(seconds=min(1.0, self.interval / 10))
        models = self.market.models
        twitch = session.open("twitch", "stream_snapshot", "twitch_streams", planned_pages=1)
        totals = []
        for model in models:
            day = int(slot.timestamp() // DAY_SECONDS)
            total = 0
            for channel, viewers in self.market.streams(model, slot, slot_index):
                total += viewers
                channel_id = str(_stable_int(self.market.seed, "channel", model.index, channel) % 10**9)
                language = REGIONS[_stable_int(channel_id) % len(REGIONS)][2]
                twitch.emit(
                    StreamSnapshot.create(
                        source=self.source,
                        observed_at=observed,
                        poll_id=twitch.poll_id,
                        platform="twitch",
                        stream_id=str(_stable_int(self.market.seed, "stream", channel_id, day) % 10**11),
                        channel_id=channel_id,
                        channel_name=f"{model.category.name[:12].lower().replace(' ', '_')}_{channel}",
                        game_id=model.game_id,
                        game_name=model.category.name,
                        viewer_count=viewers,
                        started_at=datetime.fromtimestamp(day * DAY_SECONDS, UTC),
                        language=language,
                        is_mature=(_stable_int(channel_id, "mature") % 5 == 0),
                        title=f"{model.category.name} with chat",
                    )
                )
            totals.append((total, model))
        twitch.page_ok()

        top = session.open("twitch", "category_snapshot", "twitch_top_games", planned_pages=1)
        ranked = sorted(totals, key=lambda t: (-t[0], t[1].index))[:100]
        for rank, (_, model) in enumerate(ranked, start=1):
            top.emit(
                CategorySnapshot.create(
                    source=self.source,
                    observed_at=observed,
                    poll_id=top.poll_id,
                    game_id=model.game_id,
                    game_name=model.category.name,
                    rank=rank,
                )
            )
        top.page_ok()

        steam = session.open("steam", "player_count", "steam_players", planned_pages=1)
        noise = np.random.default_rng([self.market.seed, 3, slot_index])
        emitted: set[int] = set()
        for model in models:
            if model.category.steam_app_id is None or model.category.steam_app_id in emitted:
                continue
            emitted.add(model.category.steam_app_id)
            players = self.market.viewers(model, slot - STEAM_LAG) * model.steam_ratio * float(noise.lognormal(0, 0.02))
            steam.emit(
                PlayerCount.create(
                    source=self.source,
                    observed_at=observed,
                    poll_id=steam.poll_id,
                    app_id=model.category.steam_app_id,
                    app_name=model.category.name,
                    player_count=int(players),
                )
            )
        steam.page_ok()

        youtube = session.open("youtube", "video_snapshot", "youtube_videos", planned_pages=1)
        for total, model in totals:
            if not model.category.is_game or total == 0:
                continue
            audience = total * model.youtube_share
            videos = 1 + _stable_int(self.market.seed, "yt", model.index) % 3
            for v in range(videos):
                share = audience / (2**v) / sum(1 / 2**k for k in range(videos))
                video_id = f"yt{_stable_int(self.market.seed, 'video', model.index, v, slot.date()) % 10**10:010d}"
                started = datetime.fromtimestamp(int(slot.timestamp() // DAY_SECONDS) * DAY_SECONDS, UTC)
                minutes = (slot - started).total_seconds() / 60
                youtube.emit(
                    VideoSnapshot.create(
                        source=self.source,
                        observed_at=observed,
                        poll_id=youtube.poll_id,
                        video_id=video_id,
                        channel_id=f"UC{model.index:04d}{v}",
                        channel_title=f"{model.category.name} live {v + 1}",
                        title=f"{model.category.name} live",
                        tags=[model.category.name, "gaming"],
                        game_name=model.category.name,
                        concurrent_viewers=int(share),
                        view_count=int(share * (1 + minutes / 10)),
                        actual_start_time=started,
                    )
                )
        youtube.page_ok()
