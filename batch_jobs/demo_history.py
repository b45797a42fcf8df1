"""The synthetic market's past, written straight into silver, so a new `gst demo` opens with history.

Streaming thirty days of records through the job would take hours; gold needs only silver. So this
writes what the two queries would have written for the synthetic poller's polls: the poll query's
silver.game_poll_totals and silver.polls, the lake query's silver.stream_snapshots and
silver.video_snapshots (the channel pages' data: about 1.1 million rows for 30 days at scale 0.01)
and the games' identities in silver.games, with the market's own numbers
(`producers.synthetic.SyntheticMarket`, which the poller uses too) and the poll state function's sums
(tests check them against the real poller's records and `streaming_jobs.poll_state`). Steam's player
counts and Twitch's top categories stay as totals only: no gold table reads their snapshots.

Polls are hourly, and every 5 minutes in the last day (what the 5-minute charts show). Each day is
one idempotent Delta commit per table (app id `gst-demo-history`, version = the day's ordinal), so a
run cut short resumes where it stopped. History is written once per data directory: a marker file
records it, and a lake that already holds other data gets none (it would overlap that data).
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from multiprocessing import get_context
from typing import Any

import pyarrow as pa
import structlog
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from gamestream.core import lake as L
from gamestream.core.contracts import SCHEMA_VERSION, Source, derive_event_id, poll_id_for
from gamestream.core.settings import Settings
from producers.synthetic import DAY_SECONDS, SyntheticMarket, stream_id, stream_title
from streaming_jobs.games import identify
from streaming_jobs.lake_query import new_games
from streaming_jobs.poll_state import game_identity

log = structlog.get_logger(__name__)

HISTORY_WRITER = "gst-demo-history"
MARKER = "demo-history.json"
HOURLY = 3600.0
FINE = 300.0
FINE_SPAN = timedelta(days=1)
# (platform, record kind, poll kind) of each poll the synthetic poller opens per slot
POLLS = (
    ("twitch", "stream_snapshot", "twitch_streams"),
    ("twitch", "category_snapshot", "twitch_top_games"),
    ("steam", "player_count", "steam_players"),
    ("youtube", "video_snapshot", "youtube_videos"),
)


@dataclass(frozen=True)
class HistorySummary:
    days: int
    polls: int
    totals: int
    skipped: str | None = None  # why nothing was written


def history_slots(end: datetime, days: float) -> list[tuple[datetime, float]]:
    """(slot, interval) of the history's polls: hourly from `days` before `end`, every 5 minutes in
    the last day, all before `end` (live polls take over from there)."""
    fine_from = _floor(end, FINE) - FINE_SPAN
    start = _floor(end - timedelta(days=days), HOURLY)
    slots: list[tuple[datetime, float]] = []
    moment = start
    while moment < min(fine_from, end):
        slots.append((moment, HOURLY))
        moment += timedelta(seconds=HOURLY)
    moment = max(fine_from, start)
    while moment + timedelta(seconds=FINE) <= end:
        slots.append((moment, FINE))
        moment += timedelta(seconds=FINE)
    return slots


def _floor(moment: datetime, seconds: float) -> datetime:
    return datetime.fromtimestamp(moment.timestamp() // seconds * seconds, UTC)


@dataclass
class SlotRows:
    """One slot's silver rows, per table."""

    totals: list[dict] = field(default_factory=list)
    polls: list[dict] = field(default_factory=list)
    streams: list[dict] = field(default_factory=list)
    videos: list[dict] = field(default_factory=list)

    def extend(self, other: SlotRows) -> None:
        for name in ("totals", "polls", "streams", "videos"):
            getattr(self, name).extend(getattr(other, name))


def _snapshot(kind: str, entity: str, poll_id: str, observed: datetime) -> dict[str, Any]:
    """What every silver snapshot row carries, as the lake query writes it for a record."""
    return {
        "poll_date": observed.date(),
        "event_id": derive_event_id(Source.SYNTHETIC, kind, entity, poll_id),
        "schema_version": SCHEMA_VERSION,
        "source": Source.SYNTHETIC.value,
        "kind": kind,
        "observed_at": observed,
        "observed_date": observed.date(),
        "poll_id": poll_id,
    }


def slot_rows(market: SyntheticMarket, slot: datetime, interval: float) -> SlotRows:
    """One slot's silver rows as the two queries write them for the synthetic poller's complete polls
    of that slot: the poll query's game_poll_totals and polls, the lake query's stream and video
    snapshots (what the channel models read)."""
    slot_index = int(slot.timestamp() // interval)
    observed = slot + timedelta(seconds=min(1.0, interval / 10))
    day = int(slot.timestamp() // DAY_SECONDS)
    games: dict[str, dict[str, dict[str, Any]]] = {"twitch": {}, "steam": {}, "youtube": {}}
    records = dict.fromkeys((p[2] for p in POLLS), 0)
    twitch_totals = []
    out = SlotRows()
    streams_poll = poll_id_for(Source.SYNTHETIC, "twitch_streams", slot)
    videos_poll = poll_id_for(Source.SYNTHETIC, "youtube_videos", slot)
    for model, viewers in zip(market.models, market.twitch_viewers(slot, slot_index), strict=True):
        roster = market.channel_roster(model)
        game_key = game_identity(model.category.name)[0]
        for channel, count in enumerate(viewers.tolist()):
            stream = stream_id(roster.ids[channel], day)
            out.streams.append(
                {
                    **_snapshot("stream_snapshot", stream, streams_poll, observed),
                    "platform": "twitch",
                    "stream_id": stream,
                    "channel_id": roster.ids[channel],
                    "channel_name": roster.names[channel],
                    "user_login": roster.logins[channel],
                    "game_id": model.game_id,
                    "game_name": model.category.name,
                    "viewer_count": count,
                    "started_at": datetime.fromtimestamp(day * DAY_SECONDS, UTC),
                    "language": roster.languages[channel],
                    "is_mature": bool(roster.mature[channel]),
                    "title": stream_title(model.category.name),
                    "game_key": game_key,
                }
            )
        top = int(viewers.max())
        top_name = min(roster.names[i] for i in (viewers == top).nonzero()[0].tolist())
        _add(
            games["twitch"],
            model.category.name,
            viewers=int(viewers.sum()),
            channels=len(viewers),
            records=len(viewers),
            mature_channels=int(roster.mature[: len(viewers)].sum()),
            top=(top_name, top),
        )
        records["twitch_streams"] += len(viewers)
        twitch_totals.append((int(viewers.sum()), model))
    records["twitch_top_games"] = min(100, len(twitch_totals))
    for model, players in market.steam_players(slot, slot_index):
        _add(games["steam"], model.category.name, players=players, records=1)
        records["steam_players"] += 1
    for total, model in twitch_totals:
        videos = market.youtube_videos(model, total, slot)
        for video in videos:
            out.videos.append(
                {
                    **_snapshot("video_snapshot", video.video_id, videos_poll, observed),
                    "video_id": video.video_id,
                    "channel_id": video.channel_id,
                    "channel_title": video.channel_title,
                    "title": f"{model.category.name} live",
                    "tags": [model.category.name, "gaming"],
                    "game_name": model.category.name,
                    "concurrent_viewers": video.viewers,
                    "view_count": video.views,
                    "like_count": None,
                    "actual_start_time": video.started_at,
                    "game_key": game_identity(model.category.name)[0],
                }
            )
            _add(
                games["youtube"],
                model.category.name,
                viewers=video.viewers,
                channels=1,
                records=1,
                mature_channels=0,
                views=video.views,
                top=(video.channel_title, video.viewers),
            )
        records["youtube_videos"] += len(videos)

    common = {
        "status": "complete",
        "coverage": 1.0,
        "scheduled_at": slot,
        "interval_seconds": interval,
        "source": Source.SYNTHETIC.value,
    }
    totals = out.totals
    for platform, record_kind, poll_kind in POLLS:
        poll_id = poll_id_for(Source.SYNTHETIC, poll_kind, slot)
        for key, game in sorted(games.get(platform, {}).items() if record_kind != "category_snapshot" else []):
            totals.append(
                {
                    "poll_date": slot.date(),
                    "poll_id": poll_id,
                    "platform": platform,
                    "game_key": key,
                    "observed_at": observed,
                    **game,
                    **common,
                }
            )
    out.polls[:] = [
        {
            "poll_id": poll_id_for(Source.SYNTHETIC, poll_kind, slot),
            "source": Source.SYNTHETIC.value,
            "platform": platform,
            "record_kind": record_kind,
            "expected": records[poll_kind],
            "received": records[poll_kind],
            "scheduled_at": slot,
            "started_at": slot,
            "finished_at": observed,
            "interval_seconds": interval,
            "pages": 1,
            "pages_failed": 0,
            "manifest_coverage": 1.0,
            "errors": [],
            "overran": False,
            "first_seen_at": observed,
            "last_seen_at": observed,
            "status": "complete",
            "coverage": 1.0,
            "closed_at": observed,
        }
        for platform, record_kind, poll_kind in POLLS
    ]
    return out


def _add(
    games: dict[str, dict[str, Any]], name: str, records: int, top: tuple[str, int] | None = None, **sums: int
) -> None:
    """Add one category's figures to its game's (two spellings can be one game), as the poll state does."""
    key, display = game_identity(name)
    game = games.setdefault(
        key,
        {
            "game_name": display,
            "viewers": None,
            "channels": None,
            "players": None,
            "records": 0,
            "mature_channels": 0,
            "top_channel": None,
            "top_channel_viewers": None,
            "views": None,
        },
    )
    game["records"] += records
    for column, value in sums.items():
        game[column] = (game[column] or 0) + value
    if top is not None:
        name_, viewers = top
        best = game["top_channel_viewers"]
        if best is None or viewers > best or (viewers == best and name_ < game["top_channel"]):
            game["top_channel"], game["top_channel_viewers"] = name_, viewers


@cache
def _market(seed: int, scale: float) -> SyntheticMarket:
    return SyntheticMarket(seed, scale)


def day_tables(seed: int, scale: float, slots: list[tuple[datetime, float]]) -> dict[str, pa.Table]:
    """One day's silver rows per table (run in a worker process)."""
    rows = SlotRows()
    for slot, interval in slots:
        rows.extend(slot_rows(_market(seed, scale), slot, interval))
    return {
        L.TOTALS: pa.Table.from_pylist(rows.totals, schema=L.TOTALS_SCHEMA),
        L.POLLS: pa.Table.from_pylist(rows.polls, schema=L.POLLS_SCHEMA),
        L.STREAMS: pa.Table.from_pylist(rows.streams, schema=L.STREAMS_SCHEMA),
        L.VIDEOS: pa.Table.from_pylist(rows.videos, schema=L.VIDEOS_SCHEMA),
    }


def write_history(settings: Settings, end: datetime | None = None, show_progress: bool = True) -> HistorySummary:
    """Write `settings.demo_history_days` of history ending at `end` (now) into the lake, once."""
    marker = settings.data_dir / MARKER
    if settings.demo_history_days <= 0:
        return HistorySummary(0, 0, 0, skipped="GST_DEMO_HISTORY_DAYS is 0")
    if marker.exists():
        return HistorySummary(0, 0, 0, skipped=f"written before ({marker})")
    lake = L.Lake(settings.lake_path, writer=HISTORY_WRITER)
    polls_table = lake.table(L.POLLS)
    done = polls_table.transaction_version(lake.app_id(L.POLLS)) if polls_table is not None else None
    if polls_table is not None and done is None:
        return HistorySummary(0, 0, 0, skipped="the lake already holds polls")
    end = end or datetime.now(UTC)
    by_day: dict[date, list[tuple[datetime, float]]] = defaultdict(list)
    for slot, interval in history_slots(end, settings.demo_history_days):
        if done is None or slot.date().toordinal() > done:
            by_day[slot.date()].append((slot, interval))
    polls = totals = snapshots = 0
    columns = (
        TextColumn("demo history"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("poll slots"),
        TimeRemainingColumn(),
    )
    days = sorted(by_day.items())
    # days are computed in worker processes (the market's numbers are CPU-bound) and written in order
    with (
        Progress(*columns, disable=not show_progress) as progress,
        ProcessPoolExecutor(max_workers=os.cpu_count() or 1, mp_context=get_context("spawn")) as pool,
    ):
        task = progress.add_task("history", total=sum(len(slots) for _, slots in days))
        if done is None:  # the games' identities first, so gold knows at once which are games
            names = {model.category.name for model in _market(settings.synthetic_seed, settings.synthetic_scale).models}
            first_slot = days[0][1][0][0] if days else end  # seen since the history's first poll
            games = new_games({name: identify(name) for name in names}, set(), first_slot)
            if games is not None:
                lake.append(L.GAMES, games, 0, [])
        computed = (
            pool.map(
                day_tables,
                *zip(*[(settings.synthetic_seed, settings.synthetic_scale, slots) for _, slots in days], strict=True),
            )
            if days
            else iter(())
        )
        for (day, slots), tables in zip(days, computed, strict=True):
            version = day.toordinal()
            # the polls last: a day whose polls are written is whole (a rerun resumes after it)
            for table in (L.TOTALS, L.STREAMS, L.VIDEOS):
                lake.append(table, tables[table], version, ["poll_date"])
            lake.append(L.POLLS, tables[L.POLLS], version, [])
            polls += tables[L.POLLS].num_rows
            totals += tables[L.TOTALS].num_rows
            snapshots += tables[L.STREAMS].num_rows + tables[L.VIDEOS].num_rows
            progress.advance(task, len(slots))
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps({"end": end.isoformat(), "days": settings.demo_history_days, "polls": polls}))
    log.info("demo_history_written", days=len(by_day), polls=polls, totals=totals, snapshots=snapshots)
    return HistorySummary(len(by_day), polls, totals)
