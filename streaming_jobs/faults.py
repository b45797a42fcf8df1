"""Fault injection for the kill -9 drills: the job kills itself at a named point of one batch."""

from __future__ import annotations

import os
import signal
from typing import get_args

import structlog

from gamestream.settings import FaultPoint, Settings

log = structlog.get_logger(__name__)
FAULT_POINTS: tuple[str, ...] = get_args(FaultPoint)


def fault(settings: Settings, point: str, batch_id: int) -> None:
    if settings.test_fault_point == point and settings.test_fault_batch == batch_id:
        log.warning("fault_injected", point=point, batch_id=batch_id)
        os.kill(os.getpid(), signal.SIGKILL)
