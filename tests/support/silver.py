"""Silver rows for gold tests: per-game poll totals with known values, gaps and partial polls."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import cast

import pyarrow as pa

from batch_jobs.dbt import work_dir
from gamestream.core.lake import GAMES_SCHEMA, STREAMS_SCHEMA, TOTALS_SCHEMA, VIDEOS_SCHEMA

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


SAMPLED_START = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)


def sampled_totals(days: int = 3) -> pa.Table:
    """Steam and Twitch every 10 minutes from 29 November (into December), each slot divisible by 7
    with a second poll 4 minutes later (weights of 240 and 360 seconds, not all alike), one Steam
    poll that saw half the platform. On Steam, counter strike 2 is in every poll, dota 2 misses every
    third (a failed request) and a long-tail app is sampled every sixth slot only: absent is not
    sampled, a gap. On Twitch, fortnite misses every fourth poll: no live stream, 0 viewers."""
    rows = []
    for k in range(days * 144):
        slot = SAMPLED_START + timedelta(minutes=10 * k)
        for n, t in enumerate([slot, slot + timedelta(minutes=4)] if k % 7 == 0 else [slot]):
            i = 2 * k + n  # poll number (both platforms poll alike)
            steam = {"counter strike 2": 1_000_000 + 37 * (i % 19), "dota 2": 600_000 + 1_000 * (i % 12)}
            if i % 3 == 0:
                del steam["dota 2"]
            if k % 6 == 0 and n == 0:
                steam["long tail"] = 50 + i % 17
            half = k == 200 and n == 0
            for game, players in steam.items():
                rows.append(
                    twitch_total(
                        t,
                        game,
                        poll_id=f"steam:steam_players:{int(t.timestamp())}",
                        platform="steam",
                        source="steam",
                        players=players,
                        records=1,
                        mature_channels=0,
                        interval_seconds=600.0,
                        status="partial" if half else "complete",
                        coverage=0.5 if half else 1.0,
                    )
                )
            twitch = {"dota 2": 40_000 + 500 * (i % 9), "fortnite": 20_000 + 300 * (i % 5)}
            if i % 4 == 0:
                del twitch["fortnite"]
            for game, viewers in twitch.items():
                rows.append(
                    twitch_total(
                        t, game, viewers=viewers, channels=10, records=1, mature_channels=0, interval_seconds=600.0
                    )
                )
    return pa.Table.from_pylist(rows, schema=TOTALS_SCHEMA)


def colliding_games(*keys: str, first_seen: datetime = T0) -> pa.Table:
    """Games whose keys give the same natural slug, first seen in the order given (a minute apart from
    `first_seen` on)."""
    return pa.Table.from_pylist(
        [
            {
                "game_key": key,
                "name": key.title(),
                "steam_app_id": None,
                "is_game": True,
                "aliases": [key],
                "first_seen_at": first_seen + timedelta(minutes=n),
                "last_seen_at": first_seen + timedelta(minutes=n),
            }
            for n, key in enumerate(keys)
        ],
        schema=GAMES_SCHEMA,
    )


def review_summaries(*reviews: tuple[int, int, int, int, datetime]) -> pa.Table:
    """silver.review_summaries rows from (app_id, review_score, positive, total, observed_at)."""
    return pa.Table.from_pylist(
        [
            {
                "event_id": f"{app_id}-{at.timestamp()}",
                "app_id": app_id,
                "review_score": score,
                "review_score_desc": "Very Positive",
                "total_positive": positive,
                "total_negative": total - positive,
                "total_reviews": total,
                "observed_at": at,
                "poll_date": at.date(),
            }
            for app_id, score, positive, total, at in reviews
        ]
    )


MONTH_END = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # the channel polls cross a day and a month


def twitch_streams(t: datetime, k: int) -> list[dict[str, object]]:
    """The Twitch streams a poll at minute `k` sees: a big channel that switches game and renames
    itself, one that goes offline and comes back (a second stream), one below the head that only
    the 5-minute sweeps see, and one that changes language."""
    sweep = k % 5 == 0
    found = [
        {
            "stream_id": "s1",
            "channel_id": "101",
            "channel_name": "BigOne" if k < 45 else "BigOneTV",
            "user_login": "bigone" if k < 45 else "bigone_tv",
            "game_key": "dota 2" if k < 30 else "fortnite",
            "viewer_count": 5000 + 13 * (k % 7),
            "language": "en",
            "started_at": MONTH_END - timedelta(hours=2),
        }
    ]
    if not 20 <= k < 26:
        found.append(
            {
                "stream_id": "s2a" if k < 20 else "s2b",
                "channel_id": "202",
                "channel_name": "Mittel",
                "user_login": "mittel",
                "game_key": "dota 2",
                "viewer_count": 800 + 5 * (k % 3),
                "language": "de",
                "started_at": MONTH_END - timedelta(hours=1) if k < 20 else MONTH_END + timedelta(minutes=26),
            }
        )
    if sweep:
        found.append(
            {
                "stream_id": "s3",
                "channel_id": "303",
                "channel_name": "tail",
                "user_login": "tail",
                "game_key": "fortnite",
                "viewer_count": 3 + k % 2,
                "language": "ko",
                "started_at": MONTH_END,
            }
        )
    found.append(
        {
            "stream_id": "s4",
            "channel_id": "404",
            "channel_name": "Polyglot",
            "user_login": "polyglot",
            "game_key": "minecraft",
            "viewer_count": 40 + k % 4 if k % 4 else 90,
            "language": "en" if k < 40 else "es",
            "started_at": MONTH_END,
        }
    )
    kind = "twitch_sweep" if sweep else "twitch_head"
    return [
        {**s, "poll_id": f"twitch:{kind}:{int(t.timestamp())}", "game_name": str(s["game_key"]).title()} for s in found
    ]


def youtube_videos(t: datetime) -> list[dict[str, object]]:
    """A YouTube channel live with two broadcasts of two games at once."""
    return [
        {
            "video_id": f"v{n}",
            "channel_id": "UCtwo",
            "channel_title": "Two At Once",
            "game_key": game,
            "game_name": game.title(),
            "concurrent_viewers": viewers,
            "actual_start_time": MONTH_END - timedelta(minutes=10),
            "poll_id": f"youtube:youtube_live:{int(t.timestamp())}",
        }
        for n, (game, viewers) in enumerate((("dota 2", 300), ("minecraft", 120)))
    ]


def channel_polls(minutes, skip=(), user_login=True) -> tuple[pa.Table, pa.Table, pa.Table]:
    """Twitch polls every minute from MONTH_END (the head, a sweep every 5th), YouTube every 5: the
    stream snapshots, video snapshots and the poll totals the poll query derives from them. Without
    `user_login`, the stream snapshots are as version 1 code wrote them (no such column)."""
    streams, videos, totals_rows = [], [], []
    for k in minutes:
        if k in skip:
            continue
        t = MONTH_END + timedelta(minutes=k)
        seen = [dict(s, platform="twitch", source="twitch", observed_at=t) for s in twitch_streams(t, k)]
        if k % 5 == 0:
            seen += [
                dict(
                    v,
                    platform="youtube",
                    source="youtube",
                    observed_at=t,
                    stream_id=v["video_id"],
                    channel_name=v["channel_title"],
                    viewer_count=v["concurrent_viewers"],
                )
                for v in youtube_videos(t)
            ]
        for s in seen:
            row = dict(s, poll_date=t.date(), event_id=f"{s['poll_id']}/{s['stream_id']}")
            if s["platform"] == "twitch":
                streams.append(row)
            else:
                videos.append(row)
        for (platform, poll_id, game), rows in _grouped(seen).items():
            top = max(rows, key=lambda r: (r["viewer_count"], r["channel_name"]))
            totals_rows.append(
                twitch_total(
                    t,
                    game,
                    platform=platform,
                    source=platform,
                    poll_id=poll_id,
                    viewers=sum(cast(int, r["viewer_count"]) for r in rows),
                    channels=len(rows),
                    players=None,
                    records=len(rows),
                    mature_channels=0,
                    top_channel=top["channel_name"],
                    top_channel_viewers=top["viewer_count"],
                    interval_seconds=300.0 if platform == "youtube" else 60.0,
                )
            )
    schema = STREAMS_SCHEMA if user_login else STREAMS_SCHEMA.remove(STREAMS_SCHEMA.get_field_index("user_login"))
    stream_table = pa.Table.from_pylist(streams, schema=schema)
    video_table = pa.Table.from_pylist(videos, schema=VIDEOS_SCHEMA)
    return stream_table, video_table, pa.Table.from_pylist(totals_rows, schema=TOTALS_SCHEMA)


def _grouped(seen: list[dict[str, object]]) -> dict[tuple[str, str, str], list[dict[str, object]]]:
    groups: dict[tuple[str, str, str], list[dict[str, object]]] = {}
    for s in seen:
        groups.setdefault((str(s["platform"]), str(s["poll_id"]), str(s["game_key"])), []).append(s)
    return groups


def built_models(settings) -> set[str]:
    """The models the last dbt build of these settings ran (its run_results.json)."""
    results = json.loads((work_dir(settings) / "target" / "run_results.json").read_text())["results"]
    return {r["unique_id"].split(".")[-1] for r in results if r["unique_id"].startswith("model.")}
