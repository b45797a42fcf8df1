"""What the streaming job tells its operators: Prometheus metrics and the status file per query,
`gst status`, and the Glue entry point's adapter from Glue's Kinesis columns to the shared schema."""

import json
import os
import re
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from prometheus_client import generate_latest

from gamestream.core.contracts import StreamSnapshot
from streaming_jobs.glue_job import from_glue_kinesis
from streaming_jobs.kinesis_source import SCHEMA
from streaming_jobs.metrics import JobMetrics
from streaming_jobs.run_report import BatchFailed, BatchReport, RunReporter, batch_errors
from streaming_jobs.transforms.bronze import bronze_frame
from streaming_jobs.transforms.parse import parse_records


def test_batch_figures_become_metrics_and_the_status_file_per_query(tmp_path):
    reporter = RunReporter(tmp_path / "status.json", JobMetrics())
    reporter.record(BatchReport("lake", 3, 1000, 0.5, lag_millis=1500, quarantined=7, late=2))
    reporter.record(BatchReport("lake", 4, 500, 0.25))
    reporter.record(BatchReport("poll", 9, 40, 0.1, lag_millis=300, polls_complete=2, polls_partial=1))
    text = generate_latest(reporter.metrics.registry).decode()
    assert 'gst_stream_input_rows_total{query="lake"} 1500.0' in text
    assert "gst_stream_quarantined_rows_total 7.0" in text and "gst_stream_late_rows_total 2.0" in text
    assert 'gst_stream_batch_duration_seconds{query="lake"} 0.25' in text
    assert 'gst_stream_lag_milliseconds{query="poll"} 300.0' in text
    assert 'gst_stream_polls_emitted_total{status="partial"} 1.0' in text
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["lake"]["batch_id"] == 4 and status["lake"]["rows_per_s"] == 2000.0
    assert status["poll"]["polls_complete"] == 2


def test_gst_status_shows_the_last_batch_of_each_query(tmp_path):
    checkpoints = tmp_path / "checkpoints"
    checkpoints.mkdir()
    (checkpoints / "status.json").write_text(
        json.dumps({"lake": {"batch_id": 12, "input_rows": 345}, "poll": {"batch_id": 80, "polls_complete": 678}})
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    env.update(GST_CHECKPOINT_ROOT=str(checkpoints), GST_REDIS_URL="redis://127.0.0.1:1/0", COLUMNS="200")

    def status():
        return subprocess.run(
            [sys.executable, "-m", "gamestream", "status"],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    out = status()
    assert out.returncode == 0, out.stderr
    assert "345" in out.stdout and "678" in out.stdout and "redis last applied batch" in out.stdout
    (checkpoints / "status.json").unlink()
    missing = status()
    assert missing.returncode == 1 and "no batch recorded yet" in missing.stdout


def test_glue_kinesis_columns_map_onto_the_shared_stream_schema(spark):
    arrived = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)
    record = StreamSnapshot.create(
        source="twitch",
        observed_at=arrived,
        poll_id="p",
        stream_id="s",
        channel_id="c",
        channel_name="c",
        viewer_count=5,
    )
    glue = spark.createDataFrame(
        [("gst", "shardId-0", "4950", "k", arrived, bytearray(record.to_json().encode()), arrived)],
        "streamName STRING, shardId STRING, sequenceNumber STRING, partitionKey STRING, "
        "approximateArrivalTimestamp TIMESTAMP, data BINARY, __src_timestamp TIMESTAMP",
    )
    adapted = from_glue_kinesis(glue)
    assert [(f.name, f.dataType) for f in adapted.schema] == [(f.name, f.dataType) for f in SCHEMA]
    parsed = parse_records(bronze_frame(adapted, 0, arrived, "glue")).collect()
    assert len(parsed) == 1 and parsed[0]["quarantine_reason"] is None
    assert parsed[0]["event_id"] == record.event_id and parsed[0]["arrival_time"] == arrived.replace(tzinfo=None)


def test_a_failed_batch_is_raised_in_one_line(spark):
    """Spark matches a foreachBatch error's message with a backtracking regex: a Java trace of
    pages overflows the query thread's stack, so the writers re-raise a one-line error."""
    java_error = r"^lake batch 7: java.io.FileNotFoundException: /nonexistent/boom"
    # a Java error PySpark has no Python class for, so py4j raises it with its whole trace
    with pytest.raises(BatchFailed, match=java_error) as failed, batch_errors("lake", 7):
        spark.sparkContext._jvm.java.io.FileInputStream("/nonexistent/boom")
    assert "\n" not in str(failed.value) and failed.value.__suppress_context__


def test_an_interrupted_batch_is_raised_as_spark_recognises_a_stop(spark):
    """A batch interrupted by its query's stop() must fail with a message Spark's PROXY_ERROR pattern
    (StreamExecution) matches, or the stopped query ends with an error instead of cleanly."""
    proxy_error = re.compile(
        r"py4j.protocol.Py4JJavaError: An error occurred while calling.+(\r\n|\r|\n): java.io.InterruptedIOException"
    )
    jvm = spark.sparkContext._jvm
    with pytest.raises(BatchFailed) as failed, batch_errors("poll", 3):
        jvm.java.lang.Thread.currentThread().interrupt()
        jvm.java.lang.Thread.sleep(1000)  # an interrupted thread's sleep throws InterruptedException
    assert proxy_error.search(str(failed.value)) and "poll batch 3" in str(failed.value)
    assert not jvm.java.lang.Thread.currentThread().isInterrupted()
