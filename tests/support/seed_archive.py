"""Files written the way the seed pipeline's own scripts write them (gureums/Game-Stream-Trends):

- `scripts/twitch/fetch_streams.py` and `fetch_top_categories.py` save each Helix page as soon as it
  is fetched, through `save_data_to_s3`, which names the date and hour folders and the file's
  timestamp from `datetime.now(KST)` at that moment: a run's pages carry their own times, seconds
  apart, and a run that starts just before the hour puts its later pages in the next hour's folder.
  A page is `json.dumps(answer, indent=4)`; the last page's `pagination` is `{}`.
- `scripts/steam/fetch_players.py` writes one `combined_players_{timestamp}.json` per run, of the
  apps that answered (a failed request leaves its app out), keyed by app id.
- `scripts/steam/fetch_details.py` writes `steam/details/{date}/combined_details_{timestamp}.json`
  (no hour folder): each app's appdetails answer (`{"success": true, "data": {"name": ...}}`).
- Before 2025-01-08 the names had no timestamp (`fetch_streams_{page}.json`).
- The DAGs ran every 4 hours, at KST 00, 04, ..., 20; a failed task was retried 5 minutes later.

`write_month` writes a month of such runs with every quirk the issue lists, and keeps what each run
held (`Month.runs`), so a test can compute the month's figures independently of the importer."""

from __future__ import annotations

import json
import random
import zlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

KST = timezone(timedelta(hours=9))
SECONDS_PER_PAGE = 1.7  # a Helix page fetched, then uploaded to S3, before the next request
RUN_HOURS_KST = (0, 4, 8, 12, 16, 20)  # the seed's DAGs: "0 15,19,23,3,7,11 * * *" UTC
SEED_INTERVAL = 4 * 3600.0


def kst_stamp(at: datetime) -> tuple[str, str, str]:
    """(date folder, hour folder, file timestamp) the seed wrote for a fetch at `at`, in KST."""
    local = at.astimezone(KST)
    return f"{local:%Y-%m-%d}", f"{local:%H}", f"{local:%Y-%m-%d_%H-%M-%S}"


def page_time(at: datetime, page: int, seconds_per_page: float = SECONDS_PER_PAGE) -> datetime:
    """When page `page` of a run started at `at` was saved, as its name tells it (whole seconds)."""
    return (at + timedelta(seconds=seconds_per_page * (page - 1))).replace(microsecond=0)


def page_path(root: Path, data_type: str, page: int, at: datetime) -> Path:
    """`save_data_to_s3(data, page_num)` at time `at`: data/raw/twitch/{type}/{date}/{hour}/fetch_{type}_{page}_{stamp}.json"""
    day, hour, stamp = kst_stamp(at)
    return root / "data" / "raw" / "twitch" / data_type / day / hour / f"fetch_{data_type}_{page}_{stamp}.json"


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
    root: Path,
    kind: str,
    at: datetime,
    pages: list[list[dict[str, Any]]],
    listing_goes_on: bool = False,
    seconds_per_page: float = SECONDS_PER_PAGE,
    lost_pages: tuple[int, ...] = (),
) -> list[Path]:
    """One fetch run of `kind` (streams or top_categories) started at `at`: page n is saved
    (n - 1) x `seconds_per_page` later, named by that moment. `lost_pages` are left out of the
    archive; `listing_goes_on`: the last page still has a cursor."""
    written = []
    for number, entries in enumerate(pages, start=1):
        saved = at + timedelta(seconds=seconds_per_page * (number - 1))
        if number in lost_pages:
            continue
        more = number < len(pages) or listing_goes_on
        body = {"data": entries, "pagination": {"cursor": f"eyJiIjp7IkN1cnNvciI6{number}"} if more else {}}
        path = page_path(root, kind, number, saved)
        path.parent.mkdir(parents=True, exist_ok=True)
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


def write_details(root: Path, at: datetime, names: dict[int, str]) -> Path:
    day, _, stamp = kst_stamp(at)
    folder = root / "data" / "raw" / "steam" / "details" / day
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"combined_details_{stamp}.json"
    body = {
        str(app): {"success": True, "data": {"type": "game", "name": name, "steam_appid": app}}
        for app, name in names.items()
    }
    path.write_text(json.dumps(body, indent=4))
    return path


def players(count: int) -> dict[str, Any]:
    return {"response": {"player_count": count, "result": 1}}


@dataclass
class RunTruth:
    """What one fetch run held, as its writer knows it: each stream once, as first seen."""

    at: datetime  # page 1's time: the poll's
    viewers: dict[str, int] = field(default_factory=dict)  # game -> total viewers
    channels: dict[str, int] = field(default_factory=dict)
    partial: bool = False
    chains: bool = True

    def add(self, game: str, viewers: int) -> None:
        self.viewers[game] = self.viewers.get(game, 0) + viewers
        self.channels[game] = self.channels.get(game, 0) + 1


@dataclass
class Month:
    """A month of the seed's Twitch streams runs and Steam players runs (UTC month), with what each held."""

    start: datetime
    end: datetime
    runs: list[RunTruth]  # Twitch streams runs, in time order
    players: list[tuple[datetime, dict[str, int]]]  # Steam runs: (time, app name -> players of the apps present)
    streams: int  # stream entries written in all the pages (repeats included)
    files: int

    @property
    def records(self) -> int:
        """The records an import makes of the month: each run's streams once, Steam's counts, a manifest per run."""
        twitch = sum(sum(run.channels.values()) for run in self.runs)
        return twitch + sum(len(counts) for _, counts in self.players) + len(self.runs) + len(self.players)

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m}"

    @staticmethod
    def _weights(times: list[datetime]) -> list[float]:
        """Each poll counts for the smaller of the gap to the next poll and the interval."""
        after = [*times[1:], None]
        return [
            min((b - a).total_seconds(), SEED_INTERVAL) if b is not None else SEED_INTERVAL
            for a, b in zip(times, after)
        ]

    def twitch(self) -> dict[str, dict[str, float]]:
        """Per game: the month's time-weighted average and peak viewers, hours watched and average channels."""
        weights = self._weights([run.at for run in self.runs])
        total = sum(weights)
        games = {game for run in self.runs for game in run.viewers}
        return {
            game: {
                "avg_viewers": sum(r.viewers.get(game, 0) * w for r, w in zip(self.runs, weights)) / total,
                "peak_viewers": max(r.viewers.get(game, 0) for r in self.runs),
                "hours_watched": sum(r.viewers.get(game, 0) * w for r, w in zip(self.runs, weights)) / 3600,
                "avg_channels": sum(r.channels.get(game, 0) * w for r, w in zip(self.runs, weights)) / total,
            }
            for game in games
        }

    def steam(self) -> dict[str, dict[str, float]]:
        """Per app: average players over the runs that sampled it (a missing app is a gap), and the peak."""
        weights = self._weights([at for at, _ in self.players])
        apps = {app for _, counts in self.players for app in counts}
        out = {}
        for app in apps:
            sampled = [(counts[app], w) for (_, counts), w in zip(self.players, weights) if app in counts]
            out[app] = {
                "avg_players": sum(c * w for c, w in sampled) / sum(w for _, w in sampled),
                "peak_players": max(c for c, _ in sampled),
            }
        return out


STEAM_APPS = {570: "Dota 2", 730: "Counter-Strike 2", 440: "Team Fortress 2"}  # 440 only in the details file


def write_month(root: Path, games: list[str], year: int, month: int, seed: int = 16) -> Month:
    """The seed's 4-hourly runs over a calendar month (UTC), pages saved on a clock that advances:

    - every run: 2-4 pages of up to 8 streams, started a few seconds after the DAG fired; each game
      with 0-4 channels, viewer counts that differ page to page;
    - day 2: a run of 12 full pages (1,200 streams) started at 03:59:52 KST, so its later pages are
      in the 04 folder, with a stream that moved from page 1 to page 2 while paging;
    - day 3: the 08:00 KST run ends on a failed request after page 3 (its last page has a cursor),
      and its retry 5 minutes later, in the same hour folder, reads every page;
    - day 4: a run that reached the seed's 100-page cap (its page 100 still has a cursor);
    - day 5: a run whose page 3 of 5 is not in the archive;
    - Steam: a combined players file per run with 2-3 of the apps (a failed request leaves an app
      out), and a details file naming app 440, which our catalog does not know.
    """
    rng = random.Random(seed)
    start = datetime(year, month, 1, tzinfo=UTC)
    end = datetime(year + month // 12, month % 12 + 1, 1, tzinfo=UTC)
    runs: list[RunTruth] = []
    steam: list[tuple[datetime, dict[str, int]]] = []
    next_id = 1
    streams = files = 0

    def entries(count: int) -> list[dict[str, Any]]:
        nonlocal next_id
        page = []
        for _ in range(count):
            rank = rng.randrange(len(games))
            page.append(helix_stream(next_id, games[rank], rng.randint(10, 5000 // (rank + 1)), rng.random() < 0.2))
            next_id += 1
        return page

    def run(at: datetime, pages: list[list[dict[str, Any]]], **options: Any) -> RunTruth:
        nonlocal streams, files
        lost = options.get("lost_pages", ())
        truth = RunTruth(at, partial=bool(lost) or options.get("partial", False), chains=not lost)
        seen = set()
        for number, page in enumerate(pages, start=1):
            if number in lost:
                continue
            for entry in page:
                streams += 1
                if entry["id"] in seen:
                    continue
                seen.add(entry["id"])
                truth.add(entry["game_name"], entry["viewer_count"])
        files += len(
            write_helix_run(root, "streams", at, pages, **{k: v for k, v in options.items() if k != "partial"})
        )
        runs.append(truth)
        return truth

    day = start.astimezone(KST).replace(hour=0, minute=0, second=0)
    while day < end:
        for hour in RUN_HOURS_KST:
            fired = day.replace(hour=hour) + timedelta(seconds=rng.randint(1, 40))
            if not start <= fired < end:
                continue
            number = (fired.astimezone(UTC) - start).days + 1
            if number == 2 and hour == 4:
                pages = [entries(100) for _ in range(12)]
                pages[1][0] = dict(pages[0][-1], viewer_count=pages[0][-1]["viewer_count"] + 7)  # it moved down a page
                run(day.replace(hour=3, minute=59, second=52), pages)
            elif number == 3 and hour == 8:
                run(fired, [entries(8) for _ in range(3)], listing_goes_on=True, partial=True)
                run(fired + timedelta(minutes=5, seconds=8), [entries(8) for _ in range(4)])
            elif number == 4 and hour == 12:
                run(fired, [entries(3) for _ in range(100)], listing_goes_on=True)
            elif number == 5 and hour == 16:
                run(fired, [entries(6) for _ in range(5)], lost_pages=(3,))
            else:
                run(fired, [entries(rng.randint(4, 8)) for _ in range(rng.randint(2, 4))])
            present = {
                app: rng.randint(1_000, 900_000 // (i + 1)) for i, app in enumerate(STEAM_APPS) if rng.random() > 0.15
            }
            steam_at = fired + timedelta(seconds=rng.randint(20, 50))
            if present:  # fetch_players writes no file when no app answered
                write_players_run(root, steam_at, {app: players(count) for app, count in present.items()})
                steam.append((steam_at, {STEAM_APPS[app]: count for app, count in present.items()}))
                files += 1
        day += timedelta(days=1)
    write_details(root, start + timedelta(hours=1), STEAM_APPS)
    runs.sort(key=lambda r: r.at)
    steam.sort(key=lambda s: s[0])
    return Month(start, end, runs, steam, streams, files)


T0 = datetime(2024, 11, 19, 15, 0, 5, tzinfo=UTC)  # 2024-11-20 00:00:05 KST: the seed's folders name the next day


@dataclass(frozen=True)
class Examples:
    """Fetch runs of every kind with the faults the seed's archive can hold (times in UTC)."""

    root: Path
    cut: datetime  # streams: 3 pages, a stream repeated on page 2, a bad entry on page 3, ended on a failed request
    bad_page: datetime  # streams: page 2 is not JSON
    categories: datetime  # top categories: 2 pages, the seed's cap, page 2 with a cursor
    players: datetime  # 4 apps: 2 counts, 1 without a count (result 42), 1 bad app id
    orphan: datetime  # streams: pages 2 and 3 of a run whose page 1 is not in the archive
    untimestamped: datetime  # streams in the seed's layout before 2025-01-08: the hour folder's clock
    misnamed: Path  # under twitch/streams/ but not in the layout
    unrelated: Path  # another part of the archive

    def kst(self, at: datetime) -> str:
        return kst_stamp(at)[2]


def write_examples(root: Path) -> Examples:
    cut, bad_page = T0, T0 + timedelta(hours=4)
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
    first, second = write_helix_run(
        root, "streams", bad_page, [[helix_stream(7, "Dota 2", 1000)], [helix_stream(8, "Dota 2", 1)]]
    )
    second.write_text('{"data": [{"id": "8", ')
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
        listing_goes_on=True,  # the seed stopped at 2 pages on purpose
    )
    write_players_run(root, T0, {570: players(800_000), 730: players(1_200_000), 999: {"response": {"result": 42}}})
    path = next((root / "data/raw/steam/players").rglob("*.json"))
    answers = json.loads(path.read_text())
    path.write_text(json.dumps({**answers, "abc": players(5)}, indent=4))
    orphan = T0 + timedelta(hours=8)
    write_helix_run(
        root,
        "streams",
        orphan,
        [[helix_stream(20, "Dota 2", 70)], [helix_stream(21, "Dota 2", 40)], [helix_stream(22, "Rust", 9)]],
        lost_pages=(1,),
    )
    old = root / "data/raw/twitch/streams/2024-11-21/04"  # KST 04:00 on the 21st = 2024-11-20 19:00 UTC
    old.mkdir(parents=True)
    (old / "fetch_streams_1.json").write_text(
        json.dumps({"data": [helix_stream(30, "Rust", 60)], "pagination": {"cursor": "c"}}, indent=4)
    )
    (old / "fetch_streams_2.json").write_text(
        json.dumps({"data": [helix_stream(31, "Rust", 15)], "pagination": {}}, indent=4)
    )
    misnamed = root / "data/raw/twitch/streams/2024-11-20/00/streams_page1.json"
    misnamed.write_text(json.dumps({"data": []}))
    unrelated = root / "data/raw/steam/app-list/appids.json"
    unrelated.parent.mkdir(parents=True)
    unrelated.write_text("[570, 730]")
    untimestamped = datetime(2024, 11, 20, 19, 0, tzinfo=UTC)
    return Examples(root, cut, bad_page, T0, T0, orphan, untimestamped, misnamed, unrelated)
