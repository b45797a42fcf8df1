"""Re-running the past: `gst replay` (bronze back into a stream) and `gst backfill` (silver and gold again)."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from gamestream.cli.common import app, console, load_settings, stop_on_sigterm, time_range


class ReplayOrder(StrEnum):
    arrived = "arrived"
    observed = "observed"


@app.command()
def replay(
    start: Annotated[
        str,
        typer.Option(
            "--from", help="ISO time: replay records that arrived (or, --by observed, were observed) from here..."
        ),
    ],
    end: Annotated[str, typer.Option("--to", help="...up to here (exclusive).")],
    speed: Annotated[float, typer.Option(help="Play back this many times faster than real time.", min=0.001)] = 60.0,
    as_fast_as_possible: Annotated[bool, typer.Option(help="Ignore the original timing.")] = False,
    stream_name: Annotated[
        str | None, typer.Option("--stream", help="Target stream or topic (default GST_STREAM_NAME).")
    ] = None,
    target: Annotated[
        str | None, typer.Option(help="kinesis or kafka (default GST_SINK): where --stream lives.")
    ] = None,
    by: Annotated[
        ReplayOrder,
        typer.Option(
            help="arrived: the time the stream received each record; observed: the time it describes "
            "(history brought in by `gst import` arrived at import time)."
        ),
    ] = ReplayOrder.arrived,
) -> None:
    """Re-publish bronze records into a Kinesis stream or Kafka topic in their original order and timing."""
    # lazy (start-up time): delta-rs and the sinks load only for `gst replay`
    from batch_jobs.replay import UnknownTarget
    from batch_jobs.replay import replay as run_replay

    settings = load_settings()
    first, last = time_range(start, end)
    stop_on_sigterm()
    try:
        report = run_replay(
            settings, first, last, None if as_fast_as_possible else speed, stream_name, target=target, by=by.value
        )
    except UnknownTarget as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    verb = "arrived" if by is ReplayOrder.arrived else "were observed"
    if report.unreadable:
        console.print(f"[yellow]{report.unreadable} bronze records hold no readable observed_at: not replayed[/yellow]")
    if report.sent == 0:
        console.print(f"0 records {verb} between {first.isoformat()} and {last.isoformat()}: nothing replayed")
        if report.held is None:
            console.print("bronze holds no records yet")
        else:
            since, until, rows = report.held
            console.print(
                f"bronze holds {rows} records that arrived between {since.isoformat()} and {until.isoformat()}"
            )
        return
    console.print(
        f"replayed {report.sent} records that {verb} between {first.isoformat()} and {last.isoformat()} "
        f"into {target or settings.sink} '{stream_name or settings.stream_name}'"
    )


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--from", help="ISO time: re-derive records that arrived from here...")],
    end: Annotated[str, typer.Option("--to", help="...up to here (exclusive).")],
    source: Annotated[str | None, typer.Option(help="Only this source: steam, twitch, youtube or synthetic.")] = None,
    gold: Annotated[bool, typer.Option(help="Load gold for the affected buckets afterwards.")] = True,
) -> None:
    """Re-derive silver from bronze for a time range (as the stream would), then gold."""
    # lazy (start-up time): Spark and delta-rs load only for `gst backfill`
    from batch_jobs.backfill import RangeNotSettled
    from batch_jobs.backfill import backfill as run_backfill
    from streaming_jobs.run import export_aws_environment
    from streaming_jobs.spark import local_spark

    settings = load_settings()
    first, last = time_range(start, end)
    export_aws_environment(settings)
    spark = local_spark("gst-backfill")
    try:
        report = run_backfill(settings, spark, first, last, source, load_gold=gold)
    except (RangeNotSettled, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        spark.stop()
    console.print(
        f"backfill {report.run_id}: {report.records} records in {report.batches} ingest batches, "
        f"{report.invalid} invalid skipped"
    )
    if report.gold is not None:
        console.print(
            f"gold: Delta version {report.gold.from_version} -> {report.gold.to_version}, "
            f"{report.gold.rows} rows loaded, {report.gold.buckets} buckets rebuilt"
        )
