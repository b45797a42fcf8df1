"""The gold dbt project run in this process with dbt's programmatic runner (dbtRunner).

dbt Core keeps global state (flags, adapters, the invocation context) and is not safe to run twice
at once, so every invocation holds a process-wide lock, and a file lock on its target folder keeps
two processes from sharing one. The packaged project is read-only: dbt's target and log folders live
under the data dir, one pair per warehouse. The connection comes from profiles.yml in the project,
whose variables are filled from GST_WAREHOUSE_URL for the run (docs/warehouse.md).
"""

from __future__ import annotations

import fcntl
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import structlog
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn

from gamestream.core.settings import Settings

log = structlog.get_logger(__name__)
_LOCK = threading.Lock()
TARGETS = {"duckdb": "duckdb", "postgresql": "postgres", "redshift": "redshift"}
FAILED = {"error", "fail", "runtime error"}
# dbt's file log follows GST_LOG_LEVEL: at debug it holds every statement's SQL, which costs a small
# build about a sixth of its time; the compiled SQL is kept under target/ at any level
FILE_LOG_LEVELS = {"DEBUG": "debug", "INFO": "info", "WARNING": "warn", "ERROR": "error"}
# projects parsed in this process, by what their parse read (_parse_key), for its later builds
_PARSED: dict[tuple[str, ...], Any] = {}


class DbtFailed(RuntimeError):
    """A dbt invocation failed; the message names the failing models and tests."""


def project_dir() -> Path:
    """The packaged dbt project (a directory of the installed `warehouse_sql` package)."""
    return Path(str(files("warehouse_sql")))


def work_dir(settings: Settings) -> Path:
    """dbt's target and log folders for this kind of warehouse, under the data dir (one per kind: the
    parsed project kept there is reused by the next build)."""
    folder = settings.data_dir.resolve() / "dbt" / settings.warehouse_kind
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def profile_env(url: str) -> dict[str, str]:
    """The variables profiles.yml reads, for one warehouse URL (the password under dbt's secret prefix)."""
    parts = urlsplit(url)
    kind = parts.scheme
    if kind == "duckdb":
        return {"GST_DBT_TARGET": "duckdb", "GST_DBT_DUCKDB_PATH": url.removeprefix("duckdb:///")}
    if kind not in TARGETS:
        raise ValueError(f"gold builds support duckdb://, postgresql:// and redshift:// warehouses, not {kind}://")
    return {
        "GST_DBT_TARGET": TARGETS[kind],
        "GST_DBT_HOST": parts.hostname or "",
        "GST_DBT_PORT": str(parts.port or (5432 if kind == "postgresql" else 5439)),
        "GST_DBT_USER": unquote(parts.username or ""),
        "DBT_ENV_SECRET_GST_PASSWORD": unquote(parts.password or ""),
        "GST_DBT_DATABASE": parts.path.lstrip("/") or ("postgres" if kind == "postgresql" else "dev"),
    }


@contextmanager
def _environment(values: dict[str, str]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    with _LOCK, (folder / ".lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _parse_key(project: Path, url: str) -> tuple[str, ...]:
    """What parsing a project reads: its files, and the profile values models see when parsed (the
    target's type, database and schema; a DuckDB database is named after its file, whatever folder)."""
    from batch_jobs.gold.project import project_digest  # the gold package builds on this module

    values = profile_env(url)
    values.pop("DBT_ENV_SECRET_GST_PASSWORD", None)
    if "GST_DBT_DUCKDB_PATH" in values:
        values["GST_DBT_DUCKDB_PATH"] = Path(values["GST_DBT_DUCKDB_PATH"]).stem
    return (str(project), project_digest(project), *sorted(f"{k}={v}" for k, v in values.items()))


def _copy_to_run(manifest: Any) -> Any:
    """A copy of a parsed project to build on: a run compiles into its manifest's nodes, and the kept
    one stays as parsed. dbt's Manifest.deepcopy cannot copy disabled nodes (it takes one per name
    where dbt keeps a list: our DuckDB-only models on other warehouses); they are never compiled or
    run, so the copy shares them."""
    disabled, manifest.disabled = manifest.disabled, {}
    try:
        copy = manifest.deepcopy()
    finally:
        manifest.disabled = disabled
    copy.disabled = disabled
    return copy


@contextmanager
def _duckdb_held_open(settings: Settings) -> Iterator[None]:
    """On DuckDB, a connection of ours held across an invocation. dbt-duckdb opens the file for every
    model and test and closes it after (keep_open: false, so the file is free when the build ends),
    reading the database in again each time; with ours open DuckDB keeps it loaded in between."""
    held = None
    if settings.warehouse_kind == "duckdb":
        import duckdb

        from gamestream.core.warehouse import DUCKDB_CONFIG

        try:
            held = duckdb.connect(settings.warehouse.removeprefix("duckdb:///"), config=DUCKDB_CONFIG)
        except duckdb.Error as exc:  # e.g. another process holds the file: dbt's own error says so next
            log.debug("dbt_duckdb_not_held", error=str(exc))
    try:
        yield
    finally:
        if held is not None:
            held.close()


def invoke(settings: Settings, command: list[str], project: Path | None = None) -> None:
    """Run one dbt command (e.g. ["build"], ["run", "--full-refresh"]) of a project (the packaged one
    unless named) against the settings' warehouse with progress; DbtFailed names what failed.

    A build runs on a copy of the project as parsed for this kind of warehouse earlier in the process
    (dbt's programmatic runner takes a parsed manifest), parsing it first when none is kept: a load
    then neither reads nor writes the parsed project under target/ (about a second), and a warehouse
    in another data dir is not parsed again from scratch (about three)."""
    # lazy (start-up time): dbt takes about a second to import; the API and the demo import this module
    from dbt.cli.main import dbtRunner

    folder = work_dir(settings)
    folder_of_project = str(project or project_dir())
    options = [
        "--project-dir",
        folder_of_project,
        "--profiles-dir",
        folder_of_project,
        "--target-path",
        str(folder / "target"),
        "--log-path",
        str(folder / "logs"),
        "--log-level-file",
        FILE_LOG_LEVELS[settings.log_level],
        "--no-send-anonymous-usage-stats",
        "--no-version-check",
        "--no-use-colors",
        "--quiet",
    ]
    console = Console(stderr=True)
    with (
        _exclusive(folder),
        _environment(profile_env(settings.warehouse)),
        _duckdb_held_open(settings),
        Progress(
            SpinnerColumn(),
            TextColumn("dbt {task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            console=console,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task(command[0], total=None)

        def on_event(event: Any) -> None:
            name = event.info.name
            if name == "ConcurrencyLine":
                progress.update(task, total=event.data.node_count)
            elif name == "NodeStart":
                progress.update(task, description=f"{command[0]}: {event.data.node_info.node_name}")
            elif name == "NodeFinished":
                info = event.data.node_info
                progress.advance(task)
                quiet = info.resource_type == "test" and info.node_status in ("pass", "success")
                (log.debug if quiet else log.info)("dbt_node", node=info.unique_id, status=info.node_status)

        manifest = None
        if command[0] == "build":
            key = _parse_key(Path(folder_of_project), settings.warehouse)
            if key not in _PARSED:
                parsed = dbtRunner(callbacks=[on_event]).invoke(["parse", *options])
                if parsed.exception is not None or not parsed.success:
                    raise DbtFailed(
                        f"dbt parse failed: {parsed.exception or 'see ' + str(folder / 'logs' / 'dbt.log')}"
                    )
                _PARSED[key] = parsed.result
            manifest = _copy_to_run(_PARSED[key])
        result = dbtRunner(manifest=manifest, callbacks=[on_event]).invoke([*command, *options])
    if result.exception is not None:
        raise DbtFailed(f"dbt {command[0]} failed: {result.exception}") from result.exception
    nodes = list(getattr(result.result, "results", None) or [])
    failed = [r for r in nodes if str(r.status) in FAILED]
    if failed or not result.success:
        named = "; ".join(
            f"{r.node.resource_type} {r.node.name}: {(r.message or '').strip()}{_first_rows(settings, r)}"
            for r in failed
        )
        raise DbtFailed(f"dbt {command[0]} failed: {named or 'see ' + str(folder / 'logs' / 'dbt.log')}")


def _first_rows(settings: Settings, result: Any) -> str:
    """What a failed data test found: the first rows its query returns (run again), for the error."""
    sql = getattr(result.node, "compiled_code", None)
    if result.node.resource_type != "test" or str(result.status) != "fail" or not sql:
        return ""
    from gamestream.core.warehouse import Warehouse

    # a pool of its own (a timeout: it must not wait long behind another load's locks), closed after
    warehouse = Warehouse(settings.warehouse, timeout_seconds=30)
    query = f"select * from (\n{sql.strip().rstrip(';')}\n) found limit 5"
    try:
        with warehouse.connect() as connection:  # no parameters: a % in the SQL is itself
            rows = connection.exec_driver_sql(query, execution_options={"no_parameters": True}).fetchall()
    except Exception as exc:  # the failure is reported all the same, without its rows
        log.warning("dbt_test_rows_unread", test=result.node.name, error=str(exc))
        return ""
    finally:
        warehouse.close()
    return " (" + "; ".join(", ".join(str(value) for value in row) for row in rows) + ")"


def build(
    settings: Settings,
    full_refresh: bool = False,
    project: Path | None = None,
    exclude: tuple[str, ...] = (),
    threads: int | None = None,
) -> None:
    """`dbt build`: every model in dependency order, each followed by its tests (but those `exclude`
    selects, in dbt's selector syntax, with their tests), on `threads` (None: the profile's)."""
    if full_refresh:
        from batch_jobs.gold.lookup_indexes import drop_lookup_indexes  # the gold package builds on this module
        from gamestream.core.warehouse import Warehouse

        warehouse = Warehouse(settings.warehouse)
        try:
            drop_lookup_indexes(warehouse)
        finally:
            warehouse.close()
    invoke(
        settings,
        [
            "build",
            *(["--full-refresh"] if full_refresh else []),
            *(["--exclude", *exclude] if exclude else []),
            *(["--threads", str(threads)] if threads else []),
        ],
        project,
    )
