"""Files shaped like the seed pipeline's raw archive (Helix pages, Steam's combined player counts,
KST timestamps in the names), and a month of hourly Twitch polls with known per-game values."""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

KST = timezone(timedelta(hours=9))


def kst_stamp(at: datetime) -> tuple[str, str, str]:
    """(date folder, hour folder, file timestamp) the seed wrote for a fetch at `at`, in KST."""
    local = at.astimezone(KST)
    return f"{local:%Y-%m-%d}", f"{local:%H}", f"{local:%Y-%m-%d_%H-%M-%S}"


def helix_stream(stream_id: int, game: str, viewers: int, mature: bool = False) -> dict[str, Any]:
    return {
        "id": str(stream_id),
        "user_id": str(1000 + stream_id),
        "user_login": f"channel{stream_id}",
        "user_name": f"Channel{stream_id}",
        "game_id": str(zlib.crc32(game.encode()) % 100000),
        "game_name": game,
        "type": "live",
        "title": f"{game} all day",
        "tags": ["English"],
        "viewer_count": viewers,
        "started_at": "2016-01-01T00:00:00Z",
        "language": "en",
        "thumbnail_url": "https://example.invalid/{width}x{height}.jpg",
        "tag_ids": [],
        "is_mature": mature,
    }


def write_helix_run(
    root: Path, kind: str, at: datetime, pages: list[list[dict[str, Any]]], listing_goes_on: bool = False
) -> list[Path]:
    """One fetch run of `kind` (streams or top_categories): page files 1..n, indented as the seed saved them."""
    day, hour, stamp = kst_stamp(at)
    folder = root / "data" / "raw" / "twitch" / kind / day / hour
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for number, entries in enumerate(pages, start=1):
        more = number < len(pages) or listing_goes_on
        body = {"data": entries, "pagination": {"cursor": f"cursor-{number}"} if more else {}}
        path = folder / f"fetch_{kind}_{number}_{stamp}.json"
        path.write_text(json.dumps(body, indent=4))
        written.append(path)
    return written


def write_players_run(root: Path, at: datetime, answers: dict[int, Any]) -> Path:
    day, hour, stamp = kst_stamp(at)
    folder = root / "data" / "raw" / "steam" / "players" / day / hour
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"combined_players_{stamp}.json"
    path.write_text(json.dumps({str(app): answer for app, answer in answers.items()}, indent=4))
    return path


def players(count: int) -> dict[str, Any]:
    return {"response": {"player_count": count, "result": 1}}


@dataclass(frozen=True)
class Month:
    """Hourly Twitch polls over a calendar month (UTC): each game's total viewers per poll."""

    start: datetime
    end: datetime
    totals: dict[str, list[int]]  # game name -> one total per poll, 0 where it was absent
    streams: int  # stream entries in all the pages

    @property
    def polls(self) -> int:
        return len(next(iter(self.totals.values())))

    def mean(self, game: str) -> float:
        """Every poll stands for one hour, so the month's time-weighted mean is the plain mean."""
        values = self.totals[game]
        return sum(values) / len(values)

    def peak(self, game: str) -> int:
        return max(self.totals[game])


def write_month(root: Path, games: list[str], year: int, month: int, seed: int = 16) -> Month:
    """One streams page per hour: each game with 1-4 channels of random viewers, now and then none."""
    rng = random.Random(seed)
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    totals: dict[str, list[int]] = {game: [] for game in games}
    next_id = 1
    at = start
    while at < end:
        page = []
        for rank, game in enumerate(games):
            channels = 0 if rng.random() < 0.05 else rng.randint(1, 4)
            total = 0
            for _ in range(channels):
                viewers = rng.randint(10, 5000 // (rank + 1))
                page.append(helix_stream(next_id, game, viewers, mature=rng.random() < 0.2))
                next_id += 1
                total += viewers
            totals[game].append(total)
        write_helix_run(root, "streams", at, [page])
        at += timedelta(hours=1)
    return Month(start, end, totals, next_id - 1)


T0 = datetime(2024, 11, 19, 15, 0, 5, tzinfo=UTC)  # 2024-11-20 00:00:05 KST: the seed's folders name the next day


@dataclass(frozen=True)
class Examples:
    """Fetch runs of every kind with the faults the seed's archive can hold (times in UTC)."""

    root: Path
    cut: datetime  # streams: 3 pages, a stream repeated on page 2, a bad entry on page 3, the listing went on
    bad_page: datetime  # streams: page 2 is not JSON
    categories: datetime  # top categories: 2 pages
    players: datetime  # 4 apps: 2 counts, 1 without a count (result 42), 1 bad app id
    misnamed: Path  # under twitch/streams/ without the layout's timestamp
    unrelated: Path  # another part of the archive

    def kst(self, at: datetime) -> str:
        return kst_stamp(at)[2]


def write_examples(root: Path) -> Examples:
    cut, bad_page = T0, T0 + timedelta(hours=1)
    write_helix_run(
        root,
        "streams",
        cut,
        [
            [helix_stream(1, "Dota 2", 500), helix_stream(2, "Dota 2", 300), helix_stream(3, "Fortnite", 200)],
            [helix_stream(3, "Fortnite", 210), helix_stream(4, "Minecraft", 50, mature=True)],
            [helix_stream(5, "Dota 2", 100), helix_stream(6, "Dota 2", -5)],
        ],
        listing_goes_on=True,
    )
    (second,) = write_helix_run(root, "streams", bad_page, [[helix_stream(7, "Dota 2", 1000)]], listing_goes_on=True)
    (second.parent / second.name.replace("_1_", "_2_")).write_text('{"data": [{"id": "8", ')
    write_helix_run(
        root,
        "top_categories",
        T0,
        [
            [
                {"id": "509658", "name": "Just Chatting", "box_art_url": "", "igdb_id": ""},
                {"id": "29595", "name": "Dota 2"},
            ],
            [{"id": "33214", "name": "Fortnite", "igdb_id": "1905"}],
        ],
    )
    write_players_run(root, T0, {570: players(800_000), 730: players(1_200_000), 999: {"response": {"result": 42}}})
    path = next((root / "data/raw/steam/players").rglob("*.json"))
    answers = json.loads(path.read_text())
    path.write_text(json.dumps({**answers, "abc": players(5)}, indent=4))
    misnamed = root / "data/raw/twitch/streams/2024-11-20/00/fetch_streams_1.json"
    misnamed.write_text(json.dumps({"data": []}))
    unrelated = root / "data/raw/steam/app-list/appids.json"
    unrelated.parent.mkdir(parents=True)
    unrelated.write_text("[570, 730]")
    return Examples(root, cut, bad_page, T0, T0, misnamed, unrelated)
