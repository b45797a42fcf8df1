"""What the benchmarks share: percentiles, `gst api` in a process of its own, the memory and CPU
of a process tree, and a WebSocket client recording the live feed's platform totals."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

TICKS = os.sysconf("SC_CLK_TCK")


def gold_rows(conn: Any, tables: tuple[str, ...]) -> dict[str, int]:
    """Rows per gold table, on a DuckDB connection."""
    return {table: conn.execute(f"SELECT COUNT(*) FROM gold.{table}").fetchone()[0] for table in tables}


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (0..1) of `values` by rank (NaN for none)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


@contextmanager
def gst_api(env: dict[str, str], port: int, ready: str = "/healthz", cwd: Path | None = None) -> Iterator[str]:
    """`gst api` on `port` in a process of its own (`env` on top of this one's), once `ready` answers 200
    (at most a minute); yields its base URL and stops it on exit."""
    api = subprocess.Popen(
        [sys.executable, "-m", "gamestream", "api"],
        env={**os.environ, **env, "GST_API_PORT": str(port)},
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + ready, timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if api.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gst api did not answer {ready} with 200 (exit code {api.poll()})")
            time.sleep(0.2)
        yield base
    finally:
        api.terminate()
        api.wait(30)


def executable(pid: int) -> str | None:
    """The name of a process's program; None once it has exited (short-lived helpers come and go)."""
    try:
        return Path(os.readlink(f"/proc/{pid}/exe")).name
    except OSError:
        return None


def cpu_seconds(pid: int, with_reaped: bool) -> float:
    """User and system CPU seconds of a process; with `with_reaped`, its exited children's too."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # after the command's closing parenthesis: field 3 (state) first, so utime (14) .. cstime (17) at 11..14
    return sum(int(v) for v in fields[11 : 15 if with_reaped else 13]) / TICKS


def tree_cpu_seconds(root: int) -> float:
    """CPU seconds of the whole tree, the exited children of each process included."""
    return sum(cpu_seconds(pid, with_reaped=True) for pid in [root, *children(root)])


def jit_cpu_seconds(root: int) -> float:
    """CPU seconds of the JIT compiler threads (HotSpot's C1 and C2) of the JVMs in a tree: how much
    of the machine the JVM's warm-up takes (in the streaming job's first minutes, about half a core)."""
    total = 0
    for jvm in (pid for pid in children(root) if executable(pid) == "java"):
        try:
            tasks = list(Path(f"/proc/{jvm}/task").glob("*/stat"))
        except OSError:  # the JVM exited
            continue
        for task in tasks:
            try:
                stat = task.read_text()
            except OSError:  # the thread exited
                continue
            name, fields = stat[stat.index("(") + 1 : stat.rindex(")")], stat.rsplit(")", 1)[1].split()
            if name.startswith(("C1 CompilerThre", "C2 CompilerThre")):  # thread names cut to 15 characters
                total += int(fields[11]) + int(fields[12])
    return total / TICKS


def children(pid: int) -> list[int]:
    """Every descendant. A child belongs to the thread that started it, so all threads are read: the
    JVM starts its Python workers from task threads, which the main thread's list leaves out (the
    job's figure then jumped by a worker's size whenever the set it saw changed)."""
    direct: list[int] = []
    try:
        listings = list(Path(f"/proc/{pid}/task").glob("*/children"))
    except OSError:  # it exited
        return []
    for listing in listings:
        try:
            direct += [int(c) for c in listing.read_text().split()]
        except OSError:
            continue
    return direct + [g for c in direct for g in children(c)]


def resident_mb(pid: int, with_children: bool) -> float:
    """One reading of the VmRSS of a process and, if asked, of its descendants."""
    total = 0.0
    for p in [pid, *(children(pid) if with_children else [])]:
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) / 1024
        except OSError:
            pass
    return total


async def watch(url: str, received: list[tuple[str, str, float]], stop: asyncio.Event) -> None:
    """Record (poll_id, observed_at, receipt time) of every platform total on the feed, reconnecting."""
    from websockets.asyncio.client import connect

    last_id = None
    while not stop.is_set():
        try:
            # games=* : only platform totals (no game has the key "*")
            query = "?platforms=steam,twitch,youtube&games=*&limit=1" + (f"&last_id={last_id}" if last_id else "")
            async with connect(url + query, origin="http://127.0.0.1:8000", max_queue=None) as ws:
                while not stop.is_set():
                    try:
                        message = json.loads(await asyncio.wait_for(ws.recv(), 1))
                    except TimeoutError:
                        continue
                    at = time.time()
                    for change in message["changes"] if message["type"] == "changes" else []:
                        last_id = change["id"]
                        if change["game"] == "*":
                            received.append((change["poll_id"], change["observed_at"], at))
        except (OSError, Exception):  # the API restarting or not up yet
            await asyncio.sleep(1)
