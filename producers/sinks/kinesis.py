"""Kinesis sink: PutRecords batches (at most 500 records and 5 MiB), retry of only the failed
entries with exponential backoff and full jitter, a bounded buffer that blocks producers when
full (backpressure), and a flush on close so nothing accepted is lost.

A call whose outcome is unknown (timeout, dropped connection) is retried whole: its records may
then be in the stream twice. That is the at-least-once contract; silver removes duplicates by
event_id, and `stats.ambiguous_calls` counts such calls.
"""

from __future__ import annotations

import queue
import random
import threading
import time
from typing import Any

import structlog
from botocore.exceptions import BotoCoreError, ClientError

from gamestream.core.aws import aws_client
from gamestream.core.contracts import RecordBase
from gamestream.core.settings import Settings
from producers.sinks.base import Sink, encode

log = structlog.get_logger(__name__)

MAX_BATCH_RECORDS = 500
MAX_BATCH_BYTES = 5 * 1024 * 1024
Entry = tuple[bytes, bytes]  # (partition key, data)


class KinesisSink(Sink):
    def __init__(
        self,
        settings: Settings,
        client: Any | None = None,
        buffer_records: int = 20_000,
        linger_seconds: float = 0.05,
        backoff_base: float = 0.1,
        backoff_max: float = 5.0,
    ):
        super().__init__()
        self.stream = settings.stream_name
        self.client = client or aws_client(settings, "kinesis", retries={"total_max_attempts": 1, "mode": "standard"})
        self.linger, self.backoff_base, self.backoff_max = linger_seconds, backoff_base, backoff_max
        self._queue: queue.Queue[Entry] = queue.Queue(maxsize=buffer_records)
        self._pending = 0
        self._idle = threading.Condition()
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="kinesis-sink", daemon=True)
        self._thread.start()

    def send(self, record: RecordBase) -> None:
        self.send_raw(*encode(record))

    def send_raw(self, partition_key: bytes, data: bytes) -> None:
        """Send bytes as they are (replay re-publishes bronze records byte for byte)."""
        if self._closing.is_set():
            raise RuntimeError("sink is closed")
        entry = (partition_key, data)
        with self._idle:
            self._pending += 1
        self._queue.put(entry)  # blocks when the buffer is full
        self.stats.add(accepted=1)

    def flush(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._idle:
            while self._pending:
                remaining = None if deadline is None else deadline - time.monotonic()
                if remaining is not None and remaining <= 0:
                    return False
                self._idle.wait(remaining if remaining is not None else 1.0)
        return True

    def close(self, timeout: float | None = None) -> None:
        delivered = self.flush(timeout)
        self._closing.set()
        self._thread.join(timeout=5)
        if not delivered:
            log.error("sink_closed_with_undelivered_records", stream=self.stream, undelivered=self._pending)

    def _next_batch(self) -> list[Entry]:
        try:
            first = self._queue.get(timeout=0.2)
        except queue.Empty:
            return []
        batch, size = [first], len(first[0]) + len(first[1])
        deadline = time.monotonic() + self.linger
        while len(batch) < MAX_BATCH_RECORDS:
            try:
                entry = self._queue.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                break
            entry_size = len(entry[0]) + len(entry[1])
            if size + entry_size > MAX_BATCH_BYTES:
                self._put_records_until_done(batch)
                batch, size = [], 0
            batch.append(entry)
            size += entry_size
        return batch

    def _run(self) -> None:
        while not (self._closing.is_set() and self._queue.empty()):
            batch = self._next_batch()
            if batch:
                self._put_records_until_done(batch)

    def _put_records_until_done(self, batch: list[Entry]) -> None:
        attempt = 0
        while batch:
            if attempt:
                delay = random.uniform(0, min(self.backoff_max, self.backoff_base * 2**attempt))
                time.sleep(delay)
            attempt += 1
            try:
                response = self.client.put_records(
                    StreamName=self.stream,
                    Records=[{"Data": data, "PartitionKey": key.decode()} for key, data in batch],
                )
            except (ClientError, BotoCoreError) as exc:
                throttled = isinstance(exc, ClientError) and exc.response["Error"]["Code"] in (
                    "ProvisionedThroughputExceededException",
                    "LimitExceededException",
                    "ThrottlingException",
                )
                if not throttled and not isinstance(exc, ClientError):
                    self.stats.add(ambiguous_calls=1)  # timed out or dropped: it may have landed
                log.warning(
                    "put_records_failed",
                    stream=self.stream,
                    error=type(exc).__name__,
                    records=len(batch),
                    attempt=attempt,
                )
                self.stats.add(calls=1, retried_entries=len(batch))
                continue
            failed = [entry for entry, result in zip(batch, response["Records"]) if "ErrorCode" in result]
            self.stats.add(calls=1, delivered=len(batch) - len(failed), retried_entries=len(failed))
            self._done(len(batch) - len(failed))
            if failed:
                log.info("put_records_partial_failure", stream=self.stream, failed=len(failed), attempt=attempt)
            batch = failed

    def _done(self, count: int) -> None:
        with self._idle:
            self._pending -= count
            self._idle.notify_all()
