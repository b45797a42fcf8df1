"""Streaming job benchmarks (prints figures; not a test).

1. Kinesis source reader designs on the same pre-filled stream: records/s read by the driver
   reader and by the partitioned reader (plans by reading ahead, then reads again), and the ratio.
2. Ingest: records/s from the pre-filled stream into bronze + silver (+ polls, totals, Redis),
   with record size, shard count and the silver size that existed before the run.
3. Per-batch latency at a 1-second trigger while the synthetic producer polls every 5 s.

Run: .venv/bin/python bench/streaming.py [--polls 20] [--scale 0.05] [--latency-seconds 60]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402

from gamestream.embedded import embedded_stack  # noqa: E402
from gamestream.settings import Settings  # noqa: E402
from producers.run import background_producer, emit_synthetic_history  # noqa: E402
from producers.sinks.kinesis import KinesisSink  # noqa: E402
from streaming_jobs.job import StreamJob  # noqa: E402
from streaming_jobs.lake import Lake  # noqa: E402
from streaming_jobs.run import export_aws_environment, start_query  # noqa: E402
from streaming_jobs.spark import local_spark  # noqa: E402

DATA = Path(".gst-bench/streaming")


def prefill(settings: Settings, polls: int) -> tuple[int, float]:
    sink = KinesisSink(settings)
    end = datetime.now(UTC)
    sent = emit_synthetic_history(settings, sink, end - timedelta(seconds=60 * polls), end, 60, show_progress=False)
    sink.close()
    return sent, sink.stats.delivered


def read_only(spark, settings: Settings, mode: str, checkpoint: Path) -> tuple[int, float]:
    counted = []
    reader = (
        spark.readStream.format("kinesis")
        .option("streamName", settings.stream_name)
        .option("endpointUrl", settings.aws_endpoint_url)
        .option("readerMode", mode)
        .option("maxRecordsPerBatch", "50000")
    )
    start = time.perf_counter()
    query = (
        reader.load()
        .writeStream.option("checkpointLocation", str(checkpoint))
        .foreachBatch(lambda df, _: counted.append(df.toArrow().num_rows))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination()
    return sum(counted), time.perf_counter() - start


def silver_rows(settings: Settings) -> int:
    lake = Lake(settings.lake_path)
    total = 0
    for table in ("stream_snapshots", "player_counts", "category_snapshots", "video_snapshots"):
        found = lake.table(f"silver/{table}")
        total += sum(found.get_add_actions(flatten=True).column("num_records").to_pylist()) if found else 0
    return total


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--polls", type=int, default=20)
    parser.add_argument("--scale", type=float, default=0.05)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--latency-seconds", type=float, default=60)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    shutil.rmtree(DATA, ignore_errors=True)
    base = Settings(
        _env_file=None,
        synthetic_scale=args.scale,
        stream_shards=args.shards,
        stream_max_records_per_batch=200_000,
        poll_grace_seconds=3600,
    )
    print(f"machine: {os.cpu_count()} cores; Spark local[2]; kinesalite; {args.shards} shards")
    with embedded_stack(DATA, base) as stack:
        settings = stack.settings
        sent, _ = prefill(settings, args.polls)
        export_aws_environment(settings)
        spark = local_spark("gst-bench")

        driver_n, driver_s = read_only(spark, settings, "driver", DATA / "cp-driver")
        part_n, part_s = read_only(spark, settings, "partitioned", DATA / "cp-part")
        print(
            f"reader designs on {sent} records: driver {driver_n / driver_s:,.0f} records/s ({driver_s:.1f} s), "
            f"partitioned {part_n / part_s:,.0f} records/s ({part_s:.1f} s); "
            f"driver/partitioned = {(driver_n / driver_s) / (part_n / part_s):.2f}"
        )

        before = silver_rows(settings)
        job = StreamJob(settings, spark)
        start = time.perf_counter()
        query = start_query(settings, spark, job, available_now=True, checkpoint=str(DATA / "cp-ingest"))
        query.awaitTermination()
        elapsed = time.perf_counter() - start
        bronze = Lake(settings.lake_path).read("bronze/records", columns=["data"])
        record_bytes = sum(len(d) for d in bronze.column("data").to_pylist()) / max(bronze.num_rows, 1)
        status = json.loads((Path(settings.checkpoint_path) / "status.json").read_text())
        print(
            f"ingest: {sent} records of {record_bytes:.0f} B avg from {args.shards} shards into bronze+silver "
            f"(silver held {before} rows before): {sent / elapsed:,.0f} records/s over {elapsed:.1f} s "
            f"including query start; last batch {status['input_rows']} rows in {status['duration_s']} s "
            f"= {status['rows_per_s']:,.0f} rows/s; target 20,000/s"
        )

        durations: list[float] = []
        original = job.process

        def timed(frame, batch_id):
            report = original(frame, batch_id)
            if report.input_rows:
                durations.append(report.duration_s)
            return report

        job.process = timed
        live = settings.model_copy(update={"synthetic_scale": 0.01, "synthetic_poll_seconds": 5.0})
        query = start_query(live, spark, job, trigger_seconds=1.0, checkpoint=str(DATA / "cp-ingest"))
        with background_producer(live):
            stop = threading.Event()
            stop.wait(args.latency_seconds)
        query.stop()
        if durations:
            ordered = sorted(durations)
            p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
            print(
                f"per-batch latency at a 1 s trigger, synthetic producer every 5 s at scale 0.01, "
                f"{len(durations)} non-empty batches: p50 {statistics.median(durations):.2f} s, "
                f"p95 {p95:.2f} s, max {max(durations):.2f} s"
            )
        spark.stop()


if __name__ == "__main__":
    main()
