"""The demo's footprint (prints figures; not a test): `gst demo` started as a newcomer starts it (a
data directory of its own, default settings), measured after --warmup-minutes for --minutes:

- memory: every --every seconds, the RSS of each process of its tree, grouped: the demo's Python
  process (pollers, API, gold loads, Spark's driver side), Spark's JVM, the JVM's Python workers,
  kinesalite, Redis; the figures are the tree's total RSS and its total PSS (shared pages divided
  among their processes: Spark forks its Python workers, and an RSS sum counts their shared pages
  once per fork);
- CPU: the cores the whole tree used on average over the measured minutes, from /proc (a process
  that exits leaves its time to its parent, so nothing is lost), and per group for the processes
  alive from start to end;
- data age: on the live feed (WebSocket), each platform total's observed_at -> received.

Targets (a light demo): under 2 GB RSS together and under half a core after warm-up, the data age
unchanged. --env GST_X=Y (repeatable) runs it with a setting changed, to compare.

Run: .venv/bin/python bench/demo.py [--warmup-minutes 3] [--minutes 5] [--env GST_X=Y ...]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time
from datetime import datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    children,
    cpu_seconds,
    executable,
    percentile,
    resident_mb,
    tree_cpu_seconds,
    watch,
)
from gamestream.embedded.ports import free_port  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / ".gst-bench" / "demo"
GROUPS = ("demo", "jvm", "spark_workers", "kinesalite", "redis", "other")
MAX_RSS_MB = 2048
MAX_CORES = 0.5


def group_of(pid: int, root: int, jvm_children: set[int]) -> str:
    name = executable(pid) or ""
    if pid == root:
        return "demo"
    if name == "java":
        return "jvm"
    if name.startswith("python") and pid in jvm_children:
        return "spark_workers"
    if name == "node":
        return "kinesalite"
    if name in ("redis-server", "redis-check-rdb"):  # Debian's redis-server is a link to the latter
        return "redis"
    return "other"


def groups(root: int) -> dict[int, str]:
    """Each process of the tree and its group."""
    tree = [root, *children(root)]
    workers = {w for p in tree if executable(p) == "java" for w in children(p)}
    return {pid: group_of(pid, root, workers) for pid in tree}


def proportional_mb(pid: int) -> float:
    """A process's proportional set size (PSS): its resident pages, each shared page divided among the
    processes sharing it. Spark forks its Python workers from daemons, and a sum of RSS counts the
    pages a fork shares with its daemon once per process."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def memory(root: int) -> dict[str, float]:
    """MB resident (RSS) per group, the total, and the total PSS."""
    by_group = dict.fromkeys(GROUPS, 0.0)
    pss = 0.0
    for pid, group in groups(root).items():
        by_group[group] += resident_mb(pid, with_children=False)
        pss += proportional_mb(pid)
    return {**by_group, "total": sum(by_group.values()), "total_pss": pss}


def wait_for_live(base: str, demo: subprocess.Popen, timeout: float = 600) -> float:
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if demo.poll() is not None:
            raise RuntimeError(f"gst demo exited with {demo.returncode} before it showed live data")
        try:
            if httpx.get(f"{base}/api/live/twitch", timeout=2).json().get("games"):
                return time.monotonic() - started
        except (httpx.HTTPError, ValueError):
            pass
        time.sleep(1)
    raise RuntimeError(f"no live Twitch data within {timeout:.0f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--warmup-minutes", type=float, default=3)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--every", type=float, default=10, help="seconds between memory samples")
    parser.add_argument("--env", action="append", default=[], help="GST_X=Y for the demo (repeatable)")
    args = parser.parse_args()
    extra = dict(item.split("=", 1) for item in args.env)

    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")} | {"GST_API_PORT": str(port)} | extra
    console = (DATA.parent / "demo-console.txt").open("w")
    demo = subprocess.Popen(
        [sys.executable, "-m", "gamestream", "demo", "--data-dir", str(DATA), "--log-json"],
        env=env,
        cwd=DATA.parent,
        stdout=console,
        stderr=subprocess.STDOUT,
    )
    received: list[tuple[str, str, float]] = []
    stop = asyncio.Event()
    loop = asyncio.new_event_loop()
    watcher = threading.Thread(
        target=loop.run_until_complete, args=(watch(f"ws://127.0.0.1:{port}/ws/live", received, stop),)
    )
    try:
        ready = wait_for_live(f"http://127.0.0.1:{port}", demo)
        print(
            f"gst demo {' '.join(args.env) or '(defaults)'}: live data on the API {ready:.0f} s after start", flush=True
        )
        watcher.start()
        time.sleep(args.warmup_minutes * 60 - ready if args.warmup_minutes * 60 > ready else 0)
        before = {pid: (g, cpu_seconds(pid, with_reaped=False)) for pid, g in groups(demo.pid).items()}
        tree_before, began = tree_cpu_seconds(demo.pid), time.time()
        samples = []
        while time.time() - began < args.minutes * 60:
            sample = memory(demo.pid)
            samples.append(sample)
            print("  " + ", ".join(f"{k} {v:.0f}" for k, v in sample.items() if v), flush=True)
            time.sleep(args.every)
        after_tree = tree_cpu_seconds(demo.pid)
        ended = time.time()
        cores = (after_tree - tree_before) / (ended - began)
        per_group = dict.fromkeys(GROUPS, 0.0)
        for pid, (group, seconds) in before.items():
            if executable(pid):
                per_group[group] += (cpu_seconds(pid, with_reaped=False) - seconds) / (ended - began)
    finally:
        loop.call_soon_threadsafe(stop.set)
        demo.send_signal(signal.SIGINT)
        try:
            demo.wait(120)
        except subprocess.TimeoutExpired:
            demo.kill()
        watcher.join(10)
        console.close()

    ages = [at - datetime.fromisoformat(observed).timestamp() for _, observed, at in received if began <= at <= ended]
    totals = [s["total"] for s in samples]
    pss = [s["total_pss"] for s in samples]
    peak = {g: max(s[g] for s in samples) for g in (*GROUPS, "total", "total_pss")}
    print(f"RSS MB, max over {len(samples)} samples: " + ", ".join(f"{g} {v:.0f}" for g, v in peak.items() if v))
    print(
        f"CPU, cores on average over {ended - began:.0f} s: tree {cores:.2f} ("
        + ", ".join(f"{g} {v:.2f}" for g, v in per_group.items() if v)
        + ")"
    )
    print(
        f"data age on the live feed: {len(ages)} platform totals, p50 {statistics.median(ages) if ages else float('nan'):.2f} s, "
        f"p95 {percentile(ages, 0.95):.2f} s"
    )
    verdict = []
    for name, values in (("RSS", totals), ("PSS", pss)):
        if max(values) > MAX_RSS_MB:
            verdict.append(f"{name} {max(values):.0f} MB > {MAX_RSS_MB} MB ({max(values) / MAX_RSS_MB:.2f}x)")
    if cores > MAX_CORES:
        verdict.append(f"CPU {cores:.2f} cores > {MAX_CORES} ({cores / MAX_CORES:.2f}x)")
    print("targets: " + ("met" if not verdict else "missed: " + "; ".join(verdict)))
    print(
        f"demo_rss_mb_max={max(totals):.0f} demo_rss_mb_p50={statistics.median(totals):.0f} "
        f"demo_pss_mb_max={max(pss):.0f} "
        f"jvm_rss_mb_max={peak['jvm']:.0f} demo_cpu_cores={cores:.2f} jvm_cpu_cores={per_group['jvm']:.2f} "
        f"demo_process_cpu_cores={per_group['demo']:.2f} data_age_p95_s={percentile(ages, 0.95):.2f}"
    )
    return 1 if verdict else 0


if __name__ == "__main__":
    sys.exit(main())
