"""The sink interface every producer writes to: accept records, deliver them, flush on stop."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from gamestream.core.contracts import RecordBase

MAX_RECORD_BYTES = 1024 * 1024  # Kinesis' per-record limit (data + partition key)


@dataclass
class SinkStats:
    accepted: int = 0
    delivered: int = 0
    retried_entries: int = 0
    calls: int = 0
    ambiguous_calls: int = 0  # the call's outcome was unknown (timeout); its records may be duplicated
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, **counts: int) -> None:
        with self._lock:
            for name, value in counts.items():
                setattr(self, name, getattr(self, name) + value)


def encode(record: RecordBase) -> tuple[bytes, bytes]:
    """(partition key, payload): the entity id spreads load evenly across shards/partitions."""
    key = record.entity_id.encode()
    value = record.to_json().encode()
    if len(key) + len(value) > MAX_RECORD_BYTES:
        raise ValueError(f"record {record.event_id} is {len(value)} bytes; the stream takes at most {MAX_RECORD_BYTES}")
    return key, value


class Sink(ABC):
    """`send` may block when the buffer is full (backpressure); `close` flushes what was accepted."""

    def __init__(self) -> None:
        self.stats = SinkStats()

    @abstractmethod
    def send(self, record: RecordBase) -> None: ...

    @abstractmethod
    def flush(self, timeout: float | None = None) -> bool:
        """Wait until everything accepted is delivered; False if `timeout` passed first."""

    @abstractmethod
    def close(self, timeout: float | None = None) -> None: ...

    def __enter__(self) -> Sink:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
