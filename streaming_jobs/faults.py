"""Fault injection for the kill -9 drills: the job kills itself at a named point of one batch."""

from __future__ import annotations

import os
import signal
from typing import get_args

import structlog

from gamestream.core.settings import FaultPoint, Settings

log = structlog.get_logger(__name__)
FAULT_POINTS: tuple[str, ...] = get_args(FaultPoint)


def fault(settings: Settings, point: str, batch_id: int) -> None:
    """Dies at `point` of the first batch numbered `test_fault_batch` or later that reaches it: a
    restarted query resumes at its own next batch, which may already be past the number asked for."""
    batch = settings.test_fault_batch
    if settings.test_fault_point == point and batch is not None and batch_id >= batch:
        log.warning("fault_injected", point=point, batch_id=batch_id)
        os.kill(os.getpid(), signal.SIGKILL)
