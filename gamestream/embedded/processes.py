"""Child processes of the embedded stack: they die with this process (even by kill -9), stop
gently then firmly, and are waited for until they listen."""

from __future__ import annotations

import ctypes
import signal
import socket
import subprocess
import time
from pathlib import Path

import structlog

log = structlog.get_logger(__name__)

LOG_MAX_BYTES = 10 * 2**20


def rotate_log(path: Path, max_bytes: int = LOG_MAX_BYTES) -> Path:
    """`path`, moved aside to `path`.1 (replacing the one before) once it has reached `max_bytes`.
    Called before a service starts: the logs it appends to across restarts (kinesalite's, Redis's, the
    broker's console) then hold at most two such files, for a service writes little once started."""
    if path.is_file() and path.stat().st_size >= max_bytes:
        path.replace(path.with_name(path.name + ".1"))
    return path


def die_with_parent() -> None:
    """Child processes get SIGTERM if we die, even by kill -9: no orphans."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def wait_for_port(
    port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float = 30.0, host: str = "127.0.0.1"
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}: {log.read_text()[-1000:]}")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {host}:{port} within {timeout:.0f}s") from None
            time.sleep(0.05)
