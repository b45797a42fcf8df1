"""kinesalite as the Kinesis API (a Node process, its records in a LevelDB store under the data
directory)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import structlog

from gamestream.embedded.processes import die_with_parent, rotate_log, stop_process, wait_for_port

log = structlog.get_logger(__name__)


KINESALITE = Path(__file__).resolve().parents[1] / "kinesalite"


class KinesaliteMissing(RuntimeError):
    """Node or kinesalite's packages are not installed; the message says how to install them."""


@contextmanager
def kinesalite_server(
    port: int, store: Path, retention_seconds: float | None = None, sweep_seconds: float | None = None
) -> Iterator[int]:
    """kinesalite on 127.0.0.1:`port` with its LevelDB store in `store`; yields its pid. Records older
    than `retention_seconds` (unset: the stream's own retention, 24 h as on Kinesis) are deleted by a
    sweep every `sweep_seconds` (unset: server.js's 5 minutes)."""
    node = shutil.which("node")
    if not node or not (KINESALITE / "node_modules" / "kinesalite").is_dir():
        raise KinesaliteMissing(
            f"the embedded Kinesis needs Node.js and kinesalite's packages in {KINESALITE}: "
            "run `make install` (npm ci there)"
        )
    store.mkdir(parents=True, exist_ok=True)
    log = rotate_log(store.parent / "kinesalite.log")
    retention = [] if retention_seconds is None else ["--retention-seconds", str(retention_seconds)]
    sweep = [] if sweep_seconds is None else ["--sweep-seconds", str(sweep_seconds)]
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [node, str(KINESALITE / "server.js"), str(port), str(store), *retention, *sweep],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=KINESALITE,
            preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
        )
    try:
        wait_for_port(port, proc, "kinesalite", log)
        yield proc.pid
    finally:
        stop_process(proc)
