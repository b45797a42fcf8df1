"""Silver rows for gold tests: per-game poll totals with known values, gaps and partial polls."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pyarrow as pa

from streaming_jobs.lake import TOTALS_SCHEMA

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
GAMES = {"dota 2": 900, "fortnite": 400, "minecraft": 120}


def twitch_total(t: datetime, game: str, **values: object) -> dict[str, object]:
    """A complete Twitch poll total (the head sweep at `t`) of `game`, with `values` on top."""
    return {
        "poll_date": t.date(),
        "poll_id": f"twitch:twitch_head:{int(t.timestamp())}",
        "platform": "twitch",
        "source": "twitch",
        "game_key": game,
        "game_name": game.title(),
        "observed_at": t,
        "scheduled_at": t,
        "status": "complete",
        "coverage": 1.0,
        **values,
    }


def totals(minutes, skip=(), partial=()):
    """Twitch polls every minute (a few missing), Steam every 5; games come and go."""
    rows = []
    for k in minutes:
        if k in skip:
            continue
        t = T0 + timedelta(minutes=k)
        for game, base in GAMES.items():
            if game == "minecraft" and k % 3 == 0:
                continue  # absent from this poll: counts as 0 viewers
            rows.append(
                twitch_total(
                    t,
                    game,
                    viewers=base + 7 * (k % 11),
                    channels=3 + k % 4,
                    players=None,
                    records=1,
                    mature_channels=k % 2,
                    status="partial" if k in partial else "complete",
                    coverage=0.5 if k in partial else 1.0,
                    interval_seconds=60.0,
                )
            )
            if k % 5 == 0:
                rows.append(
                    dict(
                        rows[-1],
                        poll_id=f"steam:steam_players:{int(t.timestamp())}",
                        platform="steam",
                        viewers=None,
                        channels=None,
                        players=base * 10 + k,
                        mature_channels=0,
                        interval_seconds=300.0,
                        status="complete",
                        coverage=1.0,
                    )
                )
    return pa.Table.from_pylist(rows, schema=TOTALS_SCHEMA)


def seed_parity_totals(hours: int) -> pa.Table:
    """Twitch every 5 minutes with a rotating top channel; YouTube with growing video views."""
    rows = []
    for k in range(hours * 12):
        t = T0 + timedelta(minutes=5 * k)
        for game, base in (("dota 2", 900), ("just chatting", 2000)):
            rows.append(
                twitch_total(
                    t,
                    game,
                    viewers=base + 13 * (k % 17) + 40 * (k // 12),
                    channels=5,
                    records=5,
                    mature_channels=1,
                    interval_seconds=300.0,
                    top_channel=f"{game}-streamer-{k % 4}",
                    top_channel_viewers=100 + 10 * ((k * 7) % 13),
                )
            )
        rows.append(
            dict(
                rows[-2],
                poll_id=f"youtube:youtube_live:{int(t.timestamp())}",
                platform="youtube",
                source="youtube",
                viewers=300 + k,
                views=10_000 + 50 * k,
                top_channel="yt-channel",
                top_channel_viewers=150,
            )
        )
    return pa.Table.from_pylist(rows, schema=TOTALS_SCHEMA)


MONTHS_START = datetime(2026, 10, 29, 0, 0, tzinfo=UTC)


def monthly_totals(polls, skip=(), partial=()):
    """Twitch every 3 hours and Steam every 6 across three calendar months (from 29 October); a
    game that arrives in November, one absent from every fourth poll; poll numbers in `skip` are
    gaps, in `partial` polls that saw half the platform."""
    rows = []
    for k in polls:
        if k in skip:
            continue
        t = MONTHS_START + timedelta(hours=3 * k)
        for game, base in GAMES.items():
            if (game == "minecraft" and k % 4 == 1) or (game == "fortnite" and t < datetime(2026, 11, 5, tzinfo=UTC)):
                continue
            rows.append(
                twitch_total(
                    t,
                    game,
                    viewers=base + 11 * (k % 13) + 3 * k,
                    channels=4 + k % 5,
                    players=None,
                    records=1,
                    mature_channels=0,
                    status="partial" if k in partial else "complete",
                    coverage=0.5 if k in partial else 1.0,
                    interval_seconds=10800.0,
                )
            )
            if k % 2 == 0:
                rows.append(
                    dict(
                        rows[-1],
                        poll_id=f"steam:steam_players:{int(t.timestamp())}",
                        platform="steam",
                        viewers=None,
                        channels=None,
                        players=base * 10 + 5 * k,
                        interval_seconds=21600.0,
                        status="complete",
                        coverage=1.0,
                    )
                )
    return pa.Table.from_pylist(rows, schema=TOTALS_SCHEMA)
