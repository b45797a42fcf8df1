"""A private Redis on a loopback port: the `redis-server` binary when installed, else fakeredis's
TCP server."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from fakeredis import TcpFakeServer

from gamestream.core.settings import redact_url
from gamestream.embedded.processes import die_with_parent, rotate_log, stop_process


def wait_for_redis(url: str, timeout: float = 10.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Redis did not answer at {redact_url(url)} within {timeout:.0f}s") from None
                time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[int]:
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(rotate_log(workdir / "redis.log")),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
    )
    try:
        wait_for_redis(f"redis://127.0.0.1:{port}/0")
        yield proc.pid
    finally:
        stop_process(proc)


@contextmanager
def fake_redis_server(port: int) -> Iterator[None]:
    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fakeredis", daemon=True)
    thread.start()
    try:
        wait_for_redis(f"redis://127.0.0.1:{port}/0")
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
