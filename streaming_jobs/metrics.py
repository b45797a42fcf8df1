"""Prometheus metrics of the streaming job, one set per process, labelled by query (lake, poll)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

if TYPE_CHECKING:
    from streaming_jobs.run_report import BatchReport


class JobMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r, q = self.registry, ["query"]
        self.batches = Counter("gst_stream_batches", "Micro-batches processed", q, registry=r)
        self.input_rows = Counter("gst_stream_input_rows", "Records read from the stream", q, registry=r)
        self.quarantined = Counter("gst_stream_quarantined_rows", "Records sent to quarantine", registry=r)
        self.late = Counter("gst_stream_late_rows", "Records kept in bronze only, left to backfill", registry=r)
        self.polls = Counter("gst_stream_polls_emitted", "Polls emitted", ["status"], registry=r)
        self.batch_rows = Gauge("gst_stream_batch_input_rows", "Records in the last batch", q, registry=r)
        self.rows_per_second = Gauge("gst_stream_batch_rows_per_second", "Throughput of the last batch", q, registry=r)
        self.duration = Gauge("gst_stream_batch_duration_seconds", "Duration of the last batch", q, registry=r)
        self.lag = Gauge(
            "gst_stream_lag_milliseconds",
            "lake: age of the newest record of the last batch; poll: a poll's last record to Redis",
            q,
            registry=r,
        )
        self.last_batch = Gauge("gst_stream_last_batch_id", "Id of the last batch", q, registry=r)

    def observe(self, report: BatchReport) -> None:
        query = report.query
        self.batches.labels(query).inc()
        self.input_rows.labels(query).inc(report.input_rows)
        self.quarantined.inc(report.quarantined)
        self.late.inc(report.late)
        self.polls.labels("complete").inc(report.polls_complete)
        self.polls.labels("partial").inc(report.polls_partial)
        self.batch_rows.labels(query).set(report.input_rows)
        self.rows_per_second.labels(query).set(report.rows_per_s)
        self.duration.labels(query).set(report.duration_s)
        self.lag.labels(query).set(report.lag_millis)
        self.last_batch.labels(query).set(report.batch_id)

    def serve(self, port: int) -> None:
        start_http_server(port, addr="127.0.0.1", registry=self.registry)
