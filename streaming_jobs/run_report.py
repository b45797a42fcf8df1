"""What each micro-batch of the two queries did: a structured log line, Prometheus metrics and the
status file `gst status` reads (one entry per query, replaced atomically)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import structlog
from py4j.protocol import Py4JJavaError  # type: ignore[import-untyped]
from pyspark.sql.streaming import StreamingQueryListener

from streaming_jobs.metrics import JobMetrics

log = structlog.get_logger(__name__)


@dataclass
class BatchReport:
    query: str  # "lake" or "poll"
    batch_id: int
    input_rows: int
    duration_s: float
    lag_millis: int = 0  # lake: age of the newest record read; poll: last record of a poll -> Redis
    quarantined: int = 0
    late: int = 0
    polls_complete: int = 0
    polls_partial: int = 0
    redis: str = "nothing"
    steps: dict[str, float] = field(default_factory=dict)
    finished_at: str = ""

    @property
    def rows_per_s(self) -> float:
        return round(self.input_rows / self.duration_s, 1) if self.duration_s else 0.0


class TriggerLog(StreamingQueryListener):
    """A `trigger` debug event per trigger that read records, with Spark's own phases in ms: reading
    the source up to its latest offset, the write-ahead log, planning, the batch (foreachBatch, whose
    steps the `batch` event splits), the commit. A poll's freshness is the whole trigger, and on two
    cores the source read and the commits were two fifths of it. The job adds it only when logging
    at debug level (up to two events a second)."""

    def onQueryStarted(self, event: Any) -> None:
        pass

    def onQueryProgress(self, event: Any) -> None:
        progress = event.progress
        if progress.numInputRows:
            log.debug(
                "trigger",
                query=progress.name,
                batch_id=progress.batchId,
                rows=progress.numInputRows,
                **{f"{phase}_ms": ms for phase, ms in progress.durationMs.items()},
            )

    def onQueryIdle(self, event: Any) -> None:
        pass

    def onQueryTerminated(self, event: Any) -> None:
        pass


class StepTimer:
    """Seconds spent in each named step of one batch."""

    def __init__(self) -> None:
        self.started = self._mark = time.perf_counter()
        self.steps: dict[str, float] = {}

    def step(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = round(now - self._mark, 3)
        self._mark = now

    @property
    def elapsed(self) -> float:
        return round(time.perf_counter() - self.started, 3)


class RunReporter:
    """Shared by both queries (their batches run on two threads)."""

    def __init__(self, status_file: Path | None, metrics: JobMetrics | None = None):
        self.status_file = status_file
        self.metrics = metrics or JobMetrics()
        self._lock = threading.Lock()

    def record(self, report: BatchReport) -> BatchReport:
        report.finished_at = datetime.now(UTC).isoformat()
        self.metrics.observe(report)
        log.info("batch", **asdict(report), rows_per_s=report.rows_per_s)
        if self.status_file is None:
            return report
        with self._lock:
            current = json.loads(self.status_file.read_text()) if self.status_file.exists() else {}
            current[report.query] = {**asdict(report), "rows_per_s": report.rows_per_s}
            self.status_file.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.status_file.with_suffix(".tmp")
            tmp.write_text(json.dumps(current))
            tmp.replace(self.status_file)
        return report


# what a micro-batch stopped by its query's stop() fails with: its jobs cancelled, or its thread
# interrupted (e.g. while unpersisting)
INTERRUPTIONS = (
    "SPARK_JOB_CANCELLED",
    "java.lang.InterruptedException",
    "java.io.InterruptedIOException",
    "java.nio.channels.ClosedByInterruptException",
)


class BatchFailed(RuntimeError):
    """A micro-batch's failure in one line (its whole trace is in the log)."""


class BatchesInFlight:
    """How many foreachBatch writes of this process are running: stopping the job waits for them, as a
    query stopped in one ends with Spark's ERROR and a trace, though nothing is lost."""

    def __init__(self) -> None:
        self._count = 0
        self._lock = threading.Lock()

    def add(self, step: int) -> None:
        with self._lock:
            self._count += step

    @property
    def count(self) -> int:
        return self._count


IN_FLIGHT = BatchesInFlight()


@contextmanager
def batch_errors(query: str, batch_id: int) -> Iterator[None]:
    """Re-raises a Java error of a foreachBatch function as a one-line BatchFailed, after logging it
    whole. Spark tests a foreachBatch error's message with a backtracking regex (is it an
    interruption?), which overflows the stack of the query's thread on a multi-page Java trace: the
    query then dies with a StackOverflowError instead of stopping or failing cleanly. The write counts
    in IN_FLIGHT while it runs."""
    IN_FLIGHT.add(1)
    try:
        yield
    except Py4JJavaError as exc:
        trace = str(exc)
        if any(mark in trace for mark in INTERRUPTIONS):  # the query is being stopped: nothing to tell
            log.info("batch_cancelled", query=query, batch_id=batch_id)
            # worded as Spark recognises an interruption by stop() (StreamExecution.PROXY_ERROR), so the
            # query ends cleanly instead of failing
            raise BatchFailed(
                f"py4j.protocol.Py4JJavaError: An error occurred while calling {query} batch {batch_id}\n"
                ": java.io.InterruptedIOException: the query is stopping"
            ) from None
        log.error("batch_failed", query=query, batch_id=batch_id, error=trace)
        raise BatchFailed(f"{query} batch {batch_id}: {exc.java_exception.toString()}") from None
    finally:
        IN_FLIGHT.add(-1)
