"""Setting up and looking around: `gst init`, `gst doctor`, `gst settings`, `gst status`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from gamestream.cli.common import app, console, load_settings
from gamestream.settings_doc import settings_table


@app.command()
def init() -> None:
    """Create the configured Kinesis stream (Kafka topic with GST_SINK=kafka), lake folders and S3 bucket if missing."""
    # lazy (start-up time): boto3 (and kafka, with GST_SINK=kafka) load only for `gst init`
    from gamestream.core.aws import aws_client, ensure_bucket, ensure_stream

    settings = load_settings()
    if settings.sink == "kafka":
        from producers.sinks.kafka import ensure_topic

        stream = f"Kafka topic '{settings.stream_name}' ({ensure_topic(settings)} partitions)"
    else:
        summary = ensure_stream(aws_client(settings, "kinesis"), settings.stream_name, settings.stream_shards)
        stream = f"stream '{settings.stream_name}' {summary['StreamStatus']} ({summary['OpenShardCount']} shards)"
    if settings.lake_path.startswith("s3://"):
        ensure_bucket(aws_client(settings, "s3"), settings.s3_bucket)
    for folder in (settings.lake_path, settings.checkpoint_path):
        if not folder.startswith("s3://"):
            Path(folder).mkdir(parents=True, exist_ok=True)
    console.print(f"{stream}, lake {settings.lake_path}")


@app.command()
def doctor() -> None:
    """Check Java, free ports and every configured endpoint; say what is missing."""
    # lazy (start-up time): the doctor imports every stage to check it
    from gamestream.doctor import Status, run_checks

    checks = run_checks(load_settings())
    table = Table("check", "status", "detail", title="gst doctor")
    colours = {Status.OK: "green", Status.WARN: "yellow", Status.FAIL: "red"}
    for check in checks:
        table.add_row(check.name, f"[{colours[check.status]}]{check.status}[/]", check.detail)
    console.print(table)
    failed = [c.name for c in checks if c.status is Status.FAIL]
    if failed:
        console.print(
            f"[red]Missing: {', '.join(failed)}.[/red] `gst demo` needs Java, Python, Node and the jars and "
            "packages `make install` fetches: it starts its own services."
        )
        raise typer.Exit(1)
    console.print("[green]Everything the configured system needs is there.[/green]")


@app.command("settings")
def show_settings(
    markdown: Annotated[
        bool,
        typer.Option(
            "--markdown", help="Print every setting's default and description as docs/operations.md has them."
        ),
    ] = False,
) -> None:
    """Print the effective settings (secrets shown only as set / not set)."""
    if markdown:
        print(settings_table())
        return
    table = Table("setting", "value")
    for name, value in load_settings().describe().items():
        table.add_row(f"GST_{name.upper()}", value)
    console.print(table)


@app.command()
def status() -> None:
    """Show the streaming job's last batch and the live state's position."""
    # lazy (start-up time): redis-py loads only for `gst status`
    from streaming_jobs.live import LiveWriter

    settings = load_settings()
    path = Path(settings.checkpoint_path) / "status.json"
    if not path.exists():
        console.print(f"no batch recorded yet ({path} does not exist): is `gst stream` running?")
        raise typer.Exit(1)
    reports = json.loads(path.read_text())
    table = Table("query", "metric", "value", title="streaming job, last batch of each query")
    for query, report in reports.items():
        for key, value in report.items():
            table.add_row(query, key, str(value))
    live = LiveWriter(settings.redis_url)
    table.add_row("poll", "redis last applied batch", str(live.last_batch()))
    live.close()
    console.print(table)
