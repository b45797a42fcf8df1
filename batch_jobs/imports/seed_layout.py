"""The seed pipeline's raw S3 archive as its own scripts wrote it (so its users keep their history):
the layout, its fetch runs and their pages.

    {root}/twitch/streams/{YYYY-MM-DD}/{HH}/fetch_streams_{page}_{YYYY-MM-DD_HH-MM-SS}.json          Helix /streams pages
    {root}/twitch/top_categories/{YYYY-MM-DD}/{HH}/fetch_top_categories_{page}_{timestamp}.json     Helix /games/top pages
    {root}/steam/players/{YYYY-MM-DD}/{HH}/combined_players_{timestamp}.json   {appid: {"response": {"player_count": N, "result": 1}}}
    {root}/steam/details/{YYYY-MM-DD}/combined_details_{timestamp}.json        {appid: {"success": true, "data": {"name": ...}}}

(the seed's root is `data/raw`). How the seed wrote them (gureums/Game-Stream-Trends, `scripts/twitch/
fetch_streams.py`, `fetch_top_categories.py`, `scripts/steam/fetch_players.py`, `fetch_details.py`,
and the DAGs under `dags/`):

- Every Helix page is saved as soon as it is fetched, and the date and hour folders and the file
  name's timestamp are `datetime.now(KST)` at that moment. The pages of one fetch run therefore carry
  different timestamps, seconds apart, and a run that starts at 09:59:58 puts its later pages in the
  `10` folder. A fetch run is read as pages 1..N in time order: page 1 starts a run, and page n joins
  the run before it when it comes after that run's last page within a few minutes
  (`MAX_PAGE_GAP`). A run without its page 1, or with a page missing in the middle, does not
  chain: the missing pages count as failed, and the import says so.
- `fetch_streams` stops at 100 pages and `fetch_top_categories` at 2, on purpose: a run that reached
  its cap is complete for what the seed set out to read (the 10,000 most-watched streams; the 200
  top categories), as a head poll of our own Twitch poller is. A run that stopped before its cap
  while its last page still had a cursor ended on an error (the seed saves nothing for a failed
  request and stops): the next page counts as failed.
- The DAGs ran every 4 hours (KST 00, 04, ..., 20; a failed task is retried 5 minutes later), so
  a run stands for the usual gap between the archive's runs of its kind, 4 hours when the archive
  holds one run (`--interval` overrides it).
- `fetch_players` writes one combined file per run, of the apps that answered: an app whose request
  failed is left out, so it is a gap for that app (no sample; gold averages players over the polls
  that sampled the app), never 0 players, and how many apps failed cannot be known from the archive.
- App names come from the archive's own `combined_details` files where it has them (the newest name
  wins), else from our catalog.
- Before 2025-01-08 the seed's names had no timestamp (`fetch_streams_{page}.json`,
  `combined_players.json`), so the runs of one hour overwrote each other: such a folder is one run
  whose clock is its hour (KST), when the DAG fired.

The seed wrote its timestamps in KST (UTC+9); they are converted to UTC. A run becomes one poll,
built by the pollers' own PollRecorder: its records, then a manifest whose record count is what
the files hold. A file under one of these folders whose name does not follow the layout, and a page
that is not the JSON the seed saved, go to quarantine; so does an entry the record contract
refuses. Other files of the archive (logs, app lists, other data) are not this import's and are
left alone."""

from __future__ import annotations

import re
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from batch_jobs.imports.base import (
    Run,
    SourceFile,
)
from gamestream.core.contracts import Source
from gamestream.core.raw_area import KST

DEFAULT_INTERVAL = 4 * 3600.0  # the seed's DAGs fetched every 4 hours (KST 00, 04, ..., 20)
MAX_PAGE_GAP = timedelta(minutes=10)  # the seed saved page after page with no pause; a retry starts at page 1
STAMP = r"(?P<stamp>\d{4}-\d{2}-\d{2}[_-]\d{2}-\d{2}-\d{2})"
DAY_HOUR = r"(?P<day>\d{4}-\d{2}-\d{2})/(?P<hour>\d{2})"
NAME_RULE = "…/{YYYY-MM-DD}/{HH}/fetch_<type>_<page>_<YYYY-MM-DD_HH-MM-SS>.json, combined_players_<timestamp>.json"


@dataclass(frozen=True)
class Layout:
    folder: str
    pattern: re.Pattern[str]
    source: Source
    platform: str
    record_kind: str
    poll_kind: str
    page_cap: int | None  # the pages the seed's script fetched at most


def layout_pattern(folder: str, name: str) -> re.Pattern[str]:
    """The file name with its KST timestamp, or the older name without one; `.json.gz` in our own archive."""
    return re.compile(rf"(?:^|/)(?P<path>{folder}{DAY_HOUR}/{name}(?:_{STAMP})?\.json(?P<gz>\.gz)?)$")


LAYOUTS = {
    "streams": Layout(
        "twitch/streams/",
        layout_pattern("twitch/streams/", r"fetch_streams_(?P<page>\d+)"),
        Source.TWITCH,
        "twitch",
        "stream_snapshot",
        "seed_streams",
        100,
    ),
    "top_categories": Layout(
        "twitch/top_categories/",
        layout_pattern("twitch/top_categories/", r"fetch_top_categories_(?P<page>\d+)"),
        Source.TWITCH,
        "twitch",
        "category_snapshot",
        "seed_top_categories",
        2,
    ),
    "players": Layout(
        "steam/players/",
        layout_pattern("steam/players/", "combined_players"),
        Source.STEAM,
        "steam",
        "player_count",
        "seed_players",
        None,
    ),
}
# our own archive's run manifest, beside the run's first page (gamestream/core/raw_area.py)
RUN_MANIFEST = re.compile(
    rf"(?:^|/)(?P<kind>twitch/streams|twitch/top_categories|steam/players)/{DAY_HOUR}/run_[a-z_]+_{STAMP}\.manifest\.json$"
)
DETAILS = re.compile(r"(?:^|/)steam/details/\d{4}-\d{2}-\d{2}/combined_details(?:_" + STAMP + r")?\.json$")


def fetched_at(stamp: str) -> datetime:
    """A seed file-name timestamp (KST) as UTC."""
    local = datetime.strptime(stamp.replace("_", "-"), "%Y-%m-%d-%H-%M-%S")
    return local.replace(tzinfo=KST).astimezone(UTC)


@dataclass(frozen=True)
class Page:
    file: SourceFile
    kind: str
    path: str  # from the data type's folder on: what the unit's digest covers besides the bytes
    page: int
    at: datetime
    stamped: bool  # False: the older layout, whose clock is its hour folder
    gz: bool = False  # our own archive's pages are gzip
    stamp: str = ""  # as the name spells it

    @property
    def run_key(self) -> tuple[str, str]:
        """(folder, stamp): how our own archive's run manifest names the run's first page."""
        return self.file.uri.rpartition("/")[0], self.stamp


def page_of(file: SourceFile) -> Page | None:
    for kind, layout in LAYOUTS.items():
        found = layout.pattern.search(file.uri)
        if found:
            number = int(found.groupdict().get("page") or 1)
            gz = bool(found["gz"])
            if found["stamp"]:
                at = fetched_at(found["stamp"])
                return Page(file, kind, found["path"], number, at, True, gz, found["stamp"])
            hour = datetime.strptime(f"{found['day']} {found['hour']}", "%Y-%m-%d %H").replace(tzinfo=KST)
            return Page(file, kind, found["path"], number, hour.astimezone(UTC), False, gz)
    return None


def in_seed_folder(file: SourceFile) -> bool:
    return any(f"/{layout.folder}" in f"/{file.uri}" for layout in LAYOUTS.values())


@dataclass
class FetchRun:
    """Pages 1..N of one fetch run, as found (a run may lack pages, or its page 1), and in our own
    archive the run's manifest (a poll whose every page failed has only its manifest)."""

    kind: str
    pages: list[Page] = field(default_factory=list)
    manifest: SourceFile | None = None
    manifest_at: datetime | None = None

    @property
    def start(self) -> datetime:
        if self.pages:
            return self.pages[0].at
        assert self.manifest_at is not None, "a run has pages or a manifest"
        return self.manifest_at

    @property
    def last(self) -> int:
        return self.pages[-1].page if self.pages else 0

    @property
    def files(self) -> list[SourceFile]:
        return [p.file for p in self.pages] + ([self.manifest] if self.manifest else [])

    @property
    def missing(self) -> list[int]:
        found = {p.page for p in self.pages}
        return [n for n in range(1, self.last + 1) if n not in found]

    def takes(self, page: Page) -> bool:
        """Does `page` continue this run: a later page number, saved soon after the run's last page?"""
        return page.page > self.last and page.at - self.pages[-1].at <= MAX_PAGE_GAP

    def describe(self) -> Run:
        layout = LAYOUTS[self.kind]
        return Run(
            kind=layout.poll_kind,
            start=self.start,
            files=[f.uri for f in self.files],
            pages=len(self.pages),
            missing=[] if self.manifest else self.missing,  # our own archive: its manifest says what failed
            stamped=not self.pages or self.pages[0].stamped,
        )


def fetch_runs(pages: Sequence[Page]) -> list[FetchRun]:
    """Group one kind's pages into fetch runs: in time order, page 1 opens a run, later pages join it."""
    runs: list[FetchRun] = []
    for page in sorted(pages, key=lambda p: (p.at, p.page, p.file.uri)):
        if page.kind == "players" or page.page == 1 or not runs or not runs[-1].takes(page):
            runs.append(FetchRun(page.kind))
        runs[-1].pages.append(page)
    return runs


def manifest_path(file: SourceFile) -> str:
    """A run manifest's path from its data type's folder on (what the unit's digest covers)."""
    found = RUN_MANIFEST.search(file.uri)
    assert found is not None
    return file.uri[found.start("kind") :]


def details_time(uri: str) -> str:
    found = DETAILS.search(uri)
    return (found["stamp"] or "") if found else ""


def usual_gap(times: list[datetime]) -> float:
    """The median gap between consecutive runs, to the minute (runs start seconds after their DAG
    fired; one run: the seed's 4 hours)."""
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:]) if b > a]
    return float(max(60, round(statistics.median(gaps) / 60) * 60)) if gaps else DEFAULT_INTERVAL
