"""The seed pipeline's raw S3 archive, so its users keep their history.

    {root}/twitch/streams/{YYYY-MM-DD}/{HH}/fetch_streams_{page}_{YYYY-MM-DD_HH-MM-SS}.json          Helix /streams pages
    {root}/twitch/top_categories/{YYYY-MM-DD}/{HH}/fetch_top_categories_{page}_{timestamp}.json     Helix /games/top pages
    {root}/steam/players/{YYYY-MM-DD}/{HH}/combined_players_{timestamp}.json   {appid: {"response": {"player_count": N, "result": 1}}}

(the seed's root is `data/raw`). The seed wrote its timestamps in KST (UTC+9); they are converted to
UTC. All pages with the same timestamp are one fetch run, and a run becomes one poll, built by the
pollers' own PollRecorder: its records, then a manifest whose record count is what the files hold.
A page missing from a run, or not JSON, counts as a failed page; a stream listing whose last page
still had a cursor was cut (the seed stopped at 100 pages), so its coverage is below 1. The poll's
interval is the usual gap between the archive's runs of that kind (`--interval` overrides it).

A file under one of these folders whose name does not follow the layout, and a page that is not
the JSON the seed saved, go to quarantine; so does an entry the record contract refuses. Other files
of the archive (logs, app lists, other data) are not this import's and are left alone.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from batch_jobs.imports.base import (
    Collected,
    ImportFormat,
    Plan,
    Problem,
    Reader,
    SourceFile,
    Unit,
    digest,
    payload_text,
)
from gamestream.contracts import CategorySnapshot, ContractError, PlayerCount, Source
from producers.catalog import steam_apps
from producers.clock import ManualClock
from producers.poll_loop import PollRecorder, PollSession
from producers.twitch import stream_record

KST = timezone(timedelta(hours=9), "KST")
DEFAULT_INTERVAL = 3600.0  # the seed archived hourly (one folder per hour)
STAMP = r"(?P<stamp>\d{4}-\d{2}-\d{2}[_-]\d{2}-\d{2}-\d{2})"
DAY_HOUR = r"\d{4}-\d{2}-\d{2}/\d{2}"


@dataclass(frozen=True)
class Layout:
    folder: str
    pattern: re.Pattern[str]
    source: Source
    platform: str
    record_kind: str
    poll_kind: str


LAYOUTS = {
    "streams": Layout(
        "twitch/streams/",
        re.compile(rf"(?:^|/)(?P<path>twitch/streams/{DAY_HOUR}/fetch_streams_(?P<page>\d+)_{STAMP}\.json)$"),
        Source.TWITCH,
        "twitch",
        "stream_snapshot",
        "seed_streams",
    ),
    "top_categories": Layout(
        "twitch/top_categories/",
        re.compile(
            rf"(?:^|/)(?P<path>twitch/top_categories/{DAY_HOUR}/fetch_top_categories_(?P<page>\d+)_{STAMP}\.json)$"
        ),
        Source.TWITCH,
        "twitch",
        "category_snapshot",
        "seed_top_categories",
    ),
    "players": Layout(
        "steam/players/",
        re.compile(rf"(?:^|/)(?P<path>steam/players/{DAY_HOUR}/combined_players_{STAMP}\.json)$"),
        Source.STEAM,
        "steam",
        "player_count",
        "seed_players",
    ),
}


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


def _page(file: SourceFile) -> Page | None:
    for kind, layout in LAYOUTS.items():
        found = layout.pattern.search(file.uri)
        if found:
            number = int(found.groupdict().get("page") or 1)
            return Page(file, kind, found["path"], number, fetched_at(found["stamp"]))
    return None


def _in_seed_folder(file: SourceFile) -> bool:
    return any(f"/{layout.folder}" in f"/{file.uri}" for layout in LAYOUTS.values())


def _json(page: Page, data: bytes) -> tuple[Any, Problem | None]:
    try:
        return json.loads(data), None
    except UnicodeDecodeError as exc:
        reason = f"not UTF-8 text: {exc}"
    except json.JSONDecodeError as exc:
        reason = f"not JSON: {exc}"
    return None, Problem(page.file.uri, 0, reason, payload_text(data), str(LAYOUTS[page.kind].source))


class SeedArchive(ImportFormat):
    name = "seed"
    description = "the seed pipeline's raw archive (Twitch streams and top categories, Steam players)"

    def __init__(self, interval: float | None = None):
        self.interval = interval
        self.intervals: dict[str, float] = {}
        self.steam_names = {app_id: name for app_id, name in steam_apps().values()}

    def plan(self, files: Sequence[SourceFile]) -> Plan:
        runs: dict[tuple[str, datetime], list[Page]] = defaultdict(list)
        units: list[tuple[datetime, list[SourceFile]]] = []
        ignored = []
        for file in files:
            page = _page(file)
            if page is not None:
                runs[(page.kind, page.at)].append(page)
            elif _in_seed_folder(file):  # a seed folder, but not its layout: quarantined as a unit of its own
                units.append((datetime.max.replace(tzinfo=UTC), [file]))
            else:
                ignored.append(file)
        times: dict[str, list[datetime]] = defaultdict(list)
        for (kind, at), pages in runs.items():
            times[kind].append(at)
            units.append((at, [p.file for p in sorted(pages, key=lambda p: p.page)]))
        self.intervals = {kind: self.interval or _usual_gap(sorted(found)) for kind, found in times.items()}
        units.sort(key=lambda unit: (unit[0], unit[1][0].uri))
        return Plan([files for _, files in units], ignored)

    def convert(self, files: Sequence[SourceFile], read: Reader) -> Unit:
        pages = [_page(f) for f in files]
        contents = [read(f) for f in files]
        if any(p is None for p in pages):
            file = files[0]
            folder = next(layout.folder for layout in LAYOUTS.values() if f"/{layout.folder}" in f"/{file.uri}")
            unit = Unit(file.uri, digest([file.uri.encode(), contents[0]]), 1)
            unit.problems.append(
                Problem(
                    file.uri,
                    0,
                    f"name does not follow the seed layout under {folder} (…/{{YYYY-MM-DD}}/{{HH}}/"
                    "fetch_<type>_<page>_<YYYY-MM-DD_HH-MM-SS>.json, combined_players_<timestamp>.json)",
                    payload_text(contents[0]),
                    "steam" if folder.startswith("steam") else "twitch",
                )
            )
            return unit
        found = [p for p in pages if p is not None]
        first = found[0]
        parts = [part for p, data in zip(found, contents) for part in (p.path.encode(), data)]
        unit = Unit(first.path, digest(parts), len(files))
        layout = LAYOUTS[first.kind]
        sink = Collected()
        interval = self.intervals.get(first.kind) or self.interval or DEFAULT_INTERVAL
        session = PollSession(sink, ManualClock(first.at), layout.source, first.at, interval)
        if first.kind == "players":
            recorder = session.open(layout.platform, layout.record_kind, layout.poll_kind, planned_pages=0)
            self._players(recorder, sink, first, contents[0], unit)
        else:
            by_number = {p.page: (p, data) for p, data in zip(found, contents)}
            last = max(by_number)
            recorder = session.open(layout.platform, layout.record_kind, layout.poll_kind, planned_pages=last)
            self._pages(recorder, sink, first.kind, by_number, last, unit)
        sink.origin = (first.file.uri, 0)
        sink.send(recorder.manifest(first.at))
        unit.records = sink.records
        return unit

    def _pages(
        self,
        recorder: PollRecorder,
        sink: Collected,
        kind: str,
        by_number: dict[int, tuple[Page, bytes]],
        last: int,
        unit: Unit,
    ) -> None:
        """Helix pages 1..last of one run: streams (a stream id once per run) or top categories."""
        seen: set[str] = set()
        rank = 0
        for number in range(1, last + 1):
            if number not in by_number:
                recorder.page_failed(f"page {number}: not in the archive")
                continue
            page, data = by_number[number]
            body, problem = _json(page, data)
            if problem is None and not (isinstance(body, dict) and isinstance(body.get("data"), list)):
                problem = Problem(
                    page.file.uri, 0, 'not a Helix page: no "data" list', payload_text(data), str(LAYOUTS[kind].source)
                )
            if problem is not None:
                unit.problems.append(problem)
                recorder.page_failed(f"page {number}: {problem.reason}")
                continue
            recorder.page_ok()
            for position, entry in enumerate(body["data"], start=1):
                sink.origin = (page.file.uri, position)
                if kind == "top_categories":
                    rank += 1
                    self._emit_category(recorder, unit, page, position, entry, rank)
                    continue
                stream_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
                if stream_id and stream_id in seen:
                    continue  # the listing shifted while the seed paged: the stream counts once
                seen.add(stream_id)
                try:
                    recorder.emit(stream_record(entry, Source.TWITCH, page.at, recorder.poll_id))
                except (ContractError, AttributeError, TypeError) as exc:
                    self._bad_entry(recorder, unit, page, position, entry, exc)
            cursor = (body.get("pagination") or {}).get("cursor") if isinstance(body.get("pagination"), dict) else None
            if number == last and cursor and body["data"]:
                recorder.planned_pages = last + 1
                recorder.error(f"the listing went on after page {last}: the seed stopped there (its page cap)")

    def _emit_category(
        self, recorder: PollRecorder, unit: Unit, page: Page, position: int, entry: Any, rank: int
    ) -> None:
        try:
            if not isinstance(entry, dict):
                raise TypeError("a category is a JSON object")
            recorder.emit(
                CategorySnapshot.create(
                    source=Source.TWITCH,
                    observed_at=page.at,
                    poll_id=recorder.poll_id,
                    game_id=str(entry.get("id", "")),
                    game_name=str(entry.get("name", "")),
                    rank=rank,
                    igdb_id=entry.get("igdb_id") or None,
                )
            )
        except (ContractError, TypeError) as exc:
            self._bad_entry(recorder, unit, page, position, entry, exc)

    def _players(self, recorder: PollRecorder, sink: Collected, page: Page, data: bytes, unit: Unit) -> None:
        """One combined_players file: an app whose answer has no count is a failed page, as in the poller."""
        body, problem = _json(page, data)
        if problem is None and not isinstance(body, dict):
            problem = Problem(page.file.uri, 0, "not an object of app ids", payload_text(data), "steam")
        if problem is not None:
            unit.problems.append(problem)
            recorder.page_failed(problem.reason)
            return
        recorder.planned_pages = len(body)
        for position, (app, entry) in enumerate(body.items(), start=1):
            sink.origin = (page.file.uri, position)
            response = entry.get("response") if isinstance(entry, dict) else None
            if isinstance(response, dict) and response.get("result") != 1:
                recorder.page_failed(f"app {app}: no player count (result={response.get('result')})")
                continue
            try:
                if not isinstance(response, dict):
                    raise TypeError('no "response" object')
                app_id = int(app)
                recorder.emit(
                    PlayerCount.create(
                        source=Source.STEAM,
                        observed_at=page.at,
                        poll_id=recorder.poll_id,
                        app_id=app_id,
                        app_name=self.steam_names.get(app_id),
                        player_count=response.get("player_count"),
                    )
                )
                recorder.page_ok()
            except (ContractError, TypeError, ValueError) as exc:
                self._bad_entry(recorder, unit, page, position, {app: entry}, exc, failed_page=True)

    def _bad_entry(
        self,
        recorder: PollRecorder,
        unit: Unit,
        page: Page,
        position: int,
        entry: Any,
        exc: Exception,
        failed_page: bool = False,
    ) -> None:
        """Quarantined, and named in the manifest's errors (a Steam app's entry is a page of its own)."""
        reason = f"entry {position} of {page.path}: {exc}"
        if failed_page:
            recorder.page_failed(reason)
        else:
            recorder.error(reason)
        source = str(LAYOUTS[page.kind].source)
        unit.problems.append(Problem(page.file.uri, position, str(exc), json.dumps(entry, default=str), source))


def _usual_gap(times: list[datetime]) -> float:
    """The median gap between consecutive runs, in whole seconds (one run: an hour)."""
    gaps = [(b - a).total_seconds() for a, b in zip(times, times[1:]) if b > a]
    return float(round(statistics.median(gaps))) if gaps else DEFAULT_INTERVAL
