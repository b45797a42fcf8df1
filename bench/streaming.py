"""Streaming job benchmarks (prints figures; not a test).

1. Kinesis source reader designs on the same pre-filled stream: records/s read by the driver
   reader and by the partitioned reader (plans by reading ahead, then reads again), and the ratio.
2. Poll query: records/s of the poll query over the same stream (state, Redis, totals), in
   batches of --poll-batch records, with the duration of its batches after the first.
3. Lake ingest: records/s of the lake query from the pre-filled stream into bronze + silver
   (dedup state, parse, one Delta append per table per batch), with the per-step split of its
   largest batch; against the plain read of (1) in the same run.

Run: .venv/bin/python bench/streaming.py [--polls 20] [--scale 0.05] [--poll-batch 6000]
Ends with one line of name=value headline figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402

from gamestream.embedded import embedded_stack  # noqa: E402
from gamestream.settings import Settings  # noqa: E402
from producers.run import emit_synthetic_history  # noqa: E402
from producers.sinks.kinesis import KinesisSink  # noqa: E402
from streaming_jobs.lake import Lake  # noqa: E402
from streaming_jobs.lake_query import start_lake_query  # noqa: E402
from streaming_jobs.poll_query import start_poll_query  # noqa: E402
from streaming_jobs.run import StreamingJob, export_aws_environment  # noqa: E402
from streaming_jobs.sources import stream_records  # noqa: E402
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


def last_steps(settings: Settings, query: str) -> dict:
    status = json.loads((Path(settings.checkpoint_path) / "status.json").read_text()).get(query, {})
    return status.get("steps", {})


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
    parser.add_argument("--poll-batch", type=int, default=6000, help="records per poll-query batch")
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

        # the poll query alone over the same stream, in batches of --poll-batch records (as the live
        # job sees them: a few seconds of arrivals each); before the lake query, since a new
        # checkpoint starts after what bronze already holds
        poll_settings = settings.model_copy(update={"poll_max_records_per_batch": args.poll_batch})
        poll_job = StreamingJob(poll_settings, spark)
        poll_start = time.perf_counter()
        query = start_poll_query(
            poll_settings,
            stream_records(spark, poll_settings, args.poll_batch),
            poll_job.poll_writer,
            poll_job.poll_checkpoint,
            available_now=True,
        )
        while query.isActive and not StreamingJob._caught_up(query):  # then only timeout batches are left
            time.sleep(0.2)
        poll_s = time.perf_counter() - poll_start
        batches = [p for p in query.recentProgress if p["numInputRows"]]
        query.stop()
        steady = [p["durationMs"]["triggerExecution"] / 1000 for p in batches[1:]]  # the first starts workers
        polls = Lake(settings.lake_path).read("silver/polls", columns=["status"])
        emitted = polls.num_rows if polls is not None else 0
        print(
            f"poll query: {sent} records in {len(batches)} batches of up to {args.poll_batch}, {emitted} polls "
            f"emitted: {sent / poll_s:,.0f} records/s over {poll_s:.1f} s; first batch "
            f"{batches[0]['durationMs']['triggerExecution'] / 1000 if batches else float('nan'):.1f} s, later "
            f"batches p50 {statistics.median(steady) if steady else float('nan'):.2f} s, "
            f"max {max(steady, default=float('nan')):.2f} s; steps of the last: {last_steps(settings, 'poll')}"
        )

        job = StreamingJob(settings, spark)
        lake_start = time.perf_counter()
        lake = start_lake_query(
            settings,
            stream_records(spark, settings, settings.stream_max_records_per_batch),
            job.lake_writer,
            job.lake_checkpoint,
            available_now=True,
        )
        lake.awaitTermination()
        lake_s = time.perf_counter() - lake_start
        status = json.loads((Path(settings.checkpoint_path) / "status.json").read_text())["lake"]
        bronze = Lake(settings.lake_path).read("bronze/records", columns=["data"])
        record_bytes = sum(len(d) for d in bronze.column("data").to_pylist()) / max(bronze.num_rows, 1)
        print(
            f"lake ingest: {sent} records of {record_bytes:.0f} B avg from {args.shards} shards into bronze+silver: "
            f"{sent / lake_s:,.0f} records/s over {lake_s:.1f} s including query start (target 20,000/s); "
            f"last batch {status['input_rows']} rows in {status['duration_s']} s, steps {status['steps']}; "
            f"silver rows {silver_rows(settings)}; lake/plain-read = {(sent / lake_s) / (driver_n / driver_s):.2f}"
        )

        print(
            f"reader_driver_rps={driver_n / driver_s:.0f} reader_partitioned_rps={part_n / part_s:.0f} "
            f"lake_ingest_rps={sent / lake_s:.0f} poll_query_rps={sent / poll_s:.0f} "
            f"poll_batch_p50_s={statistics.median(steady) if steady else float('nan'):.2f} record_bytes={record_bytes:.0f}"
        )
        spark.stop()


if __name__ == "__main__":
    main()
