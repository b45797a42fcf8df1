"""`gst`: the one command line for every stage (Typer)."""

from __future__ import annotations

import signal
import sys
import threading
import time
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError
from rich.console import Console
from rich.table import Table

from gamestream.settings import Settings, redact_url

app = typer.Typer(
    name="gst",
    help="Game Stream Trends: live and historical Steam players and Twitch/YouTube viewers per game.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
console = Console(stderr=False)


def load_settings() -> Settings:
    """Settings from GST_* and .env, or a one-line error naming the bad variable."""
    try:
        settings = Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "GST_" + "_".join(str(p) for p in first["loc"]).upper()
        console.print(f"[red]bad setting {name}: {first['msg']}[/red]")
        raise typer.Exit(2) from None
    from gamestream.logs import configure_logging

    configure_logging(settings)
    return settings


def _stop_on_sigterm() -> None:
    """SIGTERM unwinds like Ctrl-C, so context managers stop what they started."""
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _finish_poll_on_signal(stop: threading.Event) -> None:
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


DataDir = Annotated[
    Path | None, typer.Option(help="Data directory for the lake, warehouse and logs (default GST_DATA_DIR or ./.gst).")
]
Duration = Annotated[
    float | None, typer.Option(help="Stop after this many seconds (default: run until Ctrl-C or SIGTERM).", min=0)
]


def _run_embedded(
    data_dir: Path | None, duration: float | None, title: str, env_file: Path | None = None, with_stages: bool = False
) -> None:
    from contextlib import ExitStack

    from gamestream.contracts import Source
    from gamestream.embedded import embedded_stack

    settings = load_settings()
    _stop_on_sigterm()
    with embedded_stack(data_dir, settings) as stack, ExitStack() as stages:
        console.print(f"[bold]{title}[/bold]")
        for line in stack.started:
            console.print(f"  • {line}")
        if with_stages:
            from producers.run import background_producer
            from streaming_jobs.run import background_stream

            # entered first, left last: on exit the producer stops, then the job drains the stream
            stages.enter_context(background_stream(stack.settings))
            console.print(
                f"  • streaming job (Spark local): bronze/silver Delta at {stack.settings.lake_path}, "
                f"live metrics in Redis; `gst status` shows its last batch"
            )
            from batch_jobs.gold import scheduled_gold

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
    data_dir = data_dir or Settings().data_dir
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


@app.command()
def init() -> None:
    """Create the configured Kinesis stream and lake folders (and the S3 bucket of a lake on S3) if missing."""
    from gamestream.aws import aws_client, ensure_bucket, ensure_stream

    settings = load_settings()
    summary = ensure_stream(aws_client(settings, "kinesis"), settings.stream_name, settings.stream_shards)
    if settings.lake_path.startswith("s3://"):
        ensure_bucket(aws_client(settings, "s3"), settings.s3_bucket)
    for folder in (settings.lake_path, settings.checkpoint_path):
        if not folder.startswith("s3://"):
            Path(folder).mkdir(parents=True, exist_ok=True)
    console.print(
        f"stream '{settings.stream_name}' {summary['StreamStatus']} ({summary['OpenShardCount']} shards), "
        f"lake {settings.lake_path}"
    )


@app.command()
def doctor() -> None:
    """Check Java, free ports and every configured endpoint; say what is missing."""
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
            f"[red]Missing: {', '.join(failed)}.[/red] `gst demo` needs Java, Python, Node and the jars and packages `make install` fetches: it starts its own services."
        )
        raise typer.Exit(1)
    console.print("[green]Everything the configured system needs is there.[/green]")


@app.command("settings")
def show_settings() -> None:
    """Print the effective settings (secrets shown only as set / not set)."""
    table = Table("setting", "value")
    for name, value in load_settings().describe().items():
        table.add_row(f"GST_{name.upper()}", value)
    console.print(table)


class ProduceSource(StrEnum):
    steam = "steam"
    twitch = "twitch"
    youtube = "youtube"
    synthetic = "synthetic"


@app.command()
def produce(
    source: Annotated[ProduceSource, typer.Option(help="Which platform to poll.")] = ProduceSource.synthetic,
    once: Annotated[bool, typer.Option(help="Poll the current slot once, flush and exit.")] = False,
    plan: Annotated[bool, typer.Option(help="Print each platform's budget plan and exit.")] = False,
    history_days: Annotated[
        float, typer.Option(help="Synthetic only: emit this many past days at full speed, then exit.", min=0)
    ] = 0,
    history_interval: Annotated[float, typer.Option(help="Seconds between synthetic history polls.", min=1)] = 60,
) -> None:
    """Poll a platform (or the synthetic market) and push records into the stream."""
    from datetime import UTC, datetime, timedelta

    from gamestream.contracts import Source
    from producers.run import describe_plans, emit_synthetic_history, run_producer
    from producers.sinks import make_sink

    settings = load_settings()
    if plan:
        for line in describe_plans(settings):
            console.print(line)
        return
    if history_days:
        if source is not ProduceSource.synthetic:
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
    _finish_poll_on_signal(stop)
    try:
        loop = run_producer(settings, Source(source.value), once=once, stop=stop)
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


@app.command()
def stream(
    trigger: Annotated[
        float | None, typer.Option(help="Seconds between micro-batches (default GST_STREAM_TRIGGER_SECONDS).", min=0.1)
    ] = None,
    available_now: Annotated[bool, typer.Option(help="Catch up with what the stream holds now, then exit.")] = False,
) -> None:
    """Run the streaming job: Kinesis -> bronze/silver Delta + live metrics in Redis."""
    from streaming_jobs.job import StreamJob
    from streaming_jobs.run import export_aws_environment, start_query
    from streaming_jobs.spark import local_spark

    settings = load_settings()
    _stop_on_sigterm()
    export_aws_environment(settings)
    spark = local_spark()
    job = StreamJob(settings, spark)
    if settings.metrics_port:
        job.metrics.serve(settings.metrics_port)
    query = start_query(settings, spark, job, available_now=available_now, trigger_seconds=trigger)
    try:
        query.awaitTermination()
    except KeyboardInterrupt:
        query.stop()
    finally:
        job.live.close()
        spark.stop()
    if query.exception():
        console.print(f"[red]streaming query failed: {query.exception()}[/red]")
        raise typer.Exit(1)


@app.command()
def status() -> None:
    """Show the streaming job's last batch and the live state's position."""
    import json

    from streaming_jobs.live import LiveWriter

    settings = load_settings()
    path = Path(settings.checkpoint_path) / "status.json"
    if not path.exists():
        console.print(f"no batch recorded yet ({path} does not exist): is `gst stream` running?")
        raise typer.Exit(1)
    report = json.loads(path.read_text())
    table = Table("metric", "value", title="streaming job, last batch")
    for key, value in report.items():
        table.add_row(key, str(value))
    live = LiveWriter(settings.redis_url)
    table.add_row("redis last applied batch", str(live.last_batch()))
    live.close()
    console.print(table)


lake_app = typer.Typer(help="Lake upkeep.", no_args_is_help=True)
app.add_typer(lake_app, name="lake")


@lake_app.command("maintain")
def lake_maintain(
    retention_hours: Annotated[
        float | None, typer.Option(help="Vacuum files older than this (default GST_LAKE_RETENTION_HOURS).", min=0)
    ] = None,
) -> None:
    """Compact small files, vacuum past retention and report table sizes."""
    from batch_jobs.lake_maintenance import maintain
    from streaming_jobs.lake import Lake

    settings = load_settings()
    reports = maintain(
        Lake(settings.lake_path), settings.lake_retention_hours if retention_hours is None else retention_hours
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


def _utc(value: str) -> datetime:
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _time_range(start: str, end: str) -> tuple[datetime, datetime]:
    """--from/--to as UTC times (naive means UTC); exits 2 with the reason when they are not a range."""
    try:
        first, last = _utc(start), _utc(end)
    except ValueError as exc:
        console.print(f"[red]--from/--to must be ISO-8601 times: {exc}[/red]")
        raise typer.Exit(2) from None
    if last <= first:
        console.print("[red]--to must be after --from[/red]")
        raise typer.Exit(2)
    return first, last


@app.command()
def replay(
    start: Annotated[str, typer.Option("--from", help="ISO time: replay records that arrived from here...")],
    end: Annotated[str, typer.Option("--to", help="...up to here (exclusive).")],
    speed: Annotated[float, typer.Option(help="Play back this many times faster than real time.", min=0.001)] = 60.0,
    as_fast_as_possible: Annotated[bool, typer.Option(help="Ignore the original timing.")] = False,
    stream_name: Annotated[
        str | None, typer.Option("--stream", help="Target stream (default GST_STREAM_NAME).")
    ] = None,
) -> None:
    """Re-publish bronze records into a Kinesis stream in their original order and relative timing."""
    from batch_jobs.replay import replay as run_replay

    settings = load_settings()
    first, last = _time_range(start, end)
    _stop_on_sigterm()
    sent = run_replay(settings, first, last, None if as_fast_as_possible else speed, stream_name)
    console.print(f"replayed {sent} records into '{stream_name or settings.stream_name}'")


@app.command()
def backfill(
    start: Annotated[str, typer.Option("--from", help="ISO time: re-derive records that arrived from here...")],
    end: Annotated[str, typer.Option("--to", help="...up to here (exclusive).")],
    source: Annotated[str | None, typer.Option(help="Only this source: steam, twitch, youtube or synthetic.")] = None,
    gold: Annotated[bool, typer.Option(help="Load gold for the affected buckets afterwards.")] = True,
) -> None:
    """Re-derive silver from bronze for a time range (as the stream would), then gold."""
    from batch_jobs.backfill import RangeNotSettled
    from batch_jobs.backfill import backfill as run_backfill
    from streaming_jobs.run import export_aws_environment
    from streaming_jobs.spark import local_spark

    settings = load_settings()
    first, last = _time_range(start, end)
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


@app.command()
def api() -> None:
    """Serve the REST API, the WebSocket live feed and the dashboard (GST_API_HOST:GST_API_PORT)."""
    from realtime_api.app import create_app
    from realtime_api.server import server

    settings = load_settings()
    console.print(
        f"API on http://{settings.api_host}:{settings.api_port}/ (docs at /api/docs), "
        f"warehouse {settings.warehouse_kind}, Redis {redact_url(settings.redis_url)}"
    )
    server(create_app(settings), settings).run()


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
    from batch_jobs.dbt import DbtFailed
    from batch_jobs.gold import run_gold

    settings = load_settings()
    _stop_on_sigterm()
    while True:
        try:
            report = run_gold(settings)
        except ValueError as exc:  # a configuration error: repeating cannot help
            console.print(f"[red]{exc}[/red]")
            raise typer.Exit(2) from None
        except DbtFailed as exc:  # names the failing models and tests
            console.print(f"[red]{exc}[/red]")
            if every is None:
                raise typer.Exit(1) from None
        except Exception as exc:
            if every is None:
                raise
            console.print(f"[red]gold load failed: {exc}[/red]")
        else:
            if report.to_version is None:
                console.print(f"no silver.game_poll_totals under {settings.lake_path} yet")
            else:
                console.print(
                    f"gold: Delta version {report.from_version} -> {report.to_version}, {report.rows} rows "
                    f"loaded, {report.buckets} buckets rebuilt in {settings.warehouse_kind}"
                )
        if every is None:
            return
        try:
            time.sleep(every)
        except KeyboardInterrupt:
            return


@gold_app.command("stage")
def gold_stage() -> None:
    """Step 1 of `gst gold run`: stage what silver gained since the last build in gold_staging."""
    from batch_jobs.gold import stage_gold

    settings = load_settings()
    staged = stage_gold(settings)
    console.print(
        f"staged: Delta version {staged.from_version} -> {staged.to_version}, {staged.rows} rows, "
        f"{len(staged.tables)} silver tables changed"
    )


@gold_app.command("build")
def gold_build() -> None:
    """Step 2 of `gst gold run`: `dbt build` gold over what is staged, then advance the load state."""
    from batch_jobs.dbt import DbtFailed
    from batch_jobs.gold import build_gold

    settings = load_settings()
    try:
        built = build_gold(settings)
    except (DbtFailed, ValueError) as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from None
    console.print(f"gold built in {settings.warehouse_kind}" if built else "nothing staged: gold is up to date")
