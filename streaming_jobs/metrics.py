"""Prometheus metrics of the streaming job, one set per process."""

from __future__ import annotations

from typing import TYPE_CHECKING

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server

if TYPE_CHECKING:
    from streaming_jobs.job import BatchReport


class JobMetrics:
    def __init__(self, registry: CollectorRegistry | None = None):
        self.registry = registry or CollectorRegistry()
        r = self.registry
        self.batches = Counter("gst_stream_batches", "Micro-batches processed", registry=r)
        self.input_rows = Counter("gst_stream_input_rows", "Records read from the stream", registry=r)
        self.quarantined = Counter("gst_stream_quarantined_rows", "Records sent to quarantine", registry=r)
        self.batch_rows = Gauge("gst_stream_batch_input_rows", "Records in the last batch", registry=r)
        self.rows_per_second = Gauge("gst_stream_batch_rows_per_second", "Throughput of the last batch", registry=r)
        self.duration = Gauge("gst_stream_batch_duration_seconds", "Duration of the last batch", registry=r)
        self.behind = Gauge(
            "gst_stream_millis_behind_latest", "How far the last batch was behind the stream's tip", registry=r
        )
        self.last_batch = Gauge("gst_stream_last_batch_id", "Id of the last batch", registry=r)

    def observe(self, report: BatchReport) -> None:
        self.batches.inc()
        self.input_rows.inc(report.input_rows)
        self.quarantined.inc(report.quarantined)
        self.batch_rows.set(report.input_rows)
        self.rows_per_second.set(report.rows_per_s)
        self.duration.set(report.duration_s)
        self.behind.set(report.millis_behind_latest)
        self.last_batch.set(report.batch_id)

    def serve(self, port: int) -> None:
        start_http_server(port, addr="127.0.0.1", registry=self.registry)
