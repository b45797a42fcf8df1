"""What the benchmarks share: percentiles, and `gst api` in a process of its own."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx


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
