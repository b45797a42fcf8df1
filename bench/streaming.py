"""Streaming job benchmarks (prints figures; not a test).

1. Kinesis source reader designs on the same pre-filled stream: records/s read by the driver
   reader and by the partitioned reader (plans by reading ahead, then reads again), and the ratio.
2. Poll query: records/s of the poll query over the same stream (state, Redis, totals), in
   batches of --poll-batch records, with the duration of its batches after the first.
3. Lake ingest: records/s of the lake query from the pre-filled stream into bronze + silver
   (dedup state, parse, one Delta append per table per batch), with the per-step split of its
   largest batch; against the plain read of (1) in the same run.

With --sink kafka the stream is a topic of the embedded Kafka broker, read by Spark's own Kafka
source (JVM), so the lake query is measured without kinesalite's single Node thread and the Python
source in front of it; (1) and (2) are Kinesis figures and are skipped.

Run: .venv/bin/python bench/streaming.py [--polls 20] [--scale 0.05] [--poll-batch 6000]
     .venv/bin/python bench/streaming.py --sink kafka --polls 340   # the job's 500,000-record batches
     .venv/bin/python bench/streaming.py --sink kafka --polls 130 --lake-batch 200000
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

from gamestream.core.lake import Lake  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402
from gamestream.embedded.stack import embedded_stack  # noqa: E402
from producers.run import emit_synthetic_history  # noqa: E402
from producers.sinks import make_sink  # noqa: E402
from streaming_jobs.lake_query import start_lake_query  # noqa: E402
from streaming_jobs.poll_query import start_poll_query  # noqa: E402
from streaming_jobs.run import StreamingJob, export_aws_environment  # noqa: E402
from streaming_jobs.sources import stream_records  # noqa: E402
from streaming_jobs.spark import local_spark  # noqa: E402

DATA = Path(".gst-bench/streaming")


def prefill(settings: Settings, polls: int) -> tuple[int, float]:
    sink = make_sink(settings)
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
    parser.add_argument(
        "--lake-batch",
        type=int,
        default=Settings.model_fields["stream_max_records_per_batch"].default,
        help="records per lake-query batch at most (default: the job's)",
    )
    parser.add_argument("--sink", choices=("kinesis", "kafka"), default="kinesis")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    shutil.rmtree(DATA, ignore_errors=True)
    base = Settings(
        _env_file=None,
        synthetic_scale=args.scale,
        stream_shards=args.shards,
        stream_max_records_per_batch=args.lake_batch,
        poll_grace_seconds=3600,
        stream_dedup_seconds=max(900.0, 60.0 * (args.polls + 5)),  # else the oldest polls arrive late: bronze only
        sink=args.sink,
        kafka_partitions=args.shards,
    )
    transport = "kinesalite" if args.sink == "kinesis" else "the embedded Kafka broker"
    print(f"machine: {os.cpu_count()} cores; Spark local[2]; {transport}; {args.shards} shards or partitions")
    with embedded_stack(DATA, base) as stack:
        settings = stack.settings
        sent, _ = prefill(settings, args.polls)
        export_aws_environment(settings)
        spark = local_spark("gst-bench")
        headline = {"sink": args.sink}
        plain_rps = None
        if args.sink == "kinesis":
            headline.update(readers(spark, settings, sent))
            plain_rps = float(headline["reader_driver_rps"])
            headline.update(poll_query(spark, settings, sent, args.poll_batch))
        headline.update(lake_ingest(spark, settings, sent, args.shards, plain_rps))
        print(" ".join(f"{k}={v}" for k, v in headline.items()))
        spark.stop()


def readers(spark, settings: Settings, sent: int) -> dict:
    driver_n, driver_s = read_only(spark, settings, "driver", DATA / "cp-driver")
    part_n, part_s = read_only(spark, settings, "partitioned", DATA / "cp-part")
    print(
        f"reader designs on {sent} records: driver {driver_n / driver_s:,.0f} records/s ({driver_s:.1f} s), "
        f"partitioned {part_n / part_s:,.0f} records/s ({part_s:.1f} s); "
        f"driver/partitioned = {(driver_n / driver_s) / (part_n / part_s):.2f}"
    )
    return {"reader_driver_rps": f"{driver_n / driver_s:.0f}", "reader_partitioned_rps": f"{part_n / part_s:.0f}"}


def poll_query(spark, settings: Settings, sent: int, poll_batch: int) -> dict:
    """The poll query alone over the stream, in batches of `poll_batch` records (as the live job
    sees them: a few seconds of arrivals each); before the lake query, since a new checkpoint
    starts after what bronze already holds."""
    poll_settings = settings.model_copy(update={"poll_max_records_per_batch": poll_batch})
    poll_job = StreamingJob(poll_settings, spark)
    poll_start = time.perf_counter()
    query = start_poll_query(
        poll_settings,
        stream_records(spark, poll_settings, poll_batch),
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
    p50 = statistics.median(steady) if steady else float("nan")
    print(
        f"poll query: {sent} records in {len(batches)} batches of up to {poll_batch}, {emitted} polls "
        f"emitted: {sent / poll_s:,.0f} records/s over {poll_s:.1f} s; first batch "
        f"{batches[0]['durationMs']['triggerExecution'] / 1000 if batches else float('nan'):.1f} s, later "
        f"batches p50 {p50:.2f} s, max {max(steady, default=float('nan')):.2f} s; "
        f"steps of the last: {last_steps(settings, 'poll')}"
    )
    return {"poll_query_rps": f"{sent / poll_s:.0f}", "poll_batch_p50_s": f"{p50:.2f}"}


def state_split(progress: dict) -> str:
    """Where a batch's dedup time went, from the query's own progress, summed over its tasks: updates
    (taking the rows in: the source read upstream and RocksDB's lookups and inserts), the eviction scan
    of expired keys, the commit (flush and compaction), and how often RocksDB's block cache had a block."""
    state = progress["stateOperators"][0]
    custom = state.get("customMetrics", {})
    hits, misses = custom.get("rocksdbReadBlockCacheHitCount", 0), custom.get("rocksdbReadBlockCacheMissCount", 0)
    return (
        f"updates {state['allUpdatesTimeMs'] / 1000:.1f} s, eviction {state['allRemovalsTimeMs'] / 1000:.1f} s, "
        f"commit {state['commitTimeMs'] / 1000:.1f} s (flush {custom.get('rocksdbCommitFlushLatency', 0) / 1000:.1f} s, "
        f"compaction {custom.get('rocksdbTotalCompactionLatencyMs', 0) / 1000:.1f} s), "
        f"block cache hits {hits / max(hits + misses, 1):.0%} of {hits + misses:,} reads"
    )


def lake_ingest(spark, settings: Settings, sent: int, shards: int, plain_rps: float | None) -> dict:
    """The lake query over the whole stream; against the plain read of the same stream (the driver
    reader, Kinesis only) when `plain_rps` is given."""
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
    batches = [p for p in lake.recentProgress if p["numInputRows"]]
    status = json.loads((Path(settings.checkpoint_path) / "status.json").read_text())["lake"]
    bronze = Lake(settings.lake_path).read("bronze/records", columns=["data"])
    record_bytes = sum(len(d) for d in bronze.column("data").to_pylist()) / max(bronze.num_rows, 1)
    steady = batches[1:]  # the first starts the JVM's code paths and the Python workers
    steady_rps = sum(p["numInputRows"] for p in steady) / max(
        sum(p["durationMs"]["triggerExecution"] for p in steady) / 1000, 1e-9
    )
    split = ", ".join(
        f"{p['numInputRows']} rows in {p['durationMs']['triggerExecution'] / 1000:.1f} s" for p in batches
    )
    for number, progress in enumerate(batches, 1):
        print(f"  batch {number}: dedup state {state_split(progress)}")
    print(
        f"lake ingest: {sent} records of {record_bytes:.0f} B avg from {shards} shards or partitions into "
        f"bronze+silver: {sent / lake_s:,.0f} records/s over {lake_s:.1f} s including query start "
        f"(target 20,000/s); {len(batches)} batches "
        f"({split}), "
        f"after the first {f'{steady_rps:,.0f} records/s' if steady else 'none'}; last batch "
        f"{status['input_rows']} rows in {status['duration_s']} s, steps {status['steps']}; silver rows "
        f"{silver_rows(settings)}" + (f"; lake/plain-read = {sent / lake_s / plain_rps:.2f}" if plain_rps else "")
    )
    figures = {
        "lake_ingest_rps": f"{sent / lake_s:.0f}",
        "lake_ingest_after_first_batch_rps": f"{steady_rps:.0f}" if steady else "nan",
        "record_bytes": f"{record_bytes:.0f}",
    }
    if plain_rps:
        figures["lake_over_plain_read"] = f"{sent / lake_s / plain_rps:.2f}"
    return figures


if __name__ == "__main__":
    main()
