"""`gst import --format seed`: the seed pipeline's raw archive (and our pollers' own, written in its
layout) turned into polls, one per fetch run, as batch_jobs/imports/seed_layout.py reads the
layout: each run's pages through the pollers' own PollRecorder, a manifest counting what the files
hold, and quarantine for what the layout or the record contract refuses."""

from __future__ import annotations

import gzip
import json
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
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
from batch_jobs.imports.seed_layout import (
    DEFAULT_INTERVAL,
    DETAILS,
    LAYOUTS,
    NAME_RULE,
    RUN_MANIFEST,
    FetchRun,
    Page,
    details_time,
    fetch_runs,
    fetched_at,
    in_seed_folder,
    manifest_path,
    page_of,
    usual_gap,
)
from gamestream.core.catalog import steam_apps
from gamestream.core.clock import ManualClock
from gamestream.core.contracts import CategorySnapshot, ContractError, PlayerCount, PollManifest, Source, parse_record
from gamestream.core.raw_area import FORMAT as ARCHIVE_FORMAT
from producers.poll_loop import PollRecorder, PollSession
from producers.twitch import stream_record


def _json(page: Page, data: bytes) -> tuple[Any, Problem | None]:
    try:
        return json.loads(gzip.decompress(data) if page.gz else data), None
    except (OSError, EOFError) as exc:  # gzip's own errors
        reason = f"not gzip: {exc}"
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
        self.details: list[SourceFile] = []
        self._names: dict[int, str] | None = None
        self._runs: dict[tuple[str, ...], FetchRun] = {}

    def plan(self, files: Sequence[SourceFile]) -> Plan:
        by_kind: dict[str, list[Page]] = defaultdict(list)
        misnamed: list[SourceFile] = []
        ignored = []
        details = []
        manifests: dict[tuple[str, str], tuple[str, SourceFile]] = {}
        for file in files:
            page = page_of(file)
            if page is not None:
                by_kind[page.kind].append(page)
            elif found := RUN_MANIFEST.search(file.uri):
                kind = next(k for k, layout in LAYOUTS.items() if layout.folder == found["kind"] + "/")
                manifests[(file.uri.rpartition("/")[0], found["stamp"])] = (kind, file)
            elif DETAILS.search(file.uri):
                details.append(file)
            elif in_seed_folder(file):  # a seed folder, but not its layout: quarantined as a unit of its own
                misnamed.append(file)
            else:
                ignored.append(file)
        self.details = sorted(details, key=lambda f: details_time(f.uri))
        runs = [run for pages in by_kind.values() for run in fetch_runs(pages)]
        for run in runs:
            if run.pages[0].stamped:
                run.manifest = manifests.pop(run.pages[0].run_key, (None, None))[1]
        for (_, stamp), (kind, file) in manifests.items():  # a poll none of whose pages was archived
            runs.append(FetchRun(kind, manifest=file, manifest_at=fetched_at(stamp)))
        starts: dict[str, list[datetime]] = defaultdict(list)
        for run in runs:
            starts[run.kind].append(run.start)
        self.intervals = {kind: self.interval or usual_gap(sorted(found)) for kind, found in starts.items()}
        runs.sort(key=lambda run: (run.start, run.files[0].uri))
        self._runs = {tuple(f.uri for f in run.files): run for run in runs}
        units = [run.files for run in runs] + [[file] for file in misnamed]
        return Plan(units, ignored, [run.describe() for run in runs], used=details)

    def notes(self) -> list[str]:
        found = []
        if any(run.kind == "players" and run.manifest is None for run in self._runs.values()):
            found.append(
                "Steam: the seed left apps whose request failed out of its files, so Steam's coverage cannot "
                "be known; an app missing from a run is a gap for that app, not 0 players"
            )
        if any(run.pages and not run.pages[0].stamped for run in self._runs.values()):
            found.append(
                "files without a timestamp in their names (the seed's layout before 2025-01-08): each hour "
                "folder is one run, clocked at its hour (KST); later runs of that hour had overwritten earlier ones"
            )
        return found

    def fingerprint(self, files: Sequence[SourceFile], contents: Sequence[bytes]) -> str:
        """A run: its paths from the data type's folder on and its bytes, so the same run is the same
        unit wherever it is read from; a misnamed file: its location and bytes."""
        run = self._runs.get(tuple(f.uri for f in files))
        if run is None:
            return digest([files[0].uri.encode(), contents[0]])
        paths = [p.path for p in run.pages] + ([manifest_path(run.manifest)] if run.manifest else [])
        return digest([part for path, data in zip(paths, contents) for part in (path.encode(), data)])

    def convert(self, files: Sequence[SourceFile], read: Reader) -> Unit:
        run = self._runs.get(tuple(f.uri for f in files))
        contents = [read(f) for f in files]
        if run is None:
            return _misnamed(files[0], contents[0], self.fingerprint(files, contents))
        name = run.pages[0].path if run.pages else manifest_path(run.files[0])
        unit = Unit(name, self.fingerprint(files, contents), len(files))
        data = {p.page: raw for p, raw in zip(run.pages, contents)}
        archived = self._archived(run, contents[-1], unit) if run.manifest else None
        if archived is None and not run.pages:
            return unit  # a run manifest alone that cannot be read: quarantined, no poll
        layout = LAYOUTS[run.kind]
        sink = Collected()
        if archived is not None:  # our own archive: the poll as the poller closed it
            sent, fetched = archived
            session = PollSession(
                sink, ManualClock(sent.started_at), sent.source, sent.scheduled_at, sent.interval_seconds
            )
            poll_kind = sent.poll_id.split(":")[1]
            recorder = session.open(sent.platform, sent.record_kind, poll_kind, planned_pages=None)
        else:
            interval = self.intervals.get(run.kind) or self.interval or DEFAULT_INTERVAL
            session = PollSession(sink, ManualClock(run.start), layout.source, run.start, interval)
            recorder = session.open(layout.platform, layout.record_kind, layout.poll_kind, planned_pages=run.last)
            fetched = {}
        if run.kind == "players":
            if run.pages:
                page = run.pages[0]
                self._players(recorder, sink, page, data[page.page], unit, read, fetched.get(page.path, page.at))
        else:
            if run.pages and run.pages[0].page != 1 and archived is None:
                recorder.error(f"the run's page 1 is not in the archive: its first page is page {run.pages[0].page}")
            self._pages(recorder, sink, run, data, unit, fetched, capped=archived is None)
        sink.origin = (run.files[0].uri, 0)
        if archived is not None:
            manifest = _as_archived(archived[0], recorder.count)
        else:
            manifest = recorder.manifest(run.pages[-1].at)
        sink.send(manifest)
        sink.flush()
        unit.records = sink.records
        described = run.describe()
        described.coverage = manifest.coverage
        unit.run = described
        return unit

    def _archived(self, run: FetchRun, data: bytes, unit: Unit) -> tuple[PollManifest, dict[str, datetime]] | None:
        """Our own archive's run manifest: the poll's manifest as the poller sent it, and when each page
        was fetched; None (and a problem) when it cannot be read, so the run is read as the seed's."""
        assert run.manifest is not None
        try:
            document = json.loads(data)
            if document.get("format") != ARCHIVE_FORMAT:
                raise ValueError(f"format {document.get('format')!r} is not {ARCHIVE_FORMAT}")
            sent = parse_record(json.dumps(document["manifest"]))
            if not isinstance(sent, PollManifest):
                raise ValueError(f"its manifest is a {sent.kind}")
            fetched = {page["path"]: datetime.fromisoformat(page["fetched_at"]) for page in document["pages"]}
        except (ValueError, KeyError, TypeError, AttributeError, ContractError) as exc:
            unit.problems.append(
                Problem(
                    run.manifest.uri, 0, f"not a run manifest: {exc}", payload_text(data), str(LAYOUTS[run.kind].source)
                )
            )
            return None
        return sent, fetched

    def _pages(
        self,
        recorder: PollRecorder,
        sink: Collected,
        run: FetchRun,
        data: dict[int, bytes],
        unit: Unit,
        fetched: dict[str, datetime],
        capped: bool,
    ) -> None:
        """Helix pages 1..last of one run: streams (a stream id once per run) or top categories.
        `capped`: coverage follows the seed's page caps (our own archive's manifest gives its own)."""
        seen: set[str] = set()
        rank = 0
        by_number = {p.page: p for p in run.pages}
        cap = LAYOUTS[run.kind].page_cap
        for number in range(1, run.last + 1):
            if number not in by_number:
                recorder.page_failed(f"page {number}: not in the archive")
                continue
            page = by_number[number]
            body, problem = _json(page, data[number])
            if problem is None and not (isinstance(body, dict) and isinstance(body.get("data"), list)):
                problem = Problem(
                    page.file.uri,
                    0,
                    'not a Helix page: no "data" list',
                    payload_text(data[number]),
                    str(LAYOUTS[run.kind].source),
                )
            if problem is not None:
                unit.problems.append(problem)
                recorder.page_failed(f"page {number}: {problem.reason}")
                continue
            recorder.page_ok()
            observed = fetched.get(page.path, page.at)
            for position, entry in enumerate(body["data"], start=1):
                sink.origin = (page.file.uri, position)
                if run.kind == "top_categories":
                    rank += 1
                    self._emit_category(recorder, unit, page, position, entry, rank, observed)
                    continue
                stream_id = str(entry.get("id", "")) if isinstance(entry, dict) else ""
                if stream_id and stream_id in seen:
                    continue  # the listing shifted while the seed paged: the stream counts once
                seen.add(stream_id)
                try:
                    recorder.emit(stream_record(entry, Source.TWITCH, observed, recorder.poll_id))
                except (ContractError, AttributeError, TypeError) as exc:
                    self._bad_entry(recorder, unit, page, position, entry, exc)
            pagination = body.get("pagination")
            cursor = pagination.get("cursor") if isinstance(pagination, dict) else None
            if capped and number == run.last and cursor and body["data"] and (cap is None or number < cap):
                recorder.planned_pages = number + 1  # the seed stopped on a failed request: the next page failed
                recorder.page_failed(f"page {number + 1}: the listing went on, but the run ended after page {number}")

    def _emit_category(
        self, recorder: PollRecorder, unit: Unit, page: Page, position: int, entry: Any, rank: int, observed: datetime
    ) -> None:
        try:
            if not isinstance(entry, dict):
                raise TypeError("a category is a JSON object")
            recorder.emit(
                CategorySnapshot.create(
                    source=Source.TWITCH,
                    observed_at=observed,
                    poll_id=recorder.poll_id,
                    game_id=str(entry.get("id", "")),
                    game_name=str(entry.get("name", "")),
                    rank=rank,
                    igdb_id=entry.get("igdb_id") or None,
                )
            )
        except (ContractError, TypeError) as exc:
            self._bad_entry(recorder, unit, page, position, entry, exc)

    def _players(
        self,
        recorder: PollRecorder,
        sink: Collected,
        page: Page,
        data: bytes,
        unit: Unit,
        read: Reader,
        observed: datetime,
    ) -> None:
        """One combined_players file: an app whose answer has no count is a failed page, as in the poller;
        an app the file leaves out (its request failed) is simply not sampled."""
        body, problem = _json(page, data)
        if problem is None and not isinstance(body, dict):
            problem = Problem(page.file.uri, 0, "not an object of app ids", payload_text(data), "steam")
        if problem is not None:
            unit.problems.append(problem)
            recorder.page_failed(problem.reason)
            return
        names = self.app_names(read)
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
                        observed_at=observed,
                        poll_id=recorder.poll_id,
                        app_id=app_id,
                        app_name=names.get(app_id),
                        player_count=response.get("player_count"),
                    )
                )
                recorder.page_ok()
            except (ContractError, TypeError, ValueError) as exc:
                self._bad_entry(recorder, unit, page, position, {app: entry}, exc, failed_page=True)

    def app_names(self, read: Reader) -> dict[int, str]:
        """Steam app names: our catalog's, overridden by the archive's details files (the newest last)."""
        if self._names is None:
            names = {app_id: name for app_id, name in steam_apps().values()}
            for file in self.details:
                try:
                    body = json.loads(read(file))
                except (ValueError, OSError):
                    continue  # names only: a details file that cannot be read leaves the catalog's
                for app, entry in body.items() if isinstance(body, dict) else ():
                    data = entry.get("data") if isinstance(entry, dict) else None
                    name = data.get("name") if isinstance(data, dict) else None
                    if isinstance(name, str) and name.strip() and str(app).isdigit():
                        names[int(app)] = name.strip()
            self._names = names
        return self._names

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


def _as_archived(sent: PollManifest, count: int) -> PollManifest:
    """The poll's manifest as the poller sent it, counting the records read from its pages now (the
    same count, unless a parser differs from the one that polled)."""
    fields = sent.model_dump(exclude={"event_id", "kind", "schema_version"})
    return PollManifest.create(**{**fields, "record_count": count})


def _misnamed(file: SourceFile, data: bytes, fingerprint: str) -> Unit:
    folder = next(layout.folder for layout in LAYOUTS.values() if f"/{layout.folder}" in f"/{file.uri}")
    unit = Unit(file.uri, fingerprint, 1)
    unit.problems.append(
        Problem(
            file.uri,
            0,
            f"name does not follow the seed layout under {folder} ({NAME_RULE})",
            payload_text(data),
            "steam" if folder.startswith("steam") else "twitch",
        )
    )
    return unit
