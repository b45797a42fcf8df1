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
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cached_property, lru_cache

import numpy as np

from gamestream.core.catalog import Category, categories
from gamestream.core.contracts import CategorySnapshot, PlayerCount, Source, StreamSnapshot, VideoSnapshot
from gamestream.core.settings import Settings
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
CHANNEL_ID_BASE = 100_000_000  # Twitch-like numeric channel ids: base + category index x the per-category room
CHANNELS_PER_CATEGORY = 1_000_000


def stream_id(channel_id: str, day: int) -> str:
    """A channel's stream on a day (days since 1970): one stream a channel a day."""
    return str(int(channel_id) * 100_000 + day % 100_000)


def stream_title(category: str) -> str:
    return f"{category} with chat"


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
        self._rosters: dict[int, ChannelRoster] = {}

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

    @cached_property
    def _region_weights(self) -> np.ndarray:
        return np.array([model.region_weights for model in self.models])

    def _cycles(self, when: datetime) -> np.ndarray:
        """Every category's daily-cycle factor at a moment (its regions' local-time swings, mixed)."""
        hour = when.hour + when.minute / 60 + when.second / 3600
        factors = [
            1 + DAILY_AMPLITUDE * math.cos(2 * math.pi * ((hour + offset) % 24 - PEAK_LOCAL_HOUR) / 24)
            for _, offset, _ in REGIONS
        ]
        return self._region_weights @ np.array(factors)

    def _events(self, model: CategoryModel, when: datetime) -> float:
        epoch = when.timestamp()
        factor = 1.0
        day = int(epoch // DAY_SECONDS)
        for d in (day - 2, day - 1, day):  # spikes of the last days still decaying
            spike = self._spike(model.index, d)
            if spike is not None and epoch >= spike[0]:
                factor *= 1 + spike[1] * math.exp(-(epoch - spike[0]) / (SPIKE_DECAY_HOURS * 3600))
        if model.launch_offset_days is not None:
            period = LAUNCH_PERIOD_DAYS * DAY_SECONDS
            since = (epoch % period) - model.launch_offset_days * DAY_SECONDS
            factor *= 0.15 if since < 0 else 1 + 3 * math.exp(-since / (2 * DAY_SECONDS))
        return factor

    @lru_cache(maxsize=4096)  # noqa: B019 - one market per process; the cache keeps history generation fast
    def _spike(self, index: int, day: int) -> tuple[float, float] | None:
        """(start epoch, size) of a category's update spike on a day, if it has one."""
        h = _stable_int(self.seed, "spike", index, day)
        if (h % 10_000) / 10_000 >= SPIKE_DAILY_PROBABILITY:
            return None
        return float(day * DAY_SECONDS + (h >> 16) % DAY_SECONDS), 0.5 + 1.5 * ((h >> 40) % 1000) / 1000

    def viewers(self, model: CategoryModel, when: datetime) -> float:
        """Expected total viewers of a category at a moment (before per-poll noise)."""
        cycle = float(self._cycles(when)[model.index])
        return model.category.avg_viewers * self.scale * cycle * self._events(model, when)

    @cached_property
    def _averages(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per category: the month's average viewers and channels, and its most channels."""
        cats = [model.category for model in self.models]
        return (
            np.array([c.avg_viewers for c in cats], dtype=float),
            np.array([c.avg_channels for c in cats], dtype=float),
            np.array([len(model.popularity) for model in self.models]),
        )

    def twitch_viewers(self, slot: datetime, slot_index: int) -> list[np.ndarray]:
        """Per category (model order), the viewers of each live channel (roster order) at a slot;
        computed for all categories at once, as one poll needs them."""
        avg_viewers, avg_channels, max_channels = self._averages
        cycles = self._cycles(slot)
        events = np.array([self._events(model, slot) for model in self.models])
        swing = 1 + 0.5 * (cycles * np.sqrt(events) - 1)
        live = np.minimum(max_channels, np.maximum(1, np.round(avg_channels * self.scale * swing))).astype(np.int64)
        noise = np.random.default_rng([self.seed, 2, slot_index])
        totals = avg_viewers * self.scale * cycles * events * noise.lognormal(0.0, 0.04, size=len(live))
        popularity = np.concatenate([model.popularity[:n] for model, n in zip(self.models, live.tolist(), strict=True)])
        weights = popularity * noise.lognormal(0.0, 0.1, size=len(popularity))
        starts = np.concatenate([[0], np.cumsum(live)[:-1]])
        shares = weights / np.repeat(np.add.reduceat(weights, starts), live)
        counts = np.floor(np.repeat(totals, live) * shares + noise.random(len(popularity))).astype(np.int64)
        return np.split(counts, np.cumsum(live)[:-1])

    def channel_roster(self, model: CategoryModel) -> ChannelRoster:
        """The category's channels (stable identities); computed once per category."""
        roster = self._rosters.get(model.index)
        if roster is None:
            prefix = model.category.name[:12].lower().replace(" ", "_")
            # unique by construction (a hash would collide among the ~20k channels of a large scale)
            ids = [str(CHANNEL_ID_BASE + model.index * CHANNELS_PER_CATEGORY + c) for c in range(len(model.popularity))]
            login = re.sub(r"[^a-z0-9_]", "", prefix)  # Twitch logins are [a-z0-9_]
            roster = self._rosters[model.index] = ChannelRoster(
                names=[f"{prefix}_{c}" for c in range(len(ids))],
                logins=[f"{login}_{c}" for c in range(len(ids))],
                ids=ids,
                languages=[REGIONS[_stable_int(i) % len(REGIONS)][2] for i in ids],
                mature=np.array([_stable_int(i, "mature") % 5 == 0 for i in ids]),
            )
        return roster

    def steam_players(self, slot: datetime, slot_index: int) -> list[tuple[CategoryModel, int]]:
        """Each Steam app's concurrent players at a slot (the first category naming an app has it)."""
        noise = np.random.default_rng([self.seed, 3, slot_index])
        found: list[tuple[CategoryModel, int]] = []
        emitted: set[int] = set()
        when = slot - STEAM_LAG
        cycles = self._cycles(when)
        for model in self.models:
            if model.category.steam_app_id is None or model.category.steam_app_id in emitted:
                continue
            emitted.add(model.category.steam_app_id)
            viewers = model.category.avg_viewers * self.scale * float(cycles[model.index]) * self._events(model, when)
            players = viewers * model.steam_ratio * float(noise.lognormal(0, 0.02))
            found.append((model, int(players)))
        return found

    def youtube_videos(self, model: CategoryModel, twitch_viewers: int, slot: datetime) -> list[Video]:
        """A game's live YouTube broadcasts at a slot: a seeded share of its Twitch audience."""
        if not model.category.is_game or twitch_viewers == 0:
            return []
        audience = twitch_viewers * model.youtube_share
        count = 1 + _stable_int(self.seed, "yt", model.index) % 3
        started = datetime.fromtimestamp(int(slot.timestamp() // DAY_SECONDS) * DAY_SECONDS, UTC)
        minutes = (slot - started).total_seconds() / 60
        videos = []
        for v in range(count):
            share = audience / (2**v) / sum(1 / 2**k for k in range(count))
            videos.append(
                Video(
                    video_id=f"yt{_stable_int(self.seed, 'video', model.index, v, slot.date()) % 10**10:010d}",
                    channel_id=f"UC{model.index:04d}{v}",
                    channel_title=f"{model.category.name} live {v + 1}",
                    viewers=int(share),
                    views=int(share * (1 + minutes / 10)),
                    started_at=started,
                )
            )
        return videos


@dataclass(frozen=True)
class ChannelRoster:
    """A category's Twitch channels, by index: what stays the same from poll to poll."""

    names: list[str]
    logins: list[str]
    ids: list[str]
    languages: list[str]
    mature: np.ndarray


@dataclass(frozen=True)
class Video:
    video_id: str
    channel_id: str
    channel_title: str
    viewers: int
    views: int
    started_at: datetime


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
        day = int(slot.timestamp() // DAY_SECONDS)
        totals = []
        for model, viewers in zip(models, self.market.twitch_viewers(slot, slot_index), strict=True):
            roster = self.market.channel_roster(model)
            for channel, count in enumerate(viewers.tolist()):
                channel_id = roster.ids[channel]
                twitch.emit(
                    StreamSnapshot.create(
                        source=self.source,
                        observed_at=observed,
                        poll_id=twitch.poll_id,
                        platform="twitch",
                        stream_id=stream_id(channel_id, day),
                        channel_id=channel_id,
                        channel_name=roster.names[channel],
                        user_login=roster.logins[channel],
                        game_id=model.game_id,
                        game_name=model.category.name,
                        viewer_count=count,
                        started_at=datetime.fromtimestamp(day * DAY_SECONDS, UTC),
                        language=roster.languages[channel],
                        is_mature=bool(roster.mature[channel]),
                        title=stream_title(model.category.name),
                    )
                )
            totals.append((int(viewers.sum()), model))
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
        for model, players in self.market.steam_players(slot, slot_index):
            steam.emit(
                PlayerCount.create(
                    source=self.source,
                    observed_at=observed,
                    poll_id=steam.poll_id,
                    app_id=model.category.steam_app_id,
                    app_name=model.category.name,
                    player_count=players,
                )
            )
        steam.page_ok()

        youtube = session.open("youtube", "video_snapshot", "youtube_videos", planned_pages=1)
        for total, model in totals:
            for video in self.market.youtube_videos(model, total, slot):
                youtube.emit(
                    VideoSnapshot.create(
                        source=self.source,
                        observed_at=observed,
                        poll_id=youtube.poll_id,
                        video_id=video.video_id,
                        channel_id=video.channel_id,
                        channel_title=video.channel_title,
                        title=f"{model.category.name} live",
                        tags=[model.category.name, "gaming"],
                        game_name=model.category.name,
                        concurrent_viewers=video.viewers,
                        view_count=video.views,
                        actual_start_time=video.started_at,
                    )
                )
        youtube.page_ok()
