"""What every command group shares: the root Typer app, the console, settings and the common options."""

from __future__ import annotations

import signal
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console

from gamestream.core.clock import as_utc
from gamestream.core.logs import configure_logging
from gamestream.core.settings import Settings

app = typer.Typer(
    name="gst",
    help="Game Stream Trends: live and historical Steam players and Twitch/YouTube viewers per game.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)

DataDir = Annotated[
    Path | None, typer.Option(help="Data directory for the lake, warehouse and logs (default GST_DATA_DIR or ./.gst).")
]
Duration = Annotated[
    float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C or SIGTERM).", min=0)
]


def read_settings() -> Settings:
    """Settings from GST_* and .env, or a one-line error naming the bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "GST_" + "_".join(str(p) for p in first["loc"]).upper()
        console.print(f"[red]bad setting {name}: {first['msg']}[/red]")
        raise typer.Exit(2) from None


def load_settings() -> Settings:
    """The settings, with logging configured from them."""
    settings = read_settings()
    configure_logging(settings)
    return settings


def stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so context managers stop what they started."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def time_range(start: str, end: str) -> tuple[datetime, datetime]:
    """--from/--to as UTC times (naive means UTC); exits 2 with the reason when they are not a range."""
    try:
        first, last = as_utc(datetime.fromisoformat(start)), as_utc(datetime.fromisoformat(end))
    except ValueError as exc:
        console.print(f"[red]--from/--to must be ISO-8601 times: {exc}[/red]")
        raise typer.Exit(2) from None
    if last <= first:
        console.print("[red]--to must be after --from[/red]")
        raise typer.Exit(2)
    return first, last
