"""`gst produce`: a platform's poller (or the synthetic market) into the stream."""

from __future__ import annotations

import signal
import threading
from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from gamestream.cli.common import app, console, load_settings
from gamestream.core.contracts import Source


def finish_poll_on_signal(stop: threading.Event) -> None:
    """SIGTERM or Ctrl-C lets the poll in progress end with its manifest (a Twitch sweep ends at its
    next page; the other polls are short), then the producer flushes and stops; a second signal
    stops at once."""

    def request_stop(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        # Event.set takes a lock the interrupted main thread may hold (inside stop.wait): set it from a thread
        threading.Thread(target=stop.set, name="stop-request", daemon=True).start()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)


@app.command()
def produce(
    source: Annotated[Source, typer.Option(help="Which platform to poll.")] = Source.SYNTHETIC,
    once: Annotated[bool, typer.Option(help="Poll the current slot once, flush and exit.")] = False,
    plan: Annotated[bool, typer.Option(help="Print each platform's budget plan and exit.")] = False,
    history_days: Annotated[
        float, typer.Option(help="Synthetic only: emit this many past days at full speed, then exit.", min=0)
    ] = 0,
    history_interval: Annotated[float, typer.Option(help="Seconds between synthetic history polls.", min=1)] = 60,
) -> None:
    """Poll a platform (or the synthetic market) and push records into the stream."""
    # lazy (start-up time): the pollers and sinks (httpx, numpy, boto3, kafka) load only for `gst produce`
    from producers.run import describe_plans, emit_synthetic_history, run_producer
    from producers.sinks import make_sink

    settings = load_settings()
    if plan:
        for line in describe_plans(settings):
            console.print(line)
        return
    if history_days:
        if source is not Source.SYNTHETIC:
            console.print("[red]--history-days works only with --source synthetic[/red]")
            raise typer.Exit(2)
        end = datetime.now(UTC)
        sink = make_sink(settings)
        try:
            sent = emit_synthetic_history(settings, sink, end - timedelta(days=history_days), end, history_interval)
        finally:
            sink.close()
        console.print(f"sent {sent} records covering {history_days:g} days")
        return
    stop = threading.Event()
    finish_poll_on_signal(stop)
    try:
        loop = run_producer(settings, source, once=once, stop=stop)
    except ValueError as exc:  # a poller that lacks its credentials says which
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from None
    except KeyboardInterrupt:
        return
    h = loop.health
    console.print(
        f"{h.source}: {h.polls} polls, {h.records_sent} records sent, {h.errors} errors, "
        f"last success {h.last_success}, budget used {loop.poller.budget_used()}"
    )
