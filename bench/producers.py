"""Producer benchmarks (prints figures; not a test).

1. Records/s one producer pushes into the embedded Kinesis (kinesalite) on one core, with record size and
   shard count, as a ratio against serialising the same records without sending them.
2. Peak memory during a 100k-stream Twitch poll (1,000 pages) served by the local fixture server.

Run: .venv/bin/python bench/producers.py [--records 50000] [--shards 2]
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time
import tracemalloc
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog  # noqa: E402

from gamestream.contracts import StreamSnapshot  # noqa: E402
from gamestream.embedded import embedded_stack  # noqa: E402
from gamestream.settings import Settings  # noqa: E402
from producers.clock import ManualClock  # noqa: E402
from producers.poll_loop import PollLoop  # noqa: E402
from producers.sinks.base import Sink, encode  # noqa: E402
from producers.sinks.kinesis import KinesisSink  # noqa: E402
from producers.twitch import TwitchPoller  # noqa: E402
from tests.support.platforms import FixtureServer, PlatformState, make_streams  # noqa: E402

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


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


def throughput(records: int, shards: int) -> None:
    batch = snapshots(records)
    size = sum(len(encode(r)[1]) for r in batch) / len(batch)
    start = time.perf_counter()
    for record in batch:
        encode(record)
    encode_rate = records / (time.perf_counter() - start)
    with embedded_stack(Path(".gst-bench"), Settings(_env_file=None, stream_shards=shards)) as stack:
        sink = KinesisSink(stack.settings)
        start = time.perf_counter()
        for record in batch:
            sink.send(record)
        sink.close()
        elapsed = time.perf_counter() - start
    rate = records / elapsed
    print(
        f"kinesis sink: {records} records of {size:.0f} B avg into {shards} shards (kinesalite, its own process): "
        f"{rate:,.0f} records/s ({elapsed:.2f} s); baseline serialise-only {encode_rate:,.0f} records/s; "
        f"ratio {rate / encode_rate:.3f}; PutRecords calls {sink.stats.calls}"
    )


def twitch_poll_memory(streams: int) -> None:
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=50_000)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--streams", type=int, default=100_000)
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(40))
    os.sched_setaffinity(0, {0})
    print(f"machine: {os.cpu_count()} cores, pinned to core 0; python {sys.version.split()[0]}")
    throughput(args.records, args.shards)
    twitch_poll_memory(args.streams)


if __name__ == "__main__":
    main()
