"""Producer benchmarks (prints figures; not a test).

1. Records/s one producer pushes into the embedded Kinesis (kinesalite) and, in the same run and
   stack, into the embedded Kafka broker (KRaft, acks=all, idempotent), on one core (the servers,
   started before the pinning, keep both cores), with record size and shard/partition count, as a
   ratio against serialising the same records without sending them.
2. Peak memory during a 100k-stream Twitch poll (1,000 pages) served by the local fixture server.

The last line holds the headline figures as name=value pairs.

Run: .venv/bin/python bench/producers.py [--records 50000] [--shards 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402

from gamestream.core.clock import ManualClock  # noqa: E402
from gamestream.core.contracts import StreamSnapshot  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402
from gamestream.embedded.stack import embedded_stack  # noqa: E402
from producers.poll_loop import PollLoop  # noqa: E402
from producers.sinks.base import Sink, encode  # noqa: E402
from producers.sinks.kafka import KafkaSink  # noqa: E402
from producers.sinks.kinesis import KinesisSink  # noqa: E402
from producers.twitch import TwitchPoller  # noqa: E402
from tests.support.platforms import FixtureServer, PlatformState, make_streams  # noqa: E402

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)
BENCH_DATA = Path(".gst-bench")


class CountingSink(Sink):
    def send(self, record):
        self.stats.add(accepted=1, delivered=1)

    def flush(self, timeout=None):
        return True

    def close(self, timeout=None):
        pass


def snapshots(count: int) -> list[StreamSnapshot]:
    return [
        StreamSnapshot.create(
            source="twitch",
            observed_at=T0,
            poll_id="bench",
            stream_id=str(10**9 + i),
            channel_id=str(i),
            channel_name=f"channel_{i}",
            game_id=str(i % 200),
            game_name=f"Game {i % 200}",
            viewer_count=(i * 7919) % 5000,
            started_at=T0 - timedelta(hours=1),
            language="en",
            title=f"stream number {i}",
        )
        for i in range(count)
    ]


def timed_send(sink: Sink, batch: list[StreamSnapshot]) -> float:
    """Seconds from the first send to every record acknowledged (close flushes)."""
    start = time.perf_counter()
    for record in batch:
        sink.send(record)
    sink.close()
    assert sink.stats.delivered == len(batch), sink.stats
    return time.perf_counter() - start


def throughput(records: int, shards: int) -> dict[str, float]:
    batch = snapshots(records)
    size = sum(len(encode(r)[1]) for r in batch) / len(batch)
    start = time.perf_counter()
    for record in batch:
        encode(record)
    encode_rate = records / (time.perf_counter() - start)
    base = Settings(_env_file=None, stream_shards=shards, sink="kafka", kafka_partitions=shards)
    shutil.rmtree(BENCH_DATA, ignore_errors=True)
    with embedded_stack(BENCH_DATA, base) as stack:
        os.sched_setaffinity(0, {0})  # this process only: kinesalite and the broker started on both cores
        kinesis_sink = KinesisSink(stack.settings)
        kinesis_s = timed_send(kinesis_sink, batch)
        kafka_sink = KafkaSink(stack.settings)
        kafka_s = timed_send(kafka_sink, batch)
        os.sched_setaffinity(0, set(range(os.cpu_count() or 1)))
    kinesis_rate, kafka_rate = records / kinesis_s, records / kafka_s
    print(
        f"kinesis sink: {records} records of {size:.0f} B avg into {shards} shards (kinesalite, its own process): "
        f"{kinesis_rate:,.0f} records/s ({kinesis_s:.2f} s); PutRecords calls {kinesis_sink.stats.calls}"
    )
    print(
        f"kafka sink: same records into {shards} partitions (Kafka broker, KRaft, its own JVM; acks=all, "
        f"idempotent, linger 20 ms): {kafka_rate:,.0f} records/s ({kafka_s:.2f} s); "
        f"refused {kafka_sink.failed}"
    )
    print(
        f"baseline serialise-only {encode_rate:,.0f} records/s; ratio kinesis {kinesis_rate / encode_rate:.3f}, "
        f"kafka {kafka_rate / encode_rate:.3f}; kafka/kinesis {kafka_rate / kinesis_rate:.2f}"
    )
    return {
        "kinesis_records_per_s": round(kinesis_rate),
        "kafka_records_per_s": round(kafka_rate),
        "kafka_over_kinesis": round(kafka_rate / kinesis_rate, 2),
        "record_bytes": round(size),
    }


def twitch_poll_memory(streams: int) -> dict[str, float]:
    clock = ManualClock(T0)
    state = PlatformState(clock, streams=make_streams(streams), latency=0.0)
    with FixtureServer(state) as server:
        settings = Settings(
            _env_file=None,
            twitch_api_url=server.url,
            twitch_auth_url=server.url,
            twitch_client_id="fixture-client",
            twitch_client_secret="x",
            twitch_max_pages=2000,
        )
        poller = TwitchPoller(settings, clock)
        slot = T0
        while not poller.is_sweep(slot):
            slot += timedelta(seconds=poller.interval)
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        start = time.perf_counter()
        manifests = PollLoop(poller, CountingSink(), clock).run_slot(slot)
        elapsed = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    stream_manifest = next(m for m in manifests if m.record_kind == "stream_snapshot")
    print(
        f"twitch sweep: {stream_manifest.record_count} streams in {stream_manifest.pages} pages, wall {elapsed:.1f} s "
        f"(rate limiter on the fake clock); python heap peak {peak / 2**20:.1f} MiB; "
        f"process max RSS {rss_after / 1024:.0f} MiB (before the poll {rss_before / 1024:.0f} MiB; fixture server "
        f"holds the {streams} stream fixtures in the same process)"
    )
    return {"twitch_sweep_heap_peak_mib": round(peak / 2**20, 1), "twitch_sweep_max_rss_mib": round(rss_after / 1024)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--streams", type=int, default=100_000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    print(f"machine: {os.cpu_count()} cores, producer pinned to core 0; python {sys.version.split()[0]}")
    headline = throughput(args.records, args.shards)
    headline |= twitch_poll_memory(args.streams)
    print(" ".join(f"{name}={value}" for name, value in headline.items()))


if __name__ == "__main__":
    main()
