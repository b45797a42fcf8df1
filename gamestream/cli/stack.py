"""The embedded stack: `gst stack` (its services only) and `gst demo` (the whole system on it)."""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
from contextlib import ExitStack, nullcontext
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import structlog
import typer

from gamestream.cli.common import DataDir, Duration, app, console, read_settings, stop_on_sigterm
from gamestream.core.contracts import Source
from gamestream.core.logs import configure_logging

if TYPE_CHECKING:
    from gamestream.embedded.stack import EmbeddedStack

HEALTH_LOG_SECONDS = 5.0
# The demo's defaults where GST_* and .env say nothing, sized for its load on a newcomer's machine:
# an hour of stream is plenty to watch and keeps the embedded Kinesis's store small (the stream's 24 h
# would hold gigabytes); Spark gets a 512 MB heap it grows into, collected by the serial collector,
# instead of 3 GB taken at start with G1 (its live set after a full collection is ~120 MB; the JVM held
# 0.9-1.0 GB instead of 1.1-1.3), and 2 task slots instead of 4 (each slot that ran Python keeps a
# worker process of about 50 MB; the data on the live feed was no older). The synthetic market is
# polled every 10 s, not 5 (scale 0.01: about 115 records a second), and the lake query appends every
# 60 s: together with gold every 2 minutes (its setting's default) the demo's processes went from 1.07
# cores to 0.59, the live feed's data as fresh (data age p95 1.98 s, 2.30 before). The live feed comes
# from the poll query, whose trigger stays.
DEMO_DEFAULTS: dict[str, Any] = {
    "stream_retention_hours": 1.0,
    "spark_driver_memory": "512m",
    "spark_fixed_heap": False,
    "spark_collector": "serial",
    "spark_task_slots": 2,
    "synthetic_poll_seconds": 10.0,
    "stream_trigger_seconds": 60.0,
}


def _run_embedded(
    data_dir: Path | None,
    duration: float | None,
    title: str,
    env_file: Path | None = None,
    with_stages: bool = False,
    log_file: Path | None = None,
    defaults: dict[str, Any] | None = None,
) -> None:
    # lazy (start-up time): the embedded services' clients (boto3, duckdb) load only for `gst stack`/`gst demo`
    from gamestream.embedded.stack import embedded_stack

    settings = read_settings()
    if defaults:
        unset = {name: value for name, value in defaults.items() if name not in settings.model_fields_set}
        settings = settings.model_copy(update=unset)
    configure_logging(settings, log_file)
    stop_on_sigterm()
    job, url = None, None
    with embedded_stack(data_dir, settings) as stack, ExitStack() as stages:
        console.print(f"[bold]{title}[/bold]")
        for line in stack.started:
            console.print(f"  • {line}")
        if with_stages:
            # lazy (start-up time): Spark, the pollers and dbt load only for `gst demo`
            from batch_jobs.demo_history import write_history
            from batch_jobs.gold.schedule import scheduled_gold
            from producers.run import background_producer
            from streaming_jobs.run import background_stream

            history = write_history(stack.settings, show_progress=log_file is not None)
            if history.skipped:
                console.print(f"  • history: none written ({history.skipped})")
            else:
                console.print(
                    f"  • history: {stack.settings.demo_history_days:g} days of the synthetic market "
                    f"({history.polls} polls, {history.totals} game totals) written to silver; gold loads it now"
                )
            # gold first: its load of the history needs only silver, and runs while Spark starts (seconds)
            every = stack.settings.gold_load_seconds
            stages.enter_context(scheduled_gold(stack.settings, every, at_once=not history.skipped))
            console.print(
                f"  • gold loads into {stack.settings.warehouse_kind} every {stack.settings.gold_load_seconds:g}s"
            )
            # entered before the producer: on exit the producer stops, then the job drains the stream
            # Spark's own console output (the JVM's log lines, its Python workers' traces when a stop cuts
            # a batch short) goes to a file beside the demo's logs when the console shows the live status
            spark_log = log_file.with_name("spark.log") if log_file else None
            job = stages.enter_context(background_stream(stack.settings, spark_log))
            console.print(
                f"  • streaming job (Spark local): bronze/silver Delta at {stack.settings.lake_path}, "
                f"live metrics in Redis; `gst status` shows its last batch"
                + (f"; Spark's own output in {spark_log}" if spark_log else "")
            )
            stages.enter_context(background_producer(stack.settings, Source.SYNTHETIC))
            console.print(
                f"  • synthetic producer: polls every {stack.settings.synthetic_poll_seconds:g}s "
                f"at scale {stack.settings.synthetic_scale:g} into '{stack.settings.stream_name}'"
            )
            # lazy (start-up time): FastAPI and the API load only for `gst demo`
            from gamestream.embedded.ports import free_port, port_is_free
            from realtime_api.app import create_app
            from realtime_api.server import background_api
            from realtime_api.store import GoldStore

            api_settings = stack.settings
            if not port_is_free(api_settings.api_port):
                console.print(f"  • port {api_settings.api_port} is taken: the API uses a free one instead")
                api_settings = api_settings.model_copy(update={"api_port": free_port()})
            # the API shares this process's DuckDB with the gold loads, so it opens it as they do
            store = GoldStore(api_settings.warehouse, read_only=api_settings.warehouse_kind != "duckdb")
            stages.callback(store.close)  # after the API has stopped
            stages.enter_context(background_api(create_app(api_settings, store), api_settings))
            url = f"http://{api_settings.api_host}:{api_settings.api_port}"
            console.print(
                f"  • dashboard and API: [bold]{url}/[/bold] (API docs {url}/api/docs, live feed "
                f"ws://{api_settings.api_host}:{api_settings.api_port}/ws/live)"
            )
        if env_file:
            env_file.parent.mkdir(parents=True, exist_ok=True)
            env_file.write_text("".join(f"{k}={v}\n" for k, v in stack.settings.env().items()))
            env_file.chmod(0o600)
            console.print(f"  • settings for other shells written to {env_file} (load with: set -a; . {env_file})")
        if log_file:
            console.print(f"  • logs (JSON lines) in {log_file}")
        console.print("Press Ctrl-C to stop." if duration is None else f"Stopping after {duration:g}s.")
        sys.stdout.flush()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            if with_stages:
                _watch(stack, job, url, deadline, show=log_file is not None)
            else:
                while deadline is None or time.monotonic() < deadline:
                    time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        console.print("Stopping…")
    console.print("Stopped cleanly.")
    if with_stages:
        _abandon_gold_load()


def _abandon_gold_load() -> None:
    """A gold load still running past the demo's stop wait (batch_jobs.gold.schedule) ends with the
    process, at once: letting the interpreter shut down under it makes dbt print errors about a
    warehouse connection going away, for a load that is abandoned on purpose and redone next time."""
    from batch_jobs.gold.schedule import GOLD_THREAD

    if any(t.name == GOLD_THREAD and t.is_alive() for t in threading.enumerate()):
        structlog.get_logger("gst.demo").info("gold_load_abandoned", detail="the next load redoes it")
        console.print("  (the gold load in progress is left to the next start)")
        sys.stdout.flush()
        sys.stderr.flush()
        logging.shutdown()
        os._exit(0)


def _watch(stack: EmbeddedStack, job: Any, url: str | None, deadline: float | None, show: bool) -> None:
    """Until the deadline: the status for a person (when `show`: redrawn in place on a terminal, else
    printed once at the end), and its figures in the log every HEALTH_LOG_SECONDS for machines."""
    # lazy (start-up time): the status panel's readers load only while a stack runs
    import httpx
    from rich.live import Live

    from gamestream.cli.live_status import collect, render

    log = structlog.get_logger("gst.demo")
    next_log = time.monotonic()
    health = None
    live = Live(console=console, refresh_per_second=2) if show and console.is_terminal else None
    api = httpx.Client(base_url=url, timeout=2) if url else None
    try:
        with live or nullcontext(), api or nullcontext():
            while True:  # at least once: a busy machine may pass a short deadline before the first look
                health = collect(stack, job, url, api)
                if live is not None:
                    live.update(render(health))
                if time.monotonic() >= next_log:
                    log.info("demo_health", **health)
                    next_log += HEALTH_LOG_SECONDS
                if deadline is not None and time.monotonic() >= deadline:
                    break
                time.sleep(1.0 if deadline is None else max(0.0, min(1.0, deadline - time.monotonic())))
    finally:
        if show and live is None and health is not None:
            console.print(render(health))


@app.command()
def demo(
    data_dir: DataDir = None,
    duration: Duration = None,
    log_json: Annotated[
        bool, typer.Option("--log-json", help="JSON logs on the console (for machines) instead of a live status.")
    ] = False,
) -> None:
    """Run the whole system on the embedded stack: no services, no keys."""
    data_dir = data_dir or read_settings().data_dir
    _run_embedded(
        data_dir,
        duration,
        "Game Stream Trends demo (embedded stack)",
        data_dir / "stack.env",
        with_stages=True,
        log_file=None if log_json else data_dir / "logs" / "demo.jsonl",
        defaults=DEMO_DEFAULTS,
    )


@app.command()
def stack(
    data_dir: DataDir = None,
    duration: Duration = None,
    env_file: Annotated[
        Path | None, typer.Option(help="Write GST_* settings pointing at the stack to this file.")
    ] = None,
) -> None:
    """Run only the embedded services (Kinesis, Redis, DuckDB, lake) for stages started by hand."""
    _run_embedded(data_dir, duration, "Embedded stack", env_file)
