"""Fault drills run stages as subprocesses; each stage gets a deadline sized to its work, and a
stage that overruns fails saying which stage it was and what it last logged, instead of pytest's
whole-test timeout cutting the drill off somewhere unknown."""

from __future__ import annotations

import math
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

# Generous on purpose: a loaded 2-core machine (both cores busy) runs these 3-4x slower than a quiet one
JOB_START_SECONDS = 150.0  # JVM, SparkSession, Python workers
SECONDS_PER_BATCH = 45.0  # one streaming micro-batch with its Delta commits and Redis update


def stream_job_deadline(records: int, batch_records: int) -> float:
    """Seconds a `gst stream --available-now` run may take for `records` in batches of `batch_records`."""
    return JOB_START_SECONDS + SECONDS_PER_BATCH * (math.ceil(records / batch_records) + 2)


def run_stage(
    stage: str, args: list[str], env: dict[str, str], cwd: Any, deadline: float
) -> subprocess.CompletedProcess:
    """`gst ARGS` as a subprocess that must end within `deadline` seconds."""
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gamestream", *args],
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=deadline,
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.stderr or ""
        tail = (output.decode(errors="replace") if isinstance(output, bytes) else output)[-3000:]
        pytest.fail(
            f"drill stage '{stage}' did not finish within its {deadline:.0f}s deadline; its last log lines:\n{tail}"
        )
    # the whole log beside the drill's data: an assertion shows only its tail
    (Path(cwd) / f"{re.sub(r'[^a-z0-9]+', '-', stage.lower())}.log").write_text(done.stdout + done.stderr)
    return done


DRILL_JOB_HEAP = "1g"  # a drill's job holds a few thousand records; it takes its whole heap at every (re)start


def stream_env(settings: Any, **extra: object) -> dict[str, str]:
    """The caller's environment without GST_* variables, plus the settings', a drill-sized heap, and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    env.update(settings.env(), GST_SPARK_DRIVER_MEMORY=DRILL_JOB_HEAP, **{k: str(v) for k, v in extra.items()})
    return env


def run_stream_job(stage: str, settings: Any, cwd: Any, records: int, batch_records: int, **extra: object):
    """`gst stream --available-now` over `records`, both queries in batches of `batch_records`,
    logging JSON (so a fault point's log line can be checked), within its deadline."""
    env = stream_env(
        settings,
        GST_STREAM_MAX_RECORDS_PER_BATCH=batch_records,
        GST_POLL_MAX_RECORDS_PER_BATCH=batch_records,
        GST_LOG_JSON="true",
        **extra,
    )
    return run_stage(stage, ["stream", "--available-now"], env, cwd, stream_job_deadline(records, batch_records))
