"""Runs the shared bronze/silver transformations on the given payloads under whatever PySpark the
interpreter has (the test runs it under PySpark 3.5, as AWS Glue 5.0 has) and prints the results
as JSON. Uses no Spark-4-only API itself: rows go in as tuples, come out through collect()."""

import json
import sys
from datetime import UTC, datetime

from pyspark.sql import SparkSession

from streaming_jobs.transforms import (
    bronze_frame,
    game_names,
    parse_records,
    poll_counts_delta,
    poll_totals_delta,
    quarantine_frame,
    silver_frames,
    tagged_union,
)

INGESTED = datetime(2026, 11, 26, 4, 0, tzinfo=UTC)


def rows(frame, columns):
    out = [[None if v is None else str(v) for v in row] for row in frame.select(*columns).collect()]
    return sorted(out, key=lambda r: [x or "" for x in r])


def main() -> None:
    payloads = json.load(sys.stdin)
    spark = (
        SparkSession.builder.master("local[1]")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    raw = spark.createDataFrame(
        [
            ("s", "shard-0", str(i), "k", INGESTED, bytearray(p.encode() if isinstance(p, str) else bytes(p)), 0)
            for i, p in enumerate(payloads)
        ],
        "stream string, shard_id string, sequence_number string, partition_key string, "
        "approximate_arrival_timestamp timestamp, data binary, millis_behind_latest long",
    )
    parsed = parse_records(bronze_frame(raw, 7, INGESTED, "probe-run")).cache()
    names = [r["name"] for r in game_names(parsed).collect()]
    keys = spark.createDataFrame([(n, n.lower()) for n in names] or [("x", "x")], "name string, game_key string")
    frames = {**silver_frames(parsed, keys), "quarantine": quarantine_frame(parsed)}
    union = tagged_union(frames)
    result = {name: rows(union.where(union.table == name), frame.columns) for name, frame in frames.items()}
    new_rows = {
        name: frame
        for name, frame in frames.items()
        if name in ("stream_snapshots", "player_counts", "video_snapshots")
    }
    totals = poll_totals_delta(new_rows)
    result["totals"] = rows(totals, sorted(totals.columns))
    counts = poll_counts_delta(new_rows)
    result["counts"] = rows(counts, sorted(counts.columns))
    result["spark_version"] = spark.version
    print(json.dumps(result))
    spark.stop()


if __name__ == "__main__":
    main()
