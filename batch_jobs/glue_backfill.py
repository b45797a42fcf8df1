"""AWS Glue 5.0 batch job: `gst backfill` on Glue's SparkSession, for ranges too large for one
container (a first backfill after an import, a transformation changed over months of bronze).

Job arguments: --FROM and --TO (ISO-8601, naive = UTC), --SOURCE (steam, twitch, youtube,
synthetic or all), plus the project's GST_* settings as `--GST_NAME value` (as the streaming job,
streaming_jobs/glue_job.py). Silver only: the scheduled `gst gold run` loads what silver gained, so
the job needs no warehouse credentials.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime

from batch_jobs.backfill import backfill
from gamestream.core.settings import Settings
from streaming_jobs.glue_job import export_settings_arguments


def job_range(start: str, end: str, source: str) -> tuple[datetime, datetime, str | None]:
    """--FROM/--TO/--SOURCE as backfill's arguments (naive times are UTC; `all` = every source)."""
    first, last = (datetime.fromisoformat(value) for value in (start, end))
    first, last = (t if t.tzinfo else t.replace(tzinfo=UTC) for t in (first, last))
    return first, last, None if source == "all" else source


def main() -> None:  # pragma: no cover - runs on AWS Glue only
    # lazy: awsglue exists only on AWS Glue; the module's helpers are imported and tested locally
    from awsglue.context import GlueContext
    from awsglue.job import Job
    from awsglue.utils import getResolvedOptions
    from pyspark.context import SparkContext

    export_settings_arguments(sys.argv)
    args = getResolvedOptions(sys.argv, ["JOB_NAME", "FROM", "TO", "SOURCE"])
    glue = GlueContext(SparkContext.getOrCreate())
    job = Job(glue)
    job.init(args["JOB_NAME"], args)
    start, end, source = job_range(args["FROM"], args["TO"], args["SOURCE"])
    backfill(Settings(), glue.spark_session, start, end, source, show_progress=False, load_gold=False)
    job.commit()


if __name__ == "__main__":
    main()
