"""The embedded stack: `gst stack` (its services only) and `gst demo` (the whole system on it)."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Annotated

import typer

from gamestream.cli.common import DataDir, Duration, app, console, load_settings, read_settings, stop_on_sigterm


def _run_embedded(
    data_dir: Path | None, duration: float | None, title: str, env_file: Path | None = None, with_stages: bool = False
) -> None:
    from gamestream.contracts import Source
    from gamestream.embedded import embedded_stack

    settings = load_settings()
    stop_on_sigterm()
    with embedded_stack(data_dir, settings) as stack, ExitStack() as stages:
        console.print(f"[bold]{title}[/bold]")
        for line in stack.started:
            console.print(f"  • {line}")
        if with_stages:
            from batch_jobs.gold import scheduled_gold
            from producers.run import background_producer
            from streaming_jobs.run import background_stream

            # entered first, left last: on exit the producer stops, then the job drains the stream
            stages.enter_context(background_stream(stack.settings))
            console.print(
                f"  • streaming job (Spark local): bronze/silver Delta at {stack.settings.lake_path}, "
                f"live metrics in Redis; `gst status` shows its last batch"
            )
            stages.enter_context(scheduled_gold(stack.settings, stack.settings.gold_load_seconds))
            console.print(
                f"  • gold loads into {stack.settings.warehouse_kind} every {stack.settings.gold_load_seconds:g}s"
            )
            stages.enter_context(background_producer(stack.settings, Source.SYNTHETIC))
            console.print(
                f"  • synthetic producer: polls every {stack.settings.synthetic_poll_seconds:g}s "
                f"at scale {stack.settings.synthetic_scale:g} into '{stack.settings.stream_name}'"
            )
            from gamestream.embedded import free_port, port_is_free
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
        console.print("Press Ctrl-C to stop." if duration is None else f"Stopping after {duration:g}s.")
        sys.stdout.flush()
        deadline = None if duration is None else time.monotonic() + duration
        try:
            while deadline is None or time.monotonic() < deadline:
                time.sleep(0.2)
        except KeyboardInterrupt:
            pass
        console.print("Stopping…")
    console.print("Stopped cleanly.")


@app.command()
def demo(data_dir: DataDir = None, duration: Duration = None) -> None:
    """Run the whole system on the embedded stack: no services, no keys."""
    data_dir = data_dir or read_settings().data_dir
    _run_embedded(
        data_dir, duration, "Game Stream Trends demo (embedded stack)", data_dir / "stack.env", with_stages=True
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
