"""The poll loop: polls on a fixed time grid (no drift), one manifest per poll, overruns recorded
and never stacked, errors recorded and survived, a health line after every poll."""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import structlog

from gamestream.core.clock import Clock, slot_floor
from gamestream.core.contracts import PollManifest, Source, poll_id_for
from producers.sinks.base import Sink

log = structlog.get_logger(__name__)
MAX_MANIFEST_ERRORS = 50


@dataclass
class PollRecorder:
    """Counts what one poll emitted and how much of what it planned it fetched."""

    sink: Sink
    source: Source
    platform: str
    record_kind: str
    poll_id: str
    scheduled_at: datetime
    started_at: datetime
    interval: float
    planned_pages: int | None = None
    count: int = 0
    pages: int = 0
    pages_failed: int = 0
    errors: list[str] = field(default_factory=list)
    on_close: list[Callable[[PollManifest], None]] = field(default_factory=list)  # e.g. the raw archive's run

    def emit(self, record) -> None:  # noqa: ANN001 - any contract record
        self.sink.send(record)
        self.count += 1

    def page_ok(self) -> None:
        self.pages += 1

    def page_failed(self, error: str) -> None:
        self.pages += 1
        self.pages_failed += 1
        self.error(error)

    def error(self, message: str) -> None:
        if len(self.errors) < MAX_MANIFEST_ERRORS:
            self.errors.append(message[:300])

    @property
    def coverage(self) -> float:
        planned = max(self.planned_pages or 0, self.pages)
        if planned == 0:
            return 0.0 if self.errors else 1.0
        return round((self.pages - self.pages_failed) / planned, 4)

    def manifest(self, finished_at: datetime) -> PollManifest:
        return PollManifest.create(
            source=self.source,
            observed_at=finished_at,
            poll_id=self.poll_id,
            platform=self.platform,
            record_kind=self.record_kind,
            record_count=self.count,
            scheduled_at=self.scheduled_at,
            started_at=self.started_at,
            finished_at=finished_at,
            interval_seconds=self.interval,
            pages=self.pages,
            pages_failed=self.pages_failed,
            coverage=self.coverage,
            errors=self.errors,
            overran=finished_at > self.scheduled_at + timedelta(seconds=self.interval),
        )

    def closed(self, manifest: PollManifest) -> None:
        """The poll's manifest was sent: tell what watches the poll; a failing watcher is only logged."""
        for hook in self.on_close:
            try:
                hook(manifest)
            except Exception:
                log.exception("poll_close_hook_failed", poll_id=self.poll_id)


class PollSession:
    """The polls opened for one grid slot; the loop closes them all with manifests. A long poll (a
    Twitch sweep) checks `stopping` between pages and ends early, with lower coverage, when the
    producer stops."""

    def __init__(
        self,
        sink: Sink,
        clock: Clock,
        source: Source,
        slot: datetime,
        interval: float,
        stop: threading.Event | None = None,
    ):
        self.sink, self.clock, self.source, self.slot, self.interval = sink, clock, source, slot, interval
        self.stop = stop or threading.Event()
        self.recorders: list[PollRecorder] = []

    @property
    def stopping(self) -> bool:
        return self.stop.is_set()

    def open(
        self,
        platform: str,
        record_kind: str,
        poll_kind: str,
        planned_pages: int | None = None,
        interval: float | None = None,
    ) -> PollRecorder:
        recorder = PollRecorder(
            sink=self.sink,
            source=self.source,
            platform=platform,
            record_kind=record_kind,
            poll_id=poll_id_for(self.source, poll_kind, self.slot),
            scheduled_at=self.slot,
            started_at=self.clock.now(),
            interval=interval or self.interval,
            planned_pages=planned_pages,
        )
        self.recorders.append(recorder)
        return recorder


class Poller(ABC):
    """One platform's poller: `poll` fetches one grid slot's observations into the session."""

    source: Source
    interval: float

    @abstractmethod
    def poll(self, session: PollSession) -> None: ...

    def budget_used(self) -> str:
        return "n/a"

    def close(self) -> None:
        """Release connections."""


@dataclass
class Health:
    source: str
    polls: int = 0
    records_sent: int = 0
    errors: int = 0
    overruns: int = 0
    last_success: datetime | None = None


class PollLoop:
    def __init__(self, poller: Poller, sink: Sink, clock: Clock, stop: threading.Event | None = None):
        self.poller, self.sink, self.clock = poller, sink, clock
        self.stop = stop or threading.Event()
        self.health = Health(str(poller.source))

    def run_slot(self, slot: datetime) -> list[PollManifest]:
        session = PollSession(self.sink, self.clock, self.poller.source, slot, self.poller.interval, self.stop)
        try:
            try:
                self.poller.poll(session)
            except Exception as exc:  # a poller bug must not end a long-running producer
                log.exception("poll_failed", source=str(self.poller.source), slot=slot.isoformat())
                self.health.errors += not session.recorders  # nothing opened: no manifest to carry the error
                for recorder in session.recorders:
                    recorder.error(f"poll aborted: {type(exc).__name__}: {exc}")
            finished = self.clock.now()
            manifests = [recorder.manifest(finished) for recorder in session.recorders]
            for recorder, manifest in zip(session.recorders, manifests):
                self.sink.send(manifest)
                self.health.records_sent += 1
                recorder.closed(manifest)
        finally:  # counted even when a forced stop cuts the poll short: the sink still delivers them
            self.health.records_sent += sum(recorder.count for recorder in session.recorders)
        self._record_health(manifests, finished)
        return manifests

    def _record_health(self, manifests: list[PollManifest], finished: datetime) -> None:
        h = self.health
        h.polls += 1
        h.errors += sum(len(m.errors) for m in manifests)
        h.overruns += any(m.overran for m in manifests)
        if manifests and all(m.coverage > 0 for m in manifests):
            h.last_success = finished
        log.info(
            "health",
            source=h.source,
            last_success=h.last_success.isoformat() if h.last_success else None,
            records_sent=h.records_sent,
            delivered=self.sink.stats.delivered,
            errors=h.errors,
            polls=h.polls,
            overruns=h.overruns,
            budget_used=self.poller.budget_used(),
            coverage=[m.coverage for m in manifests],
        )

    def run(self, max_polls: int | None = None) -> None:
        """Poll every grid slot from now on; a poll that overruns skips the slots it covered."""
        interval = self.poller.interval
        slot = slot_floor(self.clock.now(), interval)
        polls = 0
        while not self.stop.is_set():
            self.run_slot(slot)
            polls += 1
            if max_polls is not None and polls >= max_polls:
                return
            now = self.clock.now()
            next_slot = slot + timedelta(seconds=interval)
            if now >= next_slot:
                skipped = math.floor((now - next_slot).total_seconds() / interval) + 1
                log.warning("poll_overran", source=self.health.source, slot=slot.isoformat(), skipped_slots=skipped)
                next_slot += timedelta(seconds=interval * skipped)
            self.clock.sleep((next_slot - now).total_seconds())
            slot = next_slot
