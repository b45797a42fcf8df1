"""`gst`: the one command line for every stage (Typer), one module per command group."""

from gamestream.cli import api, gold, imports, lake, produce, replay, stack, stream, system
from gamestream.cli.common import app

__all__ = ["api", "app", "gold", "imports", "lake", "produce", "replay", "stack", "stream", "system"]
