"""The lake query (throughput first): every record into bronze, typed rows into silver per kind,
bad records into quarantine, as native Delta appends.

    raw stream -> dedup key (event id, else shard/sequence) -> arrival-time watermark
      -> dropDuplicatesWithinWatermark (RocksDB state) -> foreachBatch(LakeWriter)

The watermark is on arrival time, never on observed_at: rows behind a watermark are dropped, not
deduplicated, and replayed or imported rows carry old observation times. A record observed longer
than `stream_dedup_seconds` before it arrived is *late*: it is kept in bronze only (the dedup state
may no longer know its event id), and `gst backfill` adds it to silver and the poll totals.

Each table gets at most one append per batch, made exactly-once by Delta's idempotent writes
(txnAppId = this query's id, txnVersion = batch id); nothing is merged and the lake is never read
back on this path. See docs/architecture.md.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pyarrow as pa
import structlog
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery

from gamestream.core import lake as L
from gamestream.core.settings import Settings
from streaming_jobs.delta_append import Append, append_all_once, append_once
from streaming_jobs.faults import fault
from streaming_jobs.games import GameIdentity, identify
from streaming_jobs.kept_rows import kept_rows, release
from streaming_jobs.queries import start_foreach_batch
from streaming_jobs.run_report import BatchReport, RunReporter, StepTimer, batch_errors
from streaming_jobs.transforms.bronze import bronze_frame, bronze_of, stamp
from streaming_jobs.transforms.parse import mark_late, parse_records, quarantine_frame
from streaming_jobs.transforms.record_fields import TABLE_OF_KIND
from streaming_jobs.transforms.silver import game_names, repeated_event_ids, silver_frames

log = structlog.get_logger(__name__)


def deduplicated(raw: DataFrame, dedup_seconds: float) -> DataFrame:
    """The stream with repeated records dropped within the arrival-time window. A record repeats
    when its bytes do (a transport retry or a replay sends the same bytes): a malformed record that
    borrows a valid one's event id is a different record and reaches quarantine."""
    return (
        raw.withColumn("dedup_key", F.sha2(F.col("data"), 256))
        .withWatermark("approximate_arrival_timestamp", f"{int(dedup_seconds)} seconds")
        .dropDuplicatesWithinWatermark(["dedup_key"])
        .drop("dedup_key")
    )


UNSTAMPED = datetime(1970, 1, 1, tzinfo=UTC)


class LakeWriter:
    """The lake query's foreachBatch function."""

    def __init__(self, settings: Settings, spark: SparkSession, reporter: RunReporter, query_id: str):
        self.settings, self.spark, self.reporter, self.query_id = settings, spark, reporter, query_id
        self.lake = L.Lake(settings.lake_path)
        known = self.lake.read(L.GAMES, columns=["game_key"])  # once at start, not per batch
        self.known_games: set[str] = set(known["game_key"].to_pylist()) if known is not None else set()

    def path(self, table: str) -> str:
        return self.lake.path(table)

    def __call__(self, raw: DataFrame, batch_id: int) -> None:
        timer = StepTimer()
        now = datetime.now(UTC)
        # parsed with fixed stand-ins for the batch's own values, which `stamp` sets on each write
        # (per-batch literals in the parse would make Spark compile the whole parse every batch)
        parsed = kept_rows(
            mark_late(parse_records(bronze_frame(raw, -1, UNSTAMPED, "")), self.settings.stream_dedup_seconds)
        )
        with batch_errors("lake", batch_id):  # release too: a stopping query fails it
            try:
                self._write(parsed, batch_id, now, timer)
            finally:
                release(parsed)

    def _write(self, parsed: DataFrame, batch_id: int, now: datetime, timer: StepTimer) -> None:
        def stamped(frame: DataFrame) -> DataFrame:
            return stamp(frame, batch_id, now, self.query_id)

        counts = (
            parsed.groupBy("kind", F.col("quarantine_reason").isNotNull().alias("bad"), "late")
            .agg(F.count(F.lit(1)).alias("rows"), F.max("arrival_time").alias("newest"))
            .collect()
        )
        timer.step("parse")
        rows = sum(c["rows"] for c in counts)
        if not rows:
            return
        newest = max(c["newest"] for c in counts)
        quarantined = sum(c["rows"] for c in counts if c["bad"])
        late = sum(c["rows"] for c in counts if c["late"] and not c["bad"])
        kinds = {c["kind"] for c in counts if not c["bad"] and not c["late"]}

        append_once(stamped(bronze_of(parsed)), self.path(L.BRONZE), self.query_id, batch_id, ["source", "ingest_date"])
        timer.step("bronze")
        fault(self.settings, "lake_after_bronze", batch_id)

        appends: list[Append] = []
        games: pa.Table | None = None
        if kinds:
            names = [r["name"] for r in game_names(parsed).collect()]
            identities = {name: identify(name) for name in names}
            keys = self.spark.createDataFrame(
                [(name, identity.key) for name, identity in identities.items()], "name STRING, game_key STRING"
            )
            repeated = [r["event_id"] for r in repeated_event_ids(parsed).collect()]
            for table, frame in silver_frames(parsed, keys, repeated).items():
                if any(TABLE_OF_KIND[kind] == table for kind in kinds):
                    appends.append(Append(stamped(frame), self.path(f"silver/{table}"), ["poll_date"]))
            games = new_games(identities, self.known_games, now)
            if games is not None:
                appends.append(Append(self.spark.createDataFrame(games).coalesce(1), self.path(L.GAMES)))
        if quarantined:
            appends.append(Append(stamped(quarantine_frame(parsed)), self.path(L.QUARANTINE), ["ingest_date"]))
        append_all_once(appends, self.query_id, batch_id, "lake")
        if games is not None:
            self.known_games.update(games["game_key"].to_pylist())
        timer.step("silver")
        if late:
            log.warning("late_records", batch_id=batch_id, rows=late, hint="kept in bronze: run `gst backfill`")
        fault(self.settings, "lake_after_silver", batch_id)
        self.reporter.record(
            BatchReport(
                "lake",
                batch_id,
                rows,
                timer.elapsed,
                lag_millis=max(0, int((datetime.now(UTC) - newest.replace(tzinfo=UTC)).total_seconds() * 1000)),
                quarantined=quarantined,
                late=late,
                steps=timer.steps,
            )
        )
        fault(self.settings, "lake_before_commit", batch_id)


def new_games(identities: dict[str, GameIdentity], known: set[str], seen_at: datetime) -> pa.Table | None:
    """silver.games rows for the keys not `known` yet (the table is append-only: a game's row is
    written when a writer first sees its key), or None."""
    rows: dict[str, dict] = {}
    for name, identity in identities.items():
        if identity.key in known:
            continue
        row = rows.setdefault(
            identity.key,
            {
                "game_key": identity.key,
                "name": identity.name,
                "steam_app_id": identity.steam_app_id,
                "is_game": identity.is_game,
                "aliases": [],
                "first_seen_at": seen_at,
                "last_seen_at": seen_at,
            },
        )
        row["aliases"].append(name)
    return pa.Table.from_pylist(list(rows.values()), schema=L.GAMES_SCHEMA) if rows else None


def start_lake_query(
    settings: Settings,
    raw: DataFrame,
    writer: LakeWriter,
    checkpoint: str,
    available_now: bool = False,
    trigger_seconds: float | None = None,
) -> StreamingQuery:
    """With `available_now`, Spark's availableNow trigger without its closing batch that has no data:
    that batch only applies the advanced watermark to the dedup state (drops expired record hashes).
    The watermark is kept in the checkpoint, so the next run's first batch does the same, and within
    the dedup window nothing changes; the batch cost every catch-up run (`gst stream --available-now`)
    about 2 s of planning, a state commit and a Spark job that counts nothing."""
    trigger = None if available_now else trigger_seconds or settings.stream_trigger_seconds
    frame = deduplicated(raw, settings.stream_dedup_seconds)
    return start_foreach_batch(
        frame, "gst_lake", "lake", writer, checkpoint, trigger, batches_without_data=not available_now
    )
