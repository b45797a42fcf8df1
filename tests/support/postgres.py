"""A throwaway PostgreSQL server for one test run, started from the installed server binaries
(Debian's `postgresql` package, /usr/lib/postgresql/N/bin) on a free loopback port, and removed
afterwards. PostgreSQL refuses to run as root, so when the suite runs as root (as CI does) the
cluster belongs to the `postgres` user and its commands run through `runuser`.

pytest-postgresql would do the same but runs `pg_ctl` as the current user, which fails as root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psycopg

from gamestream.embedded.ports import free_port

SERVER_USER = "postgres"


def server_bin() -> Path:
    """The newest installed PostgreSQL server's bin folder, or an error naming the package."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parts[-3]))
    if not found:
        raise RuntimeError(
            "PostgreSQL's server is not installed (no /usr/lib/postgresql/*/bin/initdb): "
            "`make test` installs it (scripts/system-packages.sh), or set GST_TEST_POSTGRES_URL"
        )
    return found[-1].parent


def _run(command: list[str | Path], what: str, log: Path | None = None) -> None:
    done = subprocess.run([str(c) for c in command], capture_output=True, text=True, timeout=120)
    if done.returncode:
        tail = log.read_text()[-2000:] if log and log.exists() else ""
        raise RuntimeError(f"PostgreSQL {what} failed ({done.returncode}): {done.stderr[-2000:]}{tail}")


START_ATTEMPTS = 3


def _start(as_owner: list[str | Path], bindir: Path, data: Path, folder: Path, log: Path) -> int:
    """Start the server on a port picked just before (not before initdb, which takes seconds), and on
    another when that one was taken all the same before the server bound it; the port it listens on."""
    for attempt in range(1, START_ATTEMPTS + 1):
        port = free_port()
        settings = (
            f"-c listen_addresses=127.0.0.1 -p {port} -k {folder} -c fsync=off "
            "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
        )
        try:
            _run(
                [*as_owner, bindir / "pg_ctl", "-D", data, "-l", log, "-o", settings, "-w", "-t", "60", "start"],
                "start",
                log,
            )
            return port
        except RuntimeError as error:
            if attempt == START_ATTEMPTS or "Address already in use" not in str(error):
                raise
    raise AssertionError("unreachable: the last attempt returns or raises")


@contextmanager
def throwaway_postgres(database: str = "test") -> Iterator[str]:
    """Yield the URL of an empty database on a private server; stop and delete the server after."""
    bindir = server_bin()
    folder = Path(tempfile.mkdtemp(prefix="gst-postgres-"))
    as_owner: list[str | Path] = []
    if os.geteuid() == 0:
        shutil.chown(folder, SERVER_USER, SERVER_USER)
        as_owner = ["runuser", "-u", SERVER_USER, "--"]
    data, log = folder / "data", folder / "server.log"
    try:
        _run(
            [
                *as_owner,
                bindir / "initdb",
                "-D",
                data,
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--locale=C",
                "--no-sync",
            ],
            "initdb",
        )
        try:  # stopped whatever happens once a start was tried: a timed-out start may still come up
            port = _start(as_owner, bindir, data, folder, log)
            admin = f"postgresql://postgres@127.0.0.1:{port}/postgres"
            with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
                conn.execute(f'CREATE DATABASE "{database}"')
            yield f"postgresql://postgres@127.0.0.1:{port}/{database}"
        finally:  # not checked: after a failed start there may be nothing to stop
            stop = [*as_owner, bindir / "pg_ctl", "-D", data, "-m", "immediate", "-w", "stop"]
            subprocess.run([str(c) for c in stop], capture_output=True, timeout=120)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def fresh_database(url: str, name: str) -> str:
    """A new empty database `name` on the server of `url` (dropped first if it exists); named per
    pytest-xdist worker, so workers sharing a GST_TEST_POSTGRES_URL server do not collide."""
    name += os.environ.get("PYTEST_XDIST_WORKER", "")
    with psycopg.connect(url, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.rsplit("/", 1)[0] + "/" + name
