"""Gold loaded every few seconds in the foreground (`gst gold run --every`) or in a thread (`gst demo`)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from functools import partial

import structlog

from batch_jobs.dbt import DbtFailed
from batch_jobs.gold.loads import LoadReport, run_gold
from gamestream.core.background import background
from gamestream.core.settings import Settings

log = structlog.get_logger(__name__)
GOLD_THREAD = "gold-loads"
# `gst demo` waits this long at its stop for a load in flight (a first load of the demo's history takes
# a minute): what is left of it ends with the process, and the next load redoes it (each model commits
# on its own and the load state is recorded last)
STOP_WAIT_SECONDS = 5.0


def load_gold_every(
    settings: Settings,
    every: float,
    stop: threading.Event,
    at_once: bool = True,
    on_load: Callable[[LoadReport], object] | None = None,
) -> None:
    """Run `run_gold` every `every` seconds until `stop` is set (`gst gold run --every` in the foreground,
    `gst demo` in a thread): the first load at once, or after `every` seconds unless `at_once`. A failed
    load is logged and the next one retries it; a configuration error (ValueError) ends the loop, since
    repeating cannot help. `on_load` gets the report of each load that succeeds."""
    if not at_once and stop.wait(every):
        return
    while True:
        try:
            report = run_gold(settings)
        except ValueError:  # ends the loop (in a thread: its trace is printed)
            raise
        except DbtFailed as exc:  # names the failing models and tests: no trace needed
            log.error("gold_load_failed", error=str(exc))
        except Exception:
            log.exception("gold_load_failed")
        else:
            if on_load is not None:
                on_load(report)
        if stop.wait(every):
            return


def scheduled_gold(settings: Settings, every: float = 60.0, at_once: bool = False) -> AbstractContextManager[None]:
    """Load gold every `every` seconds in a thread (for `gst demo`), as `load_gold_every` does; the first
    load at once when there is something to load already (the demo's history), else after `every`."""
    return background(
        partial(load_gold_every, settings, every, at_once=at_once), GOLD_THREAD, join_seconds=STOP_WAIT_SECONDS
    )
