"""The streaming job: the lake query and the poll query on one SparkSession, each with its own
checkpoint (`<checkpoints>/lake`, `<checkpoints>/poll`) and FAIR scheduler pool, both reading the
same stream. `gst stream` runs it in the foreground, `gst demo` in the background."""

from __future__ import annotations

import json
import logging
import os
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

import pyarrow.fs as pafs
import structlog
from py4j.protocol import Py4JError  # type: ignore[import-untyped]
from pyspark.errors import StreamingQueryException
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql.streaming import StreamingQuery

from gamestream.core.lake import Lake, last_positions
from gamestream.core.raw_area import RawArea
from gamestream.core.settings import Settings
from streaming_jobs.lake_maintenance import PeriodicMaintenance
from streaming_jobs.lake_query import LakeWriter, start_lake_query
from streaming_jobs.live import LiveWriter
from streaming_jobs.poll_query import PollWriter, start_poll_query
from streaming_jobs.run_report import IN_FLIGHT, RunReporter, TriggerLog
from streaming_jobs.sources import stream_records

log = structlog.get_logger(__name__)
# how long stopping waits for the batches in flight to end (the demo's take 0.5-7 s)
STOP_GRACE_SECONDS = 8.0
CATCH_UP_CHECK_SECONDS = 0.25  # how often an available-now run looks whether the poll query has caught up
# Spark's loggers, silenced while the job stops: a query stopped mid-batch has its tasks, broadcasts
# and stream thread interrupted, and each logs that as an ERROR (the error is the stop itself)
STOP_ERROR_LOGGERS = ("org.apache.spark",)
# and py4j's, on the Python side, which logs a foreachBatch function's error with its trace before
# the JVM gets it: for a batch cut short by the stop that is the stop again (our log says it once)
STOP_ERROR_PY4J_LOGGERS = ("py4j.clientserver", "py4j.java_gateway")


def export_aws_environment(settings: Settings) -> None:
    """The source's reader runs in a Python worker started by the JVM: it sees only environment."""
    for key, value in settings.env().items():
        if key.startswith("GST_AWS_"):
            os.environ[key] = value


def _filesystem(uri: str) -> tuple[pafs.FileSystem, str]:
    """A checkpoint folder as (filesystem, path): local, or s3:// on AWS Glue."""
    if "://" in uri:
        return pafs.FileSystem.from_uri(uri)
    return pafs.LocalFileSystem(), os.path.abspath(uri)


def checkpoint_query_id(checkpoint: str) -> str:
    """The query id Spark keeps in the checkpoint (written first, so the job knows it before batch 0:
    it is the app id of the query's idempotent Delta writes and of its Redis batches)."""
    fs, path = _filesystem(checkpoint)
    metadata = f"{path}/metadata"
    if fs.get_file_info(metadata).type == pafs.FileType.NotFound:
        fs.create_dir(path, recursive=True)
        with fs.open_output_stream(metadata) as out:
            out.write(json.dumps({"id": str(uuid.uuid4())}).encode())
    with fs.open_input_stream(metadata) as found:
        return json.loads(found.read().decode().splitlines()[0])["id"]


def checkpoint_has_offsets(checkpoint: str) -> bool:
    fs, path = _filesystem(checkpoint)
    return fs.get_file_info(f"{path}/offsets").type != pafs.FileType.NotFound


class StreamingJob:
    """Both queries, started together and stopped together."""

    def __init__(
        self,
        settings: Settings,
        spark: SparkSession,
        reporter: RunReporter | None = None,
        source: Callable[[int, dict[str, str]], DataFrame] | None = None,
    ):
        """`source(max_records, start_after)` gives the stream as a streaming DataFrame (default: the
        project's Kinesis source; AWS Glue passes its own, see streaming_jobs/glue_job.py)."""
        self.settings, self.spark = settings, spark
        self.source = source or (lambda max_records, after: stream_records(spark, settings, max_records, after))
        root = settings.checkpoint_path.rstrip("/")
        # the status file is for `gst status` on this machine; on S3 (Glue) the log and metrics remain
        self.reporter = reporter or RunReporter(None if "://" in root else Path(root) / "status.json")
        self.live = LiveWriter(settings.redis_url)
        self.lake_checkpoint, self.poll_checkpoint = f"{root}/lake", f"{root}/poll"
        self.lake_writer = LakeWriter(settings, spark, self.reporter, checkpoint_query_id(self.lake_checkpoint))
        self.poll_writer = PollWriter(
            settings, spark, self.reporter, checkpoint_query_id(self.poll_checkpoint), self.live
        )
        self.queries: list[StreamingQuery] = []  # [poll, lake]
        self.available_now = False
        self.maintenance: PeriodicMaintenance | None = None
        self.trigger_log: TriggerLog | None = None

    def start(self, available_now: bool = False, lake_trigger: float | None = None) -> StreamingJob:
        settings = self.settings
        self.available_now = available_now
        self._end_trigger_log()  # a job started again keeps one listener
        if settings.log_level == "DEBUG":  # PySpark rebuilds every progress event for a listener: not for nothing
            self.trigger_log = TriggerLog()
            self.spark.streams.addListener(self.trigger_log)
        try:
            self._start_queries(available_now, lake_trigger)
        except BaseException:
            self._end_trigger_log()
            raise
        log.info(
            "stream_started",
            stream=settings.stream_name,
            lake=settings.lake_path,
            available_now=available_now,
            slots=settings.spark_task_slots,
            heap=settings.spark_driver_memory,
            heap_fixed=settings.spark_fixed_heap,
            collector=settings.spark_collector,
            lake_trigger_seconds=settings.stream_trigger_seconds,
        )
        return self

    def _start_queries(self, available_now: bool, lake_trigger: float | None) -> None:
        settings = self.settings
        self.queries = [
            start_poll_query(
                settings,
                self.source(settings.poll_max_records_per_batch, self._start_after(self.poll_checkpoint)),
                self.poll_writer,
                self.poll_checkpoint,
                available_now,
            ),
            start_lake_query(
                settings,
                self.source(settings.stream_max_records_per_batch, self._start_after(self.lake_checkpoint)),
                self.lake_writer,
                self.lake_checkpoint,
                available_now,
                lake_trigger,
            ),
        ]
        if not available_now and settings.lake_maintain_seconds:
            self.maintenance = PeriodicMaintenance(
                Lake(settings.lake_path),
                settings.lake_maintain_seconds,
                settings.lake_retention_hours,
                RawArea.from_settings(settings),
            )
            self.maintenance.start()

    def await_termination(self) -> None:
        """Until every query has ended; when one fails, the others are stopped and its error raised.

        With `available_now`, the poll query runs on a trigger (open polls keep timeouts pending,
        so it would never end by itself): once the lake query has ended, the poll query finishes
        what it read and is stopped; its open polls stay in its state for the next run."""

        while True:
            for query in self.queries:
                error = query.exception()
                if error is not None:
                    self.stop()
                    raise error
            poll = self.queries[0]
            if self.available_now and not self.queries[1].isActive and poll.isActive and self._caught_up(poll):
                self._stop_between_batches([poll], STOP_GRACE_SECONDS)
            active = [query for query in self.queries if query.isActive]
            if not active:
                self._end_trigger_log()
                return
            # this job's own queries only: the session's awaitAnyTermination would also raise the
            # error of any other query that ever failed in this SparkSession. The lake query while it
            # runs (an available-now run ends with it), and checked often then: the poll query is
            # stopped as soon as it has caught up, not up to a second later
            try:
                # PySpark takes seconds as int or float; its type hint says int
                active[-1].awaitTermination(CATCH_UP_CHECK_SECONDS if self.available_now else 1)  # type: ignore[arg-type]
            except StreamingQueryException:
                continue  # raised above, after the others are stopped

    def _start_after(self, checkpoint: str) -> dict[str, str]:
        """A new checkpoint on a lake that already holds this stream starts after what bronze holds
        (a kept checkpoint resumes from its own offsets and ignores this)."""
        if checkpoint_has_offsets(checkpoint):
            return {}
        positions = last_positions(Lake(self.settings.lake_path), self.settings.stream_name)
        if positions:
            log.warning("new_checkpoint_starts_after_the_lake", checkpoint=checkpoint, shards=len(positions))
        return positions

    @staticmethod
    def _caught_up(query: StreamingQuery) -> bool:
        """An available-now query that has read all it will read: only state batches are left."""
        progress = query.lastProgress
        return progress is not None and progress["numInputRows"] == 0 and not query.status["isDataAvailable"]

    def stop(self, grace_seconds: float = STOP_GRACE_SECONDS) -> None:
        """Stop both queries between batches when it can: the batches being written get up to
        `grace_seconds` to finish. A query stopped mid-batch loses nothing (its checkpoint replays the
        batch exactly once) but Spark logs it as an ERROR with a trace, which on the demo's console
        reads as a failure: our log says when a stop had to cut a batch short, and Spark's own lines
        about the stop are silenced while the queries stop (a failure before it was raised already)."""
        if self.maintenance is not None:
            self.maintenance.stop()
        self._stop_between_batches(self.queries, grace_seconds)
        self._end_trigger_log()
        self.live.close()

    def _end_trigger_log(self) -> None:
        if self.trigger_log is not None:
            self.spark.streams.removeListener(self.trigger_log)
            self.trigger_log = None

    def _stop_between_batches(self, queries: list[StreamingQuery], grace_seconds: float) -> None:
        deadline = time.monotonic() + grace_seconds
        while IN_FLIGHT.count and time.monotonic() < deadline:
            time.sleep(0.05)
        if IN_FLIGHT.count:
            log.info("queries_stopped_mid_batch", batches=IN_FLIGHT.count, hint="their checkpoints replay them")
        with stop_errors_silenced(self.spark):  # a batch may also start between the wait and the stop
            for query in queries:
                query.stop()


@contextmanager
def stop_errors_silenced(spark: SparkSession) -> Iterator[None]:
    """Spark's (and py4j's) log lines while the job stops (query.stop() returns once the query's
    thread has ended, its last line logged; SparkSession.stop() once its tasks have); the levels are
    then restored."""
    jvm: Any = spark.sparkContext._jvm
    log4j = jvm.org.apache.logging.log4j
    levels = {name: log4j.LogManager.getLogger(name).getLevel() for name in STOP_ERROR_LOGGERS}
    for name in STOP_ERROR_LOGGERS:
        log4j.core.config.Configurator.setLevel(name, log4j.Level.OFF)
    py4j_loggers = [logging.getLogger(name) for name in STOP_ERROR_PY4J_LOGGERS]
    py4j_levels = [logger.level for logger in py4j_loggers]
    for logger in py4j_loggers:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in zip(py4j_loggers, py4j_levels, strict=True):
            logger.setLevel(level)
        with suppress(Py4JError):  # a JVM that died on the way: nothing left to restore
            for name, level in levels.items():
                log4j.core.config.Configurator.setLevel(name, level)


@contextmanager
def background_stream(settings: Settings, spark_output: Path | None = None) -> Iterator[StreamingJob]:
    """The streaming job inside the current process (for `gst demo`), Spark's console output to
    `spark_output` when given; stopped on exit."""
    # here, not at the top: streaming_jobs.spark registers our Kinesis data source, which needs Spark 4's
    # Python data sources; Glue's Spark 3.5 imports this module (streaming_jobs/glue_job.py) without it
    from streaming_jobs.spark import streaming_job_spark

    export_aws_environment(settings)
    spark = streaming_job_spark(settings, spark_output)
    job = StreamingJob(settings, spark).start()
    try:
        yield job
    finally:  # within the stop's grace, even mid-batch: the checkpoints replay a cut batch exactly once
        with stop_errors_silenced(spark):
            job.stop()
            spark.stop()
