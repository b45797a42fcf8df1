"""Time: the clocks pollers see (injected, so tests can run hours of polling in a moment), and the
small UTC helpers every stage shares."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now(self) -> datetime: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time; sleep wakes early when `stop` is set so shutdown is prompt."""

    def __init__(self, stop: threading.Event | None = None):
        self.stop = stop or threading.Event()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            self.stop.wait(seconds)


class ManualClock:
    """A clock that moves only when slept on: used by tests and by history generation."""

    def __init__(self, start: datetime):
        self._now = start
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        self.advance(max(seconds, 0.0))

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += timedelta(seconds=seconds)


def slot_floor(moment: datetime, interval: float) -> datetime:
    """Start of the grid slot holding `moment`; the grid is aligned to the Unix epoch."""
    epoch = moment.timestamp()
    return datetime.fromtimestamp(epoch - (epoch % interval), UTC)


def as_utc(value: datetime) -> datetime:
    """An aware UTC datetime (a naive one is taken as UTC)."""
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
