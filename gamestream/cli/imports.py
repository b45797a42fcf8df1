"""`gst import`: past data into the lake, then silver and gold."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from batch_jobs.imports import FormatName
from gamestream.cli.common import app, console, load_settings, stop_on_sigterm

if TYPE_CHECKING:
    from pyspark.sql import SparkSession


@app.command("import")
def import_(
    location: Annotated[str, typer.Argument(help="A file, a folder, or s3://bucket/prefix.", show_default=False)],
    format_name: Annotated[
        FormatName,
        typer.Option(
            "--format",
            help="seed: the seed pipeline's raw archive (Twitch streams and top categories, Steam players); "
            "jsonl: JSON-lines files of the project's records.",
            case_sensitive=False,
        ),
    ],
    interval: Annotated[
        float | None,
        typer.Option(
            help="Seed archive: seconds each fetch run stands for (default: the usual gap between runs).", min=1
        ),
    ] = None,
    gold: Annotated[bool, typer.Option(help="Load gold for the imported range afterwards.")] = True,
) -> None:
    """Load past data into bronze (bad files and lines into quarantine), then backfill silver and gold.
    Importing the same files again adds nothing."""
    from batch_jobs.imports.files import NothingToImport
    from batch_jobs.imports.importer import ImportReport, run_import
    from streaming_jobs.run import export_aws_environment

    settings = load_settings()
    export_aws_environment(settings)
    stop_on_sigterm()
    started: list[SparkSession] = []

    def spark() -> SparkSession:  # started only when something new needs a backfill
        from streaming_jobs.spark import local_spark

        started.append(local_spark("gst-import"))
        return started[-1]

    try:
        report: ImportReport = run_import(settings, location, format_name, spark, interval=interval, load_gold=gold)
    except NothingToImport as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        for session in started:
            session.stop()
    summary = Table(title=f"gst import {report.format} {report.location}", show_header=False)
    summary.add_row(
        "files",
        f"{report.files}" + (f" (and {report.ignored} not in the format, left alone)" if report.ignored else ""),
    )
    summary.add_row("polls", str(report.polls))
    summary.add_row("records", str(report.records))
    summary.add_row("quarantined", str(report.quarantined))
    summary.add_row("skipped: already imported", f"{report.skipped_files} files")
    if report.observed:
        summary.add_row("observed", f"{report.observed[0]:%Y-%m-%d %H:%M} .. {report.observed[1]:%Y-%m-%d %H:%M} UTC")
    if report.backfill is not None:
        summary.add_row("silver", f"{report.backfill.records} records backfilled ({report.backfill.run_id})")
        if report.backfill.gold is not None:
            summary.add_row(
                "gold", f"{report.backfill.gold.rows} rows loaded, {report.backfill.gold.buckets} buckets rebuilt"
            )
    for problem in report.failed:
        summary.add_row("[red]failed[/red]", problem)
    console.print(summary)
    if report.failed:
        console.print("[yellow]files that failed were left out; run the same import again to retry them[/yellow]")
        raise typer.Exit(1)
