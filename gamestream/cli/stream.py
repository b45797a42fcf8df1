"""`gst stream`: the streaming job on a local SparkSession."""

from __future__ import annotations

from typing import Annotated

import typer

from gamestream.cli.common import app, console, load_settings, stop_on_sigterm


@app.command()
def stream(
    trigger: Annotated[
        float | None,
        typer.Option(help="Seconds between lake micro-batches (default GST_STREAM_TRIGGER_SECONDS).", min=0.1),
    ] = None,
    available_now: Annotated[bool, typer.Option(help="Catch up with what the stream holds now, then exit.")] = False,
) -> None:
    """Run the streaming job: Kinesis -> bronze/silver Delta + live metrics in Redis."""
    # lazy (start-up time): Spark loads only for `gst stream`
    from streaming_jobs.run import StreamingJob, export_aws_environment
    from streaming_jobs.spark import streaming_job_spark

    settings = load_settings()
    stop_on_sigterm()
    export_aws_environment(settings)
    spark = streaming_job_spark(settings)
    job = StreamingJob(settings, spark)
    if settings.metrics_port:
        job.reporter.metrics.serve(settings.metrics_port)
    job.start(available_now=available_now, lake_trigger=trigger)
    try:
        job.await_termination()
    except KeyboardInterrupt:
        job.stop()
    except Exception as exc:  # a query failed: say which and why, not a Py4J trace
        console.print(f"[red]streaming query failed: {exc}[/red]")
        raise typer.Exit(1) from exc
    finally:
        job.live.close()
        spark.stop()
