"""`gst gold`: the warehouse's gold tables."""

from __future__ import annotations

import threading
from typing import Annotated

import typer

from gamestream.cli.common import app, console, load_settings, stop_on_sigterm

gold_app = typer.Typer(help="Warehouse gold tables.", no_args_is_help=True)
app.add_typer(gold_app, name="gold")


@gold_app.command("run")
def gold_run(
    every: Annotated[
        float | None,
        typer.Option(help="Repeat every this many seconds until stopped (a failed load is logged and retried).", min=1),
    ] = None,
) -> None:
    """Stage what silver gained since the last load, then `dbt build` gold (only the affected buckets)."""
    # lazy (start-up time): dbt and the warehouse drivers load only for gold commands
    from batch_jobs.dbt import DbtFailed
    from batch_jobs.gold.loads import LoadReport, run_gold
    from batch_jobs.gold.schedule import load_gold_every

    settings = load_settings()
    stop_on_sigterm()

    def say(report: LoadReport) -> None:
        if report.to_version is None:
            console.print(f"no silver.game_poll_totals under {settings.lake_path} yet")
        else:
            console.print(
                f"gold: Delta version {report.from_version} -> {report.to_version}, {report.rows} rows "
                f"loaded, {report.buckets} buckets rebuilt in {settings.warehouse_kind}"
            )

    try:
        if every is None:
            say(run_gold(settings))
        else:  # until Ctrl-C or SIGTERM
            load_gold_every(settings, every, threading.Event(), on_load=say)
    except ValueError as exc:  # a configuration error: repeating cannot help
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except DbtFailed as exc:  # names the failing models and tests (only without --every: it retries)
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        if every is None:
            raise


@gold_app.command("stage")
def gold_stage() -> None:
    """Step 1 of `gst gold run`: stage what silver gained since the last build in gold_staging."""
    # lazy (start-up time): delta-rs and the warehouse drivers load only for gold commands
    from batch_jobs.gold.loads import stage_gold

    settings = load_settings()
    staged = stage_gold(settings)
    console.print(
        f"staged: Delta version {staged.from_version} -> {staged.to_version}, {staged.rows} rows, "
        f"{len(staged.tables)} silver tables changed"
    )


@gold_app.command("build")
def gold_build() -> None:
    """Step 2 of `gst gold run`: `dbt build` gold over what is staged, then advance the load state."""
    # lazy (start-up time): dbt and the warehouse drivers load only for gold commands
    from batch_jobs.dbt import DbtFailed
    from batch_jobs.gold.loads import build_gold

    settings = load_settings()
    try:
        built = build_gold(settings)
    except (DbtFailed, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"gold built in {settings.warehouse_kind}" if built else "nothing staged: gold is up to date")
