"""End-to-end benchmark (prints figures; not a test): freshness, data age and throughput of the
whole system on the embedded stack, a soak mode, and fault drills.

- The synthetic market at a realistic load (default scale 0.7: about 100k Twitch stream snapshots
  per poll, plus Steam and YouTube) polled every --poll-seconds by this process into the stream:
  Kinesis (kinesalite) by default, or with --sink kafka the embedded Kafka broker (GST_SINK=kafka for
  every stage; the topic gets --shards partitions). Either way the producer is paced at 1,000
  records/s per shard or partition, as real Kinesis allows. The streaming job (`gst stream`) and
  the API (`gst api`) run as their own processes.
- Before measuring, one poll slot is sent and awaited on screen (the job's first batches start the
  JVM's code paths and Spark's Python workers); its time is printed apart.
- A WebSocket client on /ws/live measures, per poll, freshness (the poll is
  complete, i.e. its records and manifest are in the stream -> its platform total is received)
  and data age (the poll's observed_at -> received). Target: freshness p95 at most 2 s,
  the job's first minute included.
- --soak-minutes N: N minutes measured after --warmup-minutes (default: twice the dedup window in
  settings and five minutes more, 35 for the default 15-minute window: until the window is full the
  lake query's dedup state grows by design, every arrival adding a key and none expiring, and its
  RocksDB files on disk reach their level only once its compaction has replaced the first window's
  keys: in an hour's soak at scale 0.05 the checkpoints rose until minute 35 and stayed between 110
  and 273 MB for the 42 minutes after; judged from minute 18, that rise read as 7.9 MB/h). Every minute,
  the RSS of every process (the job with its JVM and Python workers, the API, Redis, this process,
  which runs the producer; kinesalite and the Kafka broker are their own processes) and the job's
  lag; the job's figure is also split into its Python driver, its JVM and the JVM's Python workers.
  At the end, each process's growth is the Theil-Sen slope of its RSS over the measured minutes (the
  median of the slopes between every two minutes): the lake upkeep holds about half a GB in the job
  for a minute every ten, and one such reading near the end of the window moved a least-squares slope
  by 70 MB/hour without anything growing. The least-squares slope is printed beside it. The soak fails
  when one grows faster than --max-mb-per-hour, or when the lag rose at every one of the last four
  samples. The headline line then carries each slope (`<process>_mb_per_h=`, and the job's
  least-squares one as `job_lsq_mb_per_h=`).
  Every minute also the size on disk of the data folders: the stream's store (kinesalite's LevelDB, or
  the broker's log), the checkpoints, the logs (the services', the job's) and the lake; their growth
  per hour after warm-up is printed beside the processes' (`<folder>_disk_mb_per_h=`), and the soak
  fails when the store, the checkpoints or the logs grow faster than --max-disk-mb-per-hour (5). Run it
  with a --retention-minutes shorter than the warm-up, so the store has reached its retention.
- --drills N: runs the end-to-end fault drill (tests/test_end_to_end.py) N times with new seeds.

Run: .venv/bin/python bench/e2e.py [--sink kinesis|kafka] [--scale 0.7] [--minutes 4] [--poll-seconds 60] [--shards 4]
     .venv/bin/python bench/e2e.py --scale 0.05 --poll-seconds 10 --soak-minutes 30 --retention-minutes 10
     .venv/bin/python bench/e2e.py --drills 10
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import math
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    children,
    executable,
    jit_cpu_seconds,
    percentile,
    resident_mb,
    tree_cpu_seconds,
    watch,
)
from gamestream.core.clock import SystemClock, slot_floor  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402
from gamestream.embedded.ports import free_port  # noqa: E402
from gamestream.embedded.stack import EmbeddedStack, embedded_stack  # noqa: E402
from producers.poll_loop import PollLoop  # noqa: E402
from producers.sinks import make_sink  # noqa: E402
from producers.sinks.base import Sink  # noqa: E402
from producers.synthetic import SyntheticPoller  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".gst-bench" / "e2e"
PROCESSES = ("job", "api", "redis", "kinesalite", "kafka", "producer")  # each judged by the soak
JOB_PARTS = ("job_driver", "job_jvm", "job_workers")  # the job's split, printed to show where it grows
# data folders, on disk (MB), sampled with the processes: the first three must level once the stream's
# retention is reached (--retention-minutes), the lake grows by its data
FOLDERS = ("stream_disk", "checkpoints_disk", "logs_disk", "lake_disk")
LEVELLED_FOLDERS = FOLDERS[:3]
ENVELOPE_MINUTES = 6  # the stream store's sweep period (gamestream/kinesalite/server.js: 5 minutes) and one
FED = ("stream_snapshot", "player_count", "video_snapshot")  # the polls whose totals reach the live state


def rss_mb(pid: int, with_children: bool = True, readings: int = 3) -> float:
    """Resident memory of a process and its children (the streaming job's JVM is its child): the least
    of `readings` half a second apart. A child being started shares its parent's memory until it
    execs (the JVM spawns helper commands now and then), and a reading in that window counts the
    JVM twice: two soak minutes read 5.6 and 9.4 GB between minutes of 5.3-5.4 GB."""
    least = resident_mb(pid, with_children)
    for _ in range(readings - 1):
        time.sleep(0.5)
        least = min(least, resident_mb(pid, with_children))
    return least


def job_parts(pid: int, readings: int = 3) -> dict[str, float]:
    """The job's RSS split: its Python driver, its JVM (the driver's child) and the JVM's Python
    workers; each part the least of `readings` half a second apart, as in `rss_mb`."""
    taken = []
    for reading in range(readings):
        if reading:
            time.sleep(0.5)
        jvms = [c for c in children(pid) if executable(c) == "java"]
        taken.append(
            {
                "job_driver": resident_mb(pid, with_children=False),
                "job_jvm": sum(resident_mb(c, with_children=False) for c in jvms),
                "job_workers": sum(resident_mb(w, with_children=False) for c in jvms for w in children(c)),
            }
        )
    return {part: min(t[part] for t in taken) for part in JOB_PARTS}


def lanes(settings: Settings) -> int:
    """The stream's shards (Kinesis) or partitions (Kafka)."""
    return settings.kafka_partitions if settings.sink == "kafka" else settings.stream_shards


class MeasuredSink(Sink):
    """The project's sink for the settings' transport (make_sink: Kinesis or Kafka), counting payload
    bytes for the record size figure, and paced at `per_lane` records/s per shard or partition, as
    real Kinesis allows (1,000/s per shard); Kafka gets the same pace, so the runs compare."""

    def __init__(self, settings: Settings, per_lane: float = 1000.0):
        super().__init__()
        self.inner = make_sink(settings)
        self.stats = self.inner.stats
        self.payload_bytes = 0
        self.interval = 1.0 / (per_lane * lanes(settings))
        self.next_send = time.monotonic()

    def send(self, record) -> None:  # type: ignore[no-untyped-def]
        self.payload_bytes += len(record.to_json())
        self.next_send = max(self.next_send + self.interval, time.monotonic() - 1.0)  # a 1 s burst at most
        if (wait := self.next_send - time.monotonic()) > 0:
            time.sleep(wait)
        self.inner.send(record)

    def flush(self, timeout: float | None = None) -> bool:
        return self.inner.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        self.inner.close(timeout)


class Producer(threading.Thread):
    """Polls the synthetic market on its grid; a poll is complete when the sink has delivered it."""

    def __init__(self, settings: Settings, stop: threading.Event):
        super().__init__(name="producer", daemon=True)
        self.settings, self.stop = settings, stop
        self.completed: dict[str, float] = {}
        self.records = 0
        self.bytes = 0
        self.per_poll: list[int] = []

    def run(self) -> None:
        clock = SystemClock()
        sink = MeasuredSink(self.settings)
        poller = SyntheticPoller(self.settings, interval=self.settings.synthetic_poll_seconds)
        loop = PollLoop(poller, sink, clock)
        slot = slot_floor(clock.now(), poller.interval) + timedelta(seconds=poller.interval)
        while not self.stop.is_set():
            wait = (slot - clock.now()).total_seconds()
            if wait > 0 and self.stop.wait(wait):
                break
            before = sink.stats.accepted
            manifests = loop.run_slot(slot)  # an overrunning poll makes the loop skip the slots it covered
            sink.flush()
            done = time.time()
            for manifest in manifests:
                if manifest.record_kind in FED:
                    self.completed[manifest.poll_id] = done
            self.per_poll.append(sink.stats.accepted - before)
            self.records, self.bytes = sink.stats.accepted, sink.payload_bytes
            slot += timedelta(seconds=poller.interval)
        sink.close()


def warm_up(settings: Settings, received: list[tuple[str, str, float]], timeout: float = 600) -> float:
    """Send one poll slot and wait until its totals are on screen: the figures are those of a running
    system, not of the job's first batches (JVM start, Python workers, code generation), which the
    line printed here reports apart. Its polls are not among the measured ones."""
    sink = MeasuredSink(settings)
    poller = SyntheticPoller(settings, interval=settings.synthetic_poll_seconds)
    clock = SystemClock()
    PollLoop(poller, sink, clock).run_slot(slot_floor(clock.now(), poller.interval))
    sink.flush()
    sink.close()
    sent = time.time()
    while not received and time.time() - sent < timeout:
        time.sleep(0.2)
    return (received[0][2] if received else time.time()) - sent


def run(args: argparse.Namespace) -> int:
    shutil.rmtree(DATA, ignore_errors=True)
    base = Settings(
        _env_file=None,
        sink=args.sink,
        stream_shards=args.shards,
        kafka_partitions=args.shards,
        synthetic_scale=args.scale,
        synthetic_poll_seconds=args.poll_seconds,
        poll_grace_seconds=max(30.0, args.poll_seconds),
        **({"stream_retention_hours": args.retention_minutes / 60} if args.retention_minutes else {}),
    )
    if args.warmup_minutes is None:
        args.warmup_minutes = 2 * math.ceil(base.stream_dedup_seconds / 60) + 5
    with embedded_stack(DATA, base) as stack:
        settings = stack.settings
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("GST_")},
            **settings.env(),
            "PYSPARK_PYTHON": sys.executable,
            "GST_LOG_JSON": "true",
            "GST_LOG_LEVEL": "DEBUG",  # the job's `trigger` events: each trigger's phases
        }
        job = subprocess.Popen(
            [sys.executable, "-m", "gamestream", "stream"],
            env=env,
            cwd=DATA,
            stdout=subprocess.DEVNULL,
            stderr=open(DATA / "stream.log", "w"),  # noqa: SIM115 - open while the job runs; closed at exit
        )
        api_port = free_port()
        api = subprocess.Popen(
            [sys.executable, "-m", "gamestream", "api"],
            env={**env, "GST_API_PORT": str(api_port)},
            cwd=DATA,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(120):
            try:
                httpx.get(f"http://127.0.0.1:{api_port}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.5)
        stop = threading.Event()
        producer = Producer(settings, stop)
        received: list[tuple[str, str, float]] = []
        loop = asyncio.new_event_loop()
        stop_watch = asyncio.Event()
        watcher = threading.Thread(
            target=loop.run_until_complete,
            daemon=True,
            args=(watch(f"ws://127.0.0.1:{api_port}/ws/live", received, stop_watch),),
        )
        watcher.start()
        warm_s = warm_up(settings, received)
        print(f"warm-up: one poll slot sent; its first total reached the screen {warm_s:.1f} s after it was sent")
        started = time.time()
        producer.start()
        minutes = args.warmup_minutes + args.soak_minutes if args.soak_minutes else args.minutes
        samples: list[dict[str, float]] = []
        failed = None
        # the job's CPU per minute, and the part its JVM's JIT compilers took: the warm-up's cost
        cpu_mark = (tree_cpu_seconds(job.pid), jit_cpu_seconds(job.pid), time.monotonic())
        try:
            for minute in range(1, int(minutes) + 1):
                time.sleep(60)
                cpu_now = (tree_cpu_seconds(job.pid), jit_cpu_seconds(job.pid), time.monotonic())
                elapsed = cpu_now[2] - cpu_mark[2]
                status = (
                    json.loads((Path(settings.checkpoint_path) / "status.json").read_text() or "{}")
                    if (Path(settings.checkpoint_path) / "status.json").exists()
                    else {}
                )
                sample = {
                    "minute": minute,
                    "job": rss_mb(job.pid),
                    **job_parts(job.pid),
                    "api": rss_mb(api.pid),
                    "redis": rss_mb(stack.redis_pid or 0),
                    "kinesalite": rss_mb(stack.kinesis_pid or 0),
                    **({"kafka": rss_mb(stack.kafka.pid or 0)} if stack.kafka else {}),
                    "producer": rss_mb(os.getpid(), with_children=False),
                    "lag_ms": float(status.get("lake", {}).get("lag_millis", 0)),
                    "pending_polls": sum(1 for p in producer.completed if p not in {r[0] for r in received}),
                    **folder_sizes(settings, stack),
                    "job_cores": (cpu_now[0] - cpu_mark[0]) / elapsed,
                    "jit_cores": (cpu_now[1] - cpu_mark[1]) / elapsed,
                }
                cpu_mark = cpu_now
                samples.append(sample)
                print(
                    "  "
                    + ", ".join(f"{k} {v:.2f}" if k.endswith("_cores") else f"{k} {v:.0f}" for k, v in sample.items()),
                    flush=True,
                )
        finally:
            stop.set()
            producer.join(120)
            time.sleep(min(60.0, 2 * args.poll_seconds))  # let the last polls reach the screen
            loop.call_soon_threadsafe(stop_watch.set)
            watcher.join(10)
            for process in (api, job):
                stop_process(process)
        growth: dict[str, float] = {}
        least_squares: dict[str, float] = {}
        if args.soak_minutes:
            growth, least_squares = soak_growth(samples, args.warmup_minutes)
            failed = soak_verdict(samples, growth, args.max_mb_per_hour, args.max_disk_mb_per_hour)
            print(
                "RSS growth after warm-up, MB/hour, Theil-Sen (least squares): "
                + ", ".join(
                    f"{name} {rate:.0f} ({least_squares[name]:.0f})"
                    for name, rate in growth.items()
                    if name not in FOLDERS
                )
            )
            print(
                f"disk growth after warm-up, MB/hour, Theil-Sen (least squares; store, checkpoints and logs: "
                f"their lows over {ENVELOPE_MINUTES} minutes): "
                + ", ".join(
                    f"{name} {growth[name]:.1f} ({least_squares[name]:.1f})" for name in FOLDERS if name in growth
                )
            )
            print(f"soak: {'FAILED: ' + failed if failed else 'passed'}")
        report(producer, received, time.time() - started, args, settings, growth, least_squares)
    return 1 if failed else 0


def stop_process(process: subprocess.Popen, timeout: float = 120.0) -> None:
    """SIGTERM; then SIGKILL to it and its children (the job's JVM and Python workers) if it has not
    exited within `timeout` (a job in the middle of a batch on a loaded machine can take minutes)."""
    process.terminate()
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        print(
            f"  pid {process.pid} ({' '.join(map(str, process.args[-2:]))}) ignored SIGTERM for {timeout:.0f} s: killed"
        )
        for pid in [*children(process.pid), process.pid]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        process.wait()


def soak_growth(samples: list[dict[str, float]], warmup: int) -> tuple[dict[str, float], dict[str, float]]:
    """Per process, the Theil-Sen and the least-squares slopes of its RSS over the minutes after the
    warm-up, in MB/hour; a short peak moves the first little and the second a lot."""
    steady = [s for s in samples if s["minute"] > warmup]
    if len(steady) < 3:
        return {}, {}
    names = [name for name in (*PROCESSES, *JOB_PARTS, *FOLDERS) if name in steady[0]]
    minutes = [s["minute"] for s in steady]
    # a folder trimmed now and then (the stream's store at each sweep, a checkpoint at Spark's state
    # maintenance) is a sawtooth, whose slope over a few teeth says little: its lows over a sweep
    # period and a minute are judged instead
    steady = [
        {
            **s,
            **{
                name: min(t[name] for t in samples if s["minute"] - ENVELOPE_MINUTES < t["minute"] <= s["minute"])
                for name in LEVELLED_FOLDERS
                if name in s
            },
        }
        for s in steady
    ]
    theil_sen = {
        name: 60
        * statistics.median(
            (b[name] - a[name]) / (b["minute"] - a["minute"]) for a, b in itertools.combinations(steady, 2)
        )
        for name in names
    }
    least_squares = {
        name: 60 * statistics.linear_regression(minutes, [s[name] for s in steady]).slope for name in names
    }
    return theil_sen, least_squares


def folder_sizes(settings: Settings, stack: EmbeddedStack) -> dict[str, float]:
    """MB on disk of the data folders (FOLDERS). Logs are the files named *.log, *.out or *.jsonl
    outside the stream's store (whose LevelDB also writes *.log files), the lake and the checkpoints."""
    store = stack.kafka.data if stack.kafka else DATA / "kinesis"
    lake, checkpoints = Path(settings.lake_path), Path(settings.checkpoint_path)
    logs = sum(
        f.stat().st_size
        for f in DATA.rglob("*")
        if f.suffix in (".log", ".out", ".jsonl")
        and f.is_file()
        and not any(f.is_relative_to(folder) for folder in (store, lake, checkpoints))
    )
    return {
        "stream_disk": disk_bytes(store) / 2**20,
        "checkpoints_disk": disk_bytes(checkpoints) / 2**20,
        "logs_disk": logs / 2**20,
        "lake_disk": disk_bytes(lake) / 2**20,
    }


def disk_bytes(folder: Path) -> int:
    """Bytes of the files under `folder` (files removed while it is walked are skipped)."""
    total = 0
    for path in folder.rglob("*") if folder.exists() else []:
        with contextlib.suppress(FileNotFoundError):
            if path.is_file():
                total += path.stat().st_size
    return total


def soak_verdict(
    samples: list[dict[str, float]], growth: dict[str, float], max_mb_per_hour: float, max_disk_mb_per_hour: float
) -> str | None:
    if not growth:
        return "too few minutes after the warm-up to judge (at least 3)"
    for name, rate in growth.items():
        if name in PROCESSES and rate > max_mb_per_hour:
            return f"{name} memory grows {rate:.0f} MB/hour after warm-up (limit {max_mb_per_hour:g})"
        if name in LEVELLED_FOLDERS and rate > max_disk_mb_per_hour:
            return f"{name} grows {rate:.1f} MB/hour on disk after warm-up (limit {max_disk_mb_per_hour:g})"
    lags = [s["lag_ms"] + 60_000 * s["pending_polls"] for s in samples[-4:]]
    if len(lags) == 4 and all(b > a for a, b in zip(lags, lags[1:], strict=False)):
        return f"lag keeps rising: {', '.join(f'{v / 1000:.0f}s' for v in lags)}"
    return None


def report(
    producer: Producer,
    received: list[tuple[str, str, float]],
    duration: float,
    args: argparse.Namespace,
    settings: Settings,
    growth: dict[str, float],
    least_squares: dict[str, float],
) -> None:
    first_seen: dict[str, tuple[str, float]] = {}
    for poll_id, observed_at, at in received:
        first_seen.setdefault(poll_id, (observed_at, at))
    freshness, age = [], []
    by_minute: dict[int, list[float]] = {}  # freshness by minute of the run: warm-up or steady?
    slowest: list[tuple[float, float, str]] = []  # (freshness, seconds into the run, poll id)
    start = min(producer.completed.values(), default=0.0)
    for poll_id, done in producer.completed.items():
        if poll_id in first_seen:
            observed_at, at = first_seen[poll_id]
            freshness.append(at - done)
            slowest.append((at - done, done - start, poll_id))
            age.append(at - datetime.fromisoformat(observed_at).timestamp())
            by_minute.setdefault(int((done - start) // 60) + 1, []).append(at - done)
    missing = [p for p in producer.completed if p not in first_seen]
    stages = stage_split(settings)
    per_poll = statistics.mean(producer.per_poll) if producer.per_poll else 0
    print(
        f"scale {args.scale:g}: {per_poll:,.0f} records per poll slot (every {args.poll_seconds:g} s), "
        f"{producer.bytes / max(1, producer.records):.0f} B per record, {settings.sink} with {lanes(settings)} "
        f"{'partitions' if settings.sink == 'kafka' else 'shards'}, "
        f"{len(producer.per_poll)} slots, {producer.records:,} records in "
        f"{duration:.0f} s = {producer.records / duration:,.0f} records/s"
    )
    print(f"polls complete: {len(producer.completed)}, on screen: {len(freshness)}, never shown: {len(missing)}")
    if freshness:
        print(
            f"freshness (poll complete -> total received): p50 {statistics.median(freshness):.2f} s, "
            f"p95 {percentile(freshness, 0.95):.2f} s, max {max(freshness):.2f} s (target p95 <= 2 s)"
        )
        print(
            "freshness by minute of the run, p95 / max: "
            + ", ".join(
                f"{minute}: {percentile(values, 0.95):.2f} / {max(values):.2f} s"
                for minute, values in sorted(by_minute.items())
            )
        )
        # the polls above p95 (and the one at it): when in the run, which platform
        print(
            "slowest polls (freshness at s after the first measured poll completed, source:kind): "
            + ", ".join(
                f"{value:.2f} s at {when:.0f} s {poll_id.rsplit(':', 1)[0]}"
                for value, when, poll_id in sorted(slowest, reverse=True)[
                    : max(1, len(slowest) - int(0.95 * len(slowest)))
                ]
            )
        )
        print(
            f"data age (observed_at -> received): p50 {statistics.median(age):.2f} s, "
            f"p95 {percentile(age, 0.95):.2f} s, max {max(age):.2f} s"
        )
    for line in stages["lines"]:
        print(line)
    print(
        f"sink={settings.sink} freshness_p95_s={percentile(freshness, 0.95) if freshness else float('nan'):.2f} "
        f"data_age_p95_s={percentile(age, 0.95) if age else float('nan'):.2f} "
        f"polls_shown={len(freshness)} polls_missing={len(missing)} "
        f"records_per_poll={per_poll:.0f} poll_batch_p95_s={stages['poll_p95']:.2f} "
        f"lake_batch_p95_s={stages['lake_p95']:.2f}"
        + "".join(f" {name}_mb_per_h={rate:.{1 if name in FOLDERS else 0}f}" for name, rate in growth.items())
        + (f" job_lsq_mb_per_h={least_squares['job']:.0f}" if "job" in least_squares else "")
    )


def stage_split(settings: Settings) -> dict:
    """Where a poll's time goes, from the job's structured log (stream.log): per query, the batch
    duration and its steps (p50 of each step over the batches that did work), and the poll query's
    whole triggers in Spark's phases (p50 / p95 of each over the triggers that read records)."""
    batches: dict[str, list[dict]] = {"lake": [], "poll": []}
    triggers: list[dict] = []
    log_file = DATA / "stream.log"
    for line in log_file.read_text().splitlines() if log_file.exists() else []:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("event") == "batch" and event.get("query") in batches:
            batches[event["query"]].append(event)
        elif event.get("event") == "trigger" and event.get("query") == "gst_polls":
            triggers.append(event)
    lines, p95 = [], {}
    for query, events in batches.items():
        durations = [e["duration_s"] for e in events]
        p95[query] = percentile(durations, 0.95) if durations else float("nan")
        steps = sorted({k for e in events for k in e.get("steps", {})})
        split = ", ".join(f"{k} {statistics.median([e['steps'].get(k, 0) for e in events]):.2f} s" for k in steps)
        lines.append(
            f"{query} query: {len(events)} batches with work, duration p95 {p95[query]:.2f} s; median steps: {split}"
        )
    phases = ("latestOffset", "walCommit", "queryPlanning", "addBatch", "commitOffsets", "triggerExecution")
    if triggers:
        lines.append(
            f"poll query triggers ({len(triggers)} that read records), p50 / p95 ms: "
            + ", ".join(
                f"{phase} {statistics.median(v):.0f} / {percentile(v, 0.95):.0f}"
                for phase in phases
                if (v := [e[f"{phase}_ms"] for e in triggers if f"{phase}_ms" in e])
            )
        )
    return {"lines": lines, "poll_p95": p95["poll"], "lake_p95": p95["lake"]}


def drills(count: int) -> int:
    failures = 0
    for n in range(count):
        seed = random.SystemRandom().randrange(1_000_000)
        started = time.monotonic()
        out = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:warnings", "tests/test_end_to_end.py"],
            cwd=ROOT,
            env={**os.environ, "GST_DRILL_SEED": str(seed)},
            capture_output=True,
            text=True,
        )
        ok = out.returncode == 0
        failures += not ok
        print(
            f"drill {n + 1}/{count} seed {seed}: {'passed' if ok else 'FAILED'} in {time.monotonic() - started:.0f} s",
            flush=True,
        )
        if not ok:
            print(out.stdout[-3000:])
    print(f"{count - failures}/{count} drills passed")
    return 1 if failures else 0


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sink", choices=("kinesis", "kafka"), default="kinesis")
    parser.add_argument("--scale", type=float, default=0.7)
    parser.add_argument("--minutes", type=float, default=4)
    parser.add_argument("--poll-seconds", type=float, default=60)
    parser.add_argument("--shards", type=int, default=4, help="shards, or with --sink kafka partitions")
    parser.add_argument("--soak-minutes", type=float, default=0)
    parser.add_argument("--warmup-minutes", type=int, default=None, help="default: twice the dedup window + 5")
    parser.add_argument("--max-mb-per-hour", type=float, default=100)
    parser.add_argument("--max-disk-mb-per-hour", type=float, default=5)
    parser.add_argument("--retention-minutes", type=float, default=0, help="the embedded stream's retention")
    parser.add_argument("--drills", type=int, default=0)
    args = parser.parse_args()
    sys.exit(drills(args.drills) if args.drills else run(args))


if __name__ == "__main__":
    main()
