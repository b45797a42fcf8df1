"""`gst` run as a user runs it: a real process, with none of this shell's GST_* settings but the ones
a test gives it, and a console wide enough that rich does not wrap its lines."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GST = [sys.executable, "-m", "gamestream"]


def gst_env(env: dict[str, str] | None = None) -> dict[str, str]:
    """This process's environment without its GST_* variables, then `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    return {**base, "COLUMNS": "250", **(env or {})}


def run_gst(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    """`gst *args` to its end; its output is captured as text."""
    return subprocess.run([*GST, *args], capture_output=True, text=True, env=gst_env(env), cwd=cwd, timeout=timeout)


def start_gst(*args: str, env: dict[str, str] | None = None, cwd: Path | None = None) -> subprocess.Popen[str]:
    """`gst *args` started, with its stdout and stderr in pipes (text, stdout unbuffered)."""
    return subprocess.Popen(
        [*GST, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=gst_env({"PYTHONUNBUFFERED": "1", **(env or {})}),
        cwd=cwd,
    )
