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

from gamestream.embedded.processes import die_with_parent, stop_process, wait_for_port

log = structlog.get_logger(__name__)


KINESALITE = Path(__file__).resolve().parents[1] / "kinesalite"


class KinesaliteMissing(RuntimeError):
    """Node or kinesalite's packages are not installed; the message says how to install them."""


@contextmanager
def kinesalite_server(port: int, store: Path) -> Iterator[int]:
    """kinesalite on 127.0.0.1:`port` with its LevelDB store in `store`; yields its pid."""
    node = shutil.which("node")
    if not node or not (KINESALITE / "node_modules" / "kinesalite").is_dir():
        raise KinesaliteMissing(
            f"the embedded Kinesis needs Node.js and kinesalite's packages in {KINESALITE}: "
            "run `make install` (npm ci there)"
        )
    store.mkdir(parents=True, exist_ok=True)
    log = store.parent / "kinesalite.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [node, str(KINESALITE / "server.js"), str(port), str(store)],
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
