"""CPU load for tests that must hold on a busy machine: one busy-loop process per core."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager


def _spin() -> None:
    while True:
        pass


@contextmanager
def busy_cores(count: int | None = None) -> Iterator[list[int | None]]:
    """Keep `count` (default: every) core busy until the block ends; yields the spinners' pids."""
    context = multiprocessing.get_context("spawn")
    spinners = [context.Process(target=_spin, daemon=True) for _ in range(count or os.cpu_count() or 1)]
    for spinner in spinners:
        spinner.start()
    try:
        yield [s.pid for s in spinners]
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.join()
