"""The poll query (latency first): per poll, Spark's state store counts records against the poll's
manifest (streaming_jobs/poll_state.py), and a poll's per-game totals are emitted once, the moment
it is complete (or as partial after the grace period).

    raw stream -> parse -> valid, timely records -> groupBy(poll_id)
      -> applyInPandasWithState(advance_poll, processing-time timeouts) -> foreachBatch(PollWriter)

PollWriter collects a batch's emitted polls to the driver once (a few hundred rows), applies them to
Redis first (one Lua script, refused by Redis if this batch was applied already), then appends them
to silver.game_poll_totals and silver.polls from that same Arrow table with delta-rs, each commit
carrying an app transaction (app id = this query's id and the table, version = batch id) so a
replayed batch appends nothing twice. Two tiny appends through delta-spark cost two Spark jobs and
two snapshot rebuilds, seconds per batch on the latency path; from the driver they take tens of
milliseconds. Redis being down never stops the lake: the next batch that reaches Redis first
replays the latest complete polls from the lake. See docs/architecture.md.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime
from functools import partial

import pyarrow as pa
import pyarrow.compute as pc
import structlog
from pyspark.sql import DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.streaming import StreamingQuery
from pyspark.sql.streaming.state import GroupStateTimeout

from gamestream.core import lake as L
from gamestream.core.settings import Settings
from streaming_jobs.faults import fault
from streaming_jobs.games import identify
from streaming_jobs.live import LiveWriter, PollUpdate
from streaming_jobs.poll_state import OUTPUT_SCHEMA, STATE_SCHEMA, TOTAL_KINDS, advance_poll
from streaming_jobs.queries import start_foreach_batch
from streaming_jobs.run_report import BatchReport, RunReporter, StepTimer, batch_errors
from streaming_jobs.transforms.bronze import bronze_frame
from streaming_jobs.transforms.parse import mark_late, parse_records
from streaming_jobs.transforms.polls import poll_date, poll_inputs

log = structlog.get_logger(__name__)
LIVE_KINDS = tuple(TOTAL_KINDS)
POLL_SLOT = re.compile(r":(\d+)$")
CATCH_UP_TRIGGER_SECONDS = 2.0  # the poll query's trigger in an available-now run (see start_poll_query)
# game_poll_totals' columns in the order the Spark route (emitted_tables) writes them, poll_date last,
# so the table reads the same whichever writer created it
TOTALS_AS_EMITTED = L.TOTALS_SCHEMA_NO_DATE.append(L.TOTALS_SCHEMA.field("poll_date"))


def emitted_polls(raw: DataFrame, settings: Settings) -> DataFrame:
    """The streaming DataFrame of emitted polls (rows of poll_state.OUTPUT_SCHEMA)."""
    parsed = mark_late(parse_records(bronze_frame(raw, -1, datetime.now(UTC), "poll")), settings.stream_dedup_seconds)
    return (
        poll_inputs(parsed)
        .groupBy("poll_id")
        .applyInPandasWithState(
            partial(
                advance_poll,
                grace_ms=int(settings.poll_grace_seconds * 1000),
                tombstone_ms=int(max(settings.stream_dedup_seconds, settings.poll_grace_seconds) * 1000),
            ),
            outputStructType=OUTPUT_SCHEMA,
            stateStructType=STATE_SCHEMA,
            outputMode="update",
            timeoutConf=GroupStateTimeout.ProcessingTimeTimeout,
        )
    )


def emitted_tables(emitted: DataFrame) -> dict[str, DataFrame]:
    """Emitted polls as the rows of silver.game_poll_totals and silver.polls."""
    kind = F.col("row_kind")
    totals = (
        emitted.where(kind == "total")
        .select(*L.TOTALS_COLUMNS[1:])
        .withColumn("poll_date", poll_date(F.col("poll_id"), F.to_date("observed_at")))
    )
    polls = (
        emitted.where(kind == "poll")
        .withColumn("errors", F.from_json("errors", "ARRAY<STRING>"))
        .select(*L.POLLS_SCHEMA.names)
    )
    return {L.TOTALS: totals, L.POLLS: polls}


def emitted_arrow(rows: pa.Table) -> dict[str, pa.Table]:
    """Emitted polls collected as Arrow, as the rows of silver.game_poll_totals and silver.polls
    (what `emitted_tables` gives in Spark, for the poll query's driver-side appends)."""
    kinds = rows["row_kind"]
    totals = rows.filter(pc.equal(kinds, "total"))
    dates = [
        poll_slot_date(poll_id) or (observed.date() if observed is not None else None)
        for poll_id, observed in zip(totals["poll_id"].to_pylist(), totals["observed_at"].to_pylist(), strict=True)
    ]
    totals = totals.append_column("poll_date", pa.array(dates, pa.date32()))
    polls = rows.filter(pc.equal(kinds, "poll"))
    errors = [json.loads(e) if e is not None else None for e in polls["errors"].to_pylist()]
    polls = polls.set_column(polls.schema.get_field_index("errors"), "errors", pa.array(errors, pa.list_(pa.string())))
    return {
        L.TOTALS: totals.select(TOTALS_AS_EMITTED.names).cast(TOTALS_AS_EMITTED),
        L.POLLS: polls.select(L.POLLS_SCHEMA.names).cast(L.POLLS_SCHEMA),
    }


def poll_slot_date(poll_id: str | None) -> date | None:
    """The UTC date of a poll's grid slot (poll ids end in its epoch second), as `poll_date` does in Spark."""
    tail = POLL_SLOT.search(poll_id or "")
    return datetime.fromtimestamp(int(tail.group(1)), UTC).date() if tail else None


def to_arrow(frame: DataFrame) -> pa.Table:
    """A small DataFrame on the driver as Arrow (Spark 3.5, on Glue, has no DataFrame.toArrow)."""
    if hasattr(frame, "toArrow"):
        return frame.toArrow()
    return pa.Table.from_pandas(frame.toPandas(), preserve_index=False)


def live_updates(polls: list[dict], totals: pa.Table) -> list[PollUpdate]:
    """Complete polls of the live kinds, oldest first, with their per-game totals."""
    by_poll: dict[str, list[dict]] = {}
    for row in totals.to_pylist():
        value = row["players"] if row["platform"] == "steam" else row["viewers"]
        by_poll.setdefault(row["poll_id"], []).append(
            {
                "key": row["game_key"],
                "name": row["game_name"],
                "value": value or 0,
                "viewers": row["viewers"] or 0,
                "channels": row["channels"] or 0,
                "players": row["players"] or 0,
                # from the curated list, as silver.games and gold have it: live rankings leave
                # non-games (Just Chatting) out from the first poll, before gold knows them
                "is_game": identify(row["game_name"] or row["game_key"]).is_game,
                # JSON text, passed to Redis as is; the poll state's output only (silver keeps none, so
                # a poll replayed from the lake after a restart shows none until the next poll)
                "top": row.get("top_channels") or "",
            }
        )
    live = [p for p in polls if p["status"] == "complete" and p["record_kind"] in LIVE_KINDS and p["scheduled_at"]]
    return [
        PollUpdate(
            platform=p["platform"],
            poll_id=p["poll_id"],
            observed_at=_utc(p["scheduled_at"]).isoformat(),
            observed_ts=_utc(p["scheduled_at"]).timestamp(),
            # a Twitch head poll reads only the first pages: a game missing from it has not gone offline
            replace="twitch_head" not in p["poll_id"],
            games=by_poll.get(p["poll_id"], []),
        )
        for p in sorted(live, key=lambda p: p["scheduled_at"])
    ]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


class PollWriter:
    """The poll query's foreachBatch function."""

    def __init__(self, settings: Settings, spark: SparkSession, reporter: RunReporter, query_id: str, live: LiveWriter):
        self.settings, self.spark, self.reporter, self.query_id, self.live = settings, spark, reporter, query_id, live
        self.lake = L.Lake(settings.lake_path, writer=query_id)
        self.redis_stale = True  # unknown after a start: the first batch replays the latest polls

    def __call__(self, emitted: DataFrame, batch_id: int) -> None:
        timer = StepTimer()
        with batch_errors("poll", batch_id):  # a stopping query fails the batch
            self._write(to_arrow(emitted), batch_id, timer)

    def _write(self, rows: pa.Table, batch_id: int, timer: StepTimer) -> None:
        timer.step("state")
        kinds = rows["row_kind"]
        polls = rows.filter(pc.equal(kinds, "poll")).to_pylist()
        totals = rows.filter(pc.equal(kinds, "total"))
        redis_state = self._apply_live(polls, totals, batch_id) if polls or self.redis_stale else "nothing"
        timer.step("redis")
        fault(self.settings, "poll_after_redis", batch_id)
        tables = emitted_arrow(rows)
        if totals.num_rows:
            self.lake.append(L.TOTALS, tables[L.TOTALS], batch_id, ["poll_date"])
        if polls:
            self.lake.append(L.POLLS, tables[L.POLLS], batch_id, [])
        timer.step("lake")
        fault(self.settings, "poll_after_lake", batch_id)
        if polls:
            now = datetime.now(UTC).timestamp()
            waits = [now - _utc(p["last_seen_at"]).timestamp() for p in polls if p["last_seen_at"] is not None]
            self.reporter.record(
                BatchReport(
                    "poll",
                    batch_id,
                    rows.num_rows,
                    timer.elapsed,
                    lag_millis=int(max(waits, default=0) * 1000),
                    polls_complete=sum(p["status"] == "complete" for p in polls),
                    polls_partial=sum(p["status"] == "partial" for p in polls),
                    redis=redis_state,
                    steps=timer.steps,
                )
            )
        fault(self.settings, "poll_before_commit", batch_id)

    def _apply_live(self, polls: list[dict], totals: pa.Table, batch_id: int) -> str:
        updates = live_updates(polls, totals)
        if self.redis_stale:
            updates = self._latest_from_lake() + updates
        if not updates and not self.redis_stale:
            return "nothing"
        applied = self.live.apply(self.query_id, batch_id, updates)
        if applied is None:
            self.redis_stale = True
            return "down"
        if self.redis_stale:
            log.info("redis_resynced", batch_id=batch_id, polls=len(updates))
        self.redis_stale = False
        return "replayed" if applied == -1 else "applied"

    def _latest_from_lake(self) -> list[PollUpdate]:
        """Each platform's latest complete poll, from the lake (only after a start or an outage)."""
        polls = self.lake.read(L.POLLS, "status = 'complete'")
        if polls is None:
            return []
        latest: dict[str, dict] = {}
        for poll in polls.to_pylist():
            if poll["record_kind"] not in LIVE_KINDS or poll["scheduled_at"] is None:
                continue
            if poll["platform"] not in latest or poll["scheduled_at"] > latest[poll["platform"]]["scheduled_at"]:
                latest[poll["platform"]] = poll
        if not latest:
            return []
        totals = self.lake.read(L.TOTALS, L.sql_in("poll_id", sorted(p["poll_id"] for p in latest.values())))
        return live_updates(list(latest.values()), totals if totals is not None else pa.table({}))


def start_poll_query(
    settings: Settings,
    raw: DataFrame,
    writer: PollWriter,
    checkpoint: str,
    available_now: bool = False,
    trigger_seconds: float | None = None,
) -> StreamingQuery:
    """With `available_now`, a trigger of CATCH_UP_TRIGGER_SECONDS instead of Spark's availableNow:
    open polls keep timeouts pending, so an availableNow query runs batch after batch with no data
    until stopped, and on two cores those batches took a third of the lake query's time.

    Running, the query runs a batch only when records arrive. Its processing-time timeouts (a poll
    closed as partial after its grace period, a tombstone dropped) made Spark run a batch on every
    trigger without them, twice a second: in the demo those empty batches cost 0.44 of its 1.53 cores.
    A timeout now fires in the first batch after it is due: the pollers send a poll every minute or
    more often, so a partial poll closes at most that much after its grace period (on a stream that
    has gone quiet, when records arrive again). The catch-up run keeps the empty batches: its end is
    the batch that finds nothing left to read."""
    trigger = CATCH_UP_TRIGGER_SECONDS if available_now else trigger_seconds or settings.poll_trigger_seconds
    return start_foreach_batch(
        emitted_polls(raw, settings),
        "gst_polls",
        "poll",
        writer,
        checkpoint,
        trigger,
        "update",
        batches_without_data=available_now,
    )
