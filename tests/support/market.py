"""The fixture market the API tests query: three days of 5-minute polls with known values per game
and platform (an hour's gap in Twitch's), as silver rows and as the live polls the job sends Redis."""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime, timedelta

import pandas as pd

from streaming_jobs.games import identify
from streaming_jobs.live import PollUpdate

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
                    )
                )
    return pd.DataFrame(rows)


def top_channels(key: str, viewers: int) -> list[dict]:
    """A game's channels with the most viewers in a live poll, as the poll query sends them."""
    slug = key.replace(" ", "")
    return [
        {"viewers": viewers - viewers // 3, "id": f"1{slug}star", "login": f"{slug}_star", "name": f"{slug} Star"},
        {"viewers": viewers // 3, "id": f"1{slug}sidekick", "login": None, "name": f"{slug} Sidekick"},
    ]


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
                "is_game": identify(NAMES[key]).is_game,
                "top": json.dumps(top_channels(key, int(f(POLLS + n)))),
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


def fixture_streams(frame: pd.DataFrame) -> tuple[list[dict], list[dict]]:
    """The Twitch streams and YouTube videos behind the fixture's totals: per game and poll, a star
    (two thirds of the viewers, English) and a sidekick (the rest, German on Twitch). Dota 2's star
    renames itself at the start of the third day."""
    streams, videos = [], []
    watched = frame[frame.platform != "steam"]
    for row in watched.itertuples(index=False):
        t = row.scheduled_at
        day = t.replace(hour=0, minute=0, second=0, microsecond=0)
        slug = row.game_key.replace(" ", "")
        renamed = row.game_key == "dota 2" and t >= START + timedelta(days=2)
        for part, viewers in (("star", row.viewers - row.viewers // 3), ("sidekick", row.viewers // 3)):
            channel_id = f"{'1' if row.platform == 'twitch' else 'UC'}{slug}{part}"
            common = {
                "poll_date": row.poll_date,
                "event_id": f"{row.poll_id}/{channel_id}",
                "source": row.platform,
                "poll_id": row.poll_id,
                "channel_id": channel_id,
                "game_key": row.game_key,
                "game_name": row.game_name,
                "observed_at": t,
            }
            if row.platform == "twitch":
                login = f"{slug}_{part}" + ("_tv" if renamed and part == "star" else "")
                streams.append(
                    {
                        **common,
                        "platform": "twitch",
                        "stream_id": f"{channel_id}-{day:%Y%m%d}",
                        "channel_name": login.replace("_", " ").title(),
                        "user_login": login,
                        "viewer_count": viewers,
                        "language": "en" if part == "star" else "de",
                        "started_at": day,
                    }
                )
            else:
                videos.append(
                    {
                        **common,
                        "video_id": f"{channel_id}-{day:%Y%m%d}",
                        "channel_title": f"{row.game_name} {part.title()}",
                        "concurrent_viewers": viewers,
                        "actual_start_time": day,
                    }
                )
    return streams, videos
