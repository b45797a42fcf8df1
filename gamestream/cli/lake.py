"""`gst lake`: lake upkeep."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from gamestream.cli.common import app, console, load_settings

lake_app = typer.Typer(help="Lake upkeep.", no_args_is_help=True)
app.add_typer(lake_app, name="lake")


@lake_app.command("maintain")
def lake_maintain(
    retention_hours: Annotated[
        float | None, typer.Option(help="Vacuum files older than this (default GST_LAKE_RETENTION_HOURS).", min=0)
    ] = None,
) -> None:
    """Compact small files, vacuum past retention, prune the raw archive and report table sizes."""
    # lazy (start-up time): delta-rs and boto3 load only for `gst lake`
    from gamestream.core.lake import Lake
    from gamestream.core.raw_area import RawArea
    from streaming_jobs.lake_maintenance import maintain

    settings = load_settings()
    reports = maintain(
        Lake(settings.lake_path),
        settings.lake_retention_hours if retention_hours is None else retention_hours,
        raw=RawArea.from_settings(settings),
    )
    table = Table(
        "table", "files before", "files after", "rows", "MiB", "vacuumed files", title=f"lake {settings.lake_path}"
    )
    for r in reports:
        table.add_row(
            r.table,
            str(r.files_before),
            str(r.files_after),
            str(r.rows),
            f"{r.bytes_after / 2**20:.1f}",
            str(r.vacuumed),
        )
    console.print(table)
    if not reports:
        console.print(f"no Delta tables under {settings.lake_path} yet")
