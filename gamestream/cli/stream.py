"""`gst stream`: the streaming job on a local SparkSession."""

from __future__ import annotations

from typing import Annotated

import typer

from gamestream.cli.common import app, console, load_settings, stop_on_sigterm


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
    stop_on_sigterm()
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
