"""Stages that `gst demo` runs beside each other in one process."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager


@contextmanager
def background(target: Callable[[threading.Event], object], name: str, join_seconds: float = 60.0) -> Iterator[None]:
    """Run `target(stop)` in a thread; on exit set `stop` and wait for it to finish its work."""
    stop = threading.Event()
    thread = threading.Thread(target=target, args=(stop,), name=name, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=join_seconds)
