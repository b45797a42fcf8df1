"""What producer tests share: the clock's start and a sink that keeps what it is sent."""

from __future__ import annotations

from datetime import UTC, datetime

from gamestream.contracts import RecordBase
from producers.sinks.base import Sink

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class ListSink(Sink):
    """Keeps what it is sent; the poller tests look at records, not at delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RecordBase] = []

    def send(self, record: RecordBase) -> None:
        self.records.append(record)
        self.stats.add(accepted=1, delivered=1)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        pass

    def of_kind(self, kind: str) -> list:
        return [r for r in self.records if r.kind == kind]
