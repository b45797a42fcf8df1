"""`gst import`: past data into the lake, then silver and gold."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from batch_jobs.imports import FormatName
from batch_jobs.imports.base import PARTIAL_RUNS_ACCEPTED, Run
from gamestream.cli.common import app, console, load_settings, stop_on_sigterm

if TYPE_CHECKING:
    from pyspark.sql import SparkSession

    from batch_jobs.imports.report import ImportReport


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
            help="Seed archive: seconds each fetch run stands for (default: the usual gap between runs; the seed's "
            "schedule, 4 hours, for a single run).",
            min=1,
        ),
    ] = None,
    gold: Annotated[bool, typer.Option(help="Load gold for the imported range afterwards.")] = True,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Read and check every file, report what an import would do, write nothing."),
    ] = False,
    accept_partial: Annotated[
        bool,
        typer.Option(
            "--accept-partial",
            help=f"Exit 0 even when more than {PARTIAL_RUNS_ACCEPTED:.0%} of the fetch runs are partial or a run "
            "does not chain (the data is written either way).",
        ),
    ] = False,
) -> None:
    """Load past data into bronze (bad files and lines into quarantine), then backfill silver and gold.
    Importing the same files again adds nothing. Exits 1 when files could not be read, 3 when the
    archive's fetch runs are doubtful (see --accept-partial), 2 on bad arguments."""
    # lazy (start-up time): delta-rs, boto3 and pyspark load only when importing
    from batch_jobs.imports.files import NothingToImport
    from batch_jobs.imports.importer import run_import
    from streaming_jobs.run import export_aws_environment

    settings = load_settings()
    export_aws_environment(settings)
    stop_on_sigterm()
    started: list[SparkSession] = []

    def spark() -> SparkSession:  # started only when something new needs a backfill
        # lazy: the JVM's Python side loads only when a backfill needs it
        from streaming_jobs.spark import local_spark

        started.append(local_spark("gst-import"))
        return started[-1]

    try:
        report: ImportReport = run_import(
            settings,
            location,
            format_name,
            spark,
            interval=interval,
            load_gold=gold,
            dry_run=dry_run,
            on_plan=print_survey,
        )
    except NothingToImport as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    finally:
        for session in started:
            session.stop()
    print_summary(report)
    if report.failed:
        console.print("[yellow]files that failed were left out; run the same import again to retry them[/yellow]")
        raise typer.Exit(1)
    if report.doubts:
        for doubt in report.doubts:
            console.print(f"[red]doubtful: {doubt}[/red]")
        if not accept_partial:
            console.print(
                "[red]"
                + (
                    "the import's figures would be"
                    if report.dry_run
                    else "the import was written, but its figures may be"
                )
                + " wrong: look at the worst runs above, then run it again with --accept-partial to accept them[/red]"
            )
            raise typer.Exit(3)


def print_survey(report: ImportReport) -> None:
    """What was found, before anything is written: runs per kind and day, pages per run, runs that do
    not chain, and how many polls will be partial for want of pages."""
    console.print(
        f"found {report.files} files in the {report.format} format"
        + (f", {report.used} read for app names" if report.used else "")
        + (f", {report.ignored} not in the format (left alone)" if report.ignored else "")
    )
    if not report.runs:
        return
    survey = Table(title="fetch runs found", show_lines=False)
    for column in ("kind", "runs", "days", "runs per day", "pages per run", "do not chain", "lack pages"):
        survey.add_column(column, justify="left" if column == "kind" else "right")
    by_kind: dict[str, list[Run]] = defaultdict(list)
    for run in report.runs:
        by_kind[run.kind].append(run)
    for kind, runs in sorted(by_kind.items()):
        per_day = Counter(run.start.date() for run in runs)
        pages = sorted(run.pages for run in runs)
        unchained = sum(not run.chains for run in runs)
        survey.add_row(
            kind,
            str(len(runs)),
            f"{min(per_day)} .. {max(per_day)} ({len(per_day)})",
            f"{min(per_day.values())} .. {max(per_day.values())}",
            f"{pages[0]} / {statistics.median(pages):g} / {pages[-1]} (min / median / max)",
            str(unchained),
            f"{unchained / len(runs):.1%}",
        )
    console.print(survey)
    for note in report.notes:
        console.print(f"[yellow]note: {note}[/yellow]")


def print_summary(report: ImportReport) -> None:
    title = f"gst import {report.format} {report.location}" + (" (dry run: nothing written)" if report.dry_run else "")
    summary = Table(title=title, show_header=False)
    summary.add_row(
        "files",
        f"{report.files}" + (f" (and {report.ignored} not in the format, left alone)" if report.ignored else ""),
    )
    summary.add_row("polls", str(report.polls))
    summary.add_row("records", str(report.records))
    summary.add_row("quarantined", str(report.quarantined))
    summary.add_row("skipped: already imported", f"{report.skipped_files} files")
    if report.complete_share is not None:
        summary.add_row(
            "runs complete",
            f"{report.complete_share:.1%} of {len(report.converted_runs)} "
            f"(lowest coverage {report.lowest_coverage:.2%}; {len(report.unchained_runs)} do not chain)",
        )
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
    for run in report.worst_runs():
        coverage = "not converted" if run.coverage is None else f"coverage {run.coverage:.2%}"
        missing = f", pages missing: {_numbers(run.missing)}" if run.missing else ""
        summary.add_row(
            "[yellow]worst run[/yellow]",
            f"{run.kind} {run.start:%Y-%m-%d %H:%M:%S} UTC, {run.pages} page{'s' * (run.pages != 1)}, {coverage}{missing}\n"
            + "\n".join(run.files[:3])
            + (f"\n… and {len(run.files) - 3} more" if len(run.files) > 3 else ""),
        )
    console.print(summary)


def _numbers(values: list[int]) -> str:
    shown = ", ".join(str(v) for v in values[:10])
    return shown + (f" … ({len(values)} in all)" if len(values) > 10 else "")
