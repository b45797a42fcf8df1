"""The streaming job: Kinesis -> Spark micro-batches -> bronze, silver, quarantine (Delta) + Redis.

Per batch, in this order, each step committed once per batch id (a replay after a crash redoes
only what did not commit, and redoes it identically because every step after bronze is derived
from what the lake holds for this batch id):

1. bronze: every record as received (append);
2. silver per kind + quarantine: typed rows inserted when their event_id is new to the partitions
   the batch touches (a Delta merge, never a whole-table scan);
3. silver.polls: records counted per poll, manifests, completeness; polls that got nothing for
   the grace period closed as partial (time = the batch's latest arrival time, so replays decide
   the same way);
4. silver.game_poll_totals: the new rows' sums per platform x game x poll, and the poll's status;
5. silver.games: names seen, with their normalised identity;
6. Redis: totals of the polls completed in this batch (one Lua script, guarded by batch id).
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import structlog
from pyspark.sql import DataFrame, SparkSession

from gamestream.settings import Settings
from streaming_jobs import lake as L
from streaming_jobs.games import identify
from streaming_jobs.lake import Lake, sql_in
from streaming_jobs.live import LiveWriter, PollUpdate
from streaming_jobs.metrics import JobMetrics
from streaming_jobs.transforms import (
    bronze_frame,
    bronze_of,
    game_names,
    parse_records,
    poll_counts_delta,
    poll_totals_delta,
    quarantine_frame,
    silver_frames,
    tagged_union,
)

log = structlog.get_logger(__name__)
FAULT_POINTS = ("after_bronze", "after_silver", "after_redis", "before_spark_commit")
TOTALS_KEY = (
    "t.poll_date = s.poll_date AND t.poll_id = s.poll_id AND t.platform = s.platform AND t.game_key = s.game_key"
)


@dataclass
class BatchReport:
    batch_id: int
    input_rows: int
    quarantined: int
    duration_s: float
    rows_per_s: float
    millis_behind_latest: int
    polls_completed: int
    redis: str
    finished_at: str


def lag_millis(raw: pa.Table, now: datetime) -> int:
    """How far the job is behind the stream: the age of the newest record it read (Kinesis's iterator
    age), or the stream's own MillisBehindLatest where it reports one (kinesalite always says 0)."""
    newest = pc.max(raw["approximate_arrival_timestamp"]).as_py()
    age = max(0, int((now - newest).total_seconds() * 1000)) if newest else 0
    return max(age, pc.max(raw["millis_behind_latest"]).as_py() or 0)


def poll_date(poll_ids: pa.Array, fallback: pa.Array) -> pa.Array:
    """The date of a poll's grid slot (poll ids end in its epoch second), else the observation's."""
    parsed = []
    for poll_id, other in zip(poll_ids.to_pylist(), fallback.to_pylist()):
        tail = str(poll_id).rsplit(":", 1)[-1]
        parsed.append(datetime.fromtimestamp(int(tail), UTC).date() if tail.isdigit() else other)
    return pa.array(parsed, pa.date32())


class StreamJob:
    def __init__(
        self,
        settings: Settings,
        spark: SparkSession,
        lake: Lake | None = None,
        live: LiveWriter | None = None,
        metrics: JobMetrics | None = None,
    ):
        self.settings, self.spark = settings, spark
        self.lake = lake or Lake(settings.lake_path)
        self.live = live if live is not None else LiveWriter(settings.redis_url)
        self.metrics = metrics or JobMetrics()
        self.redis_stale: bool | None = None  # unknown until the first batch compares positions
        self.grace = timedelta(seconds=settings.poll_grace_seconds)
        self.status_file = Path(settings.checkpoint_path) / "status.json"
        self.last_maintenance = time.monotonic()
        self.run_id = "unattached"
        self.steps: dict[str, float] = {}
        self._mark = time.perf_counter()

    def _fault(self, point: str, batch_id: int) -> None:
        if self.settings.test_fault_point == point and self.settings.test_fault_batch == batch_id:
            log.warning("fault_injected", point=point, batch_id=batch_id)
            os.kill(os.getpid(), signal.SIGKILL)

    def attach(self, run_id: str) -> None:
        """Bind to one checkpoint's run: its batch ids, and so its commits, are its own."""
        self.run_id = run_id
        self.lake = Lake(self.lake.root, writer=f"gst-stream-{run_id}", storage_options=self.lake.storage_options)

    def _of_batch(self, batch_id: int) -> str:
        return f"ingest_batch_id = {int(batch_id)} AND {sql_in('ingest_run', [self.run_id])}"

    def _local(self, table: pa.Table) -> DataFrame:
        return self.spark.createDataFrame(table)

    def _step(self, name: str) -> None:
        now = time.perf_counter()
        self.steps[name] = round(now - self._mark, 3)
        self._mark = now

    def process(self, raw: DataFrame, batch_id: int) -> BatchReport:
        started = self._mark = time.perf_counter()
        self.steps = {}
        raw_arrow = raw.toArrow()
        self._step("read")
        if raw_arrow.num_rows == 0:
            return self._report(batch_id, 0, 0, started, 0, 0, "idle")
        arrival = pc.max(raw_arrow["approximate_arrival_timestamp"]).as_py() or datetime.now(UTC)
        behind = lag_millis(raw_arrow, datetime.now(UTC))

        fresh_parse = parse_records(
            bronze_frame(self._local(raw_arrow), batch_id, datetime.now(UTC), self.run_id)
        ).cache()
        bronze = bronze_of(fresh_parse).toArrow()
        wrote = self.lake.append(L.BRONZE, bronze, batch_id, ["source", "ingest_date"])
        self._step("bronze")
        self._fault("after_bronze", batch_id)

        if wrote:
            parsed = fresh_parse
        else:  # a replayed batch: silver comes from the bronze rows that were committed
            fresh_parse.unpersist()
            parsed = parse_records(self._local(self.lake.read(L.BRONZE, self._of_batch(batch_id)))).cache()
        quarantined, closed = self.derive(parsed, batch_id, arrival)
        self._fault("after_silver", batch_id)

        completed = [p for p in closed if p["status"] == "complete"]
        redis_state = self._update_live(completed, batch_id)
        self._step("redis")
        self._fault("after_redis", batch_id)
        self._maintain_when_due()
        report = self._report(batch_id, raw_arrow.num_rows, quarantined, started, behind, len(completed), redis_state)
        self._fault("before_spark_commit", batch_id)
        return report

    def derive(
        self, parsed: DataFrame, batch_id: int, arrival: datetime, write_quarantine: bool = True
    ) -> tuple[int, list[dict]]:
        """Silver from parsed bronze rows (steps 2-5): the stream and backfills share this.

        Returns the quarantined count and the polls this batch closed. `parsed` is unpersisted."""
        names = [row["name"] for row in game_names(parsed).collect()]
        identities = {name: identify(name) for name in names}
        keys = self._local(
            pa.table(
                {
                    "name": pa.array(names, pa.string()),
                    "game_key": pa.array([identities[n].key for n in names], pa.string()),
                }
            )
        )
        frames = {**silver_frames(parsed, keys), "quarantine": quarantine_frame(parsed)}
        rows = tagged_union(frames).toArrow()
        parsed.unpersist()
        quarantined = 0
        new_rows: dict[str, DataFrame] = {}
        for table, frame in frames.items():
            data = rows.filter(pc.equal(rows["table"], table)).select(frame.columns)
            if data.num_rows == 0:
                continue
            if table == "quarantine":
                quarantined = data.num_rows
                if write_quarantine:
                    self.lake.append(L.QUARANTINE, data, batch_id, ["ingest_date"])
                continue
            data = data.append_column("poll_date", poll_date(data["poll_id"], data["observed_date"]))
            path = f"silver/{table}"
            self.lake.insert_new(path, data, batch_id, "event_id", ["poll_date"])
            dates = sorted(set(data["poll_date"].to_pylist()))
            fresh = self.lake.read(path, f"{sql_in('poll_date', dates)} AND {self._of_batch(batch_id)}")
            if fresh is not None and fresh.num_rows:
                new_rows[table] = self._local(fresh)
        self._step("silver")

        closed = self._update_polls(new_rows, batch_id, arrival)
        self._step("polls")
        self._update_totals(new_rows, closed, batch_id)
        self._step("totals")
        self._update_games(identities, batch_id, arrival)
        self._step("games")
        return quarantined, closed

    def _maintain_when_due(self) -> None:
        """Compact and vacuum between batches (a commit race with a backfill is retried, see lake.py)."""
        every = self.settings.lake_maintain_seconds
        if every and time.monotonic() - self.last_maintenance >= every:
            from batch_jobs.lake_maintenance import maintain

            maintain(self.lake, self.settings.lake_retention_hours)
            self.last_maintenance = time.monotonic()
            self._step("maintenance")

    def _update_polls(self, new_rows: dict[str, DataFrame], batch_id: int, now: datetime) -> list[dict]:
        """Counts, manifests and completeness per poll; returns the polls this batch closed."""
        counts = {}
        if any(t != "poll_manifests" for t in new_rows):
            delta = poll_counts_delta({k: v for k, v in new_rows.items() if k != "poll_manifests"}).toArrow()
            for row in delta.to_pylist():
                counts[row["poll_id"]] = (row["records"], row["first_observed_at"])
        manifests = {}
        if "poll_manifests" in new_rows:
            for row in new_rows["poll_manifests"].toArrow().to_pylist():  # Arrow keeps time zones
                manifests[row["poll_id"]] = row
        touched = sorted(set(counts) | set(manifests))
        known = {}
        for where in ("status = 'open'", sql_in("poll_id", touched) if touched else None):
            found = self.lake.read(L.POLLS, where) if where else None
            known.update({r["poll_id"]: r for r in found.to_pylist()} if found is not None else {})
        updates = []
        for poll_id in sorted(set(touched) | {p for p, r in known.items() if r["status"] == "open"}):
            before = known.get(poll_id)
            manifest = manifests.get(poll_id)
            row = (
                {"closed_run": None, **before}
                if before
                else {
                    "poll_id": poll_id,
                    "source": None,
                    "platform": None,
                    "record_kind": None,
                    "expected": None,
                    "received": 0,
                    "scheduled_at": None,
                    "started_at": None,
                    "finished_at": None,
                    "interval_seconds": None,
                    "pages": None,
                    "pages_failed": None,
                    "manifest_coverage": None,
                    "errors": None,
                    "overran": None,
                    "first_seen_at": now,
                    "last_seen_at": now,
                    "status": "open",
                    "coverage": None,
                    "closed_at": None,
                    "closed_batch_id": None,
                    "closed_run": None,
                    "updated_batch_id": batch_id,
                }
            )
            if manifest:
                row.update(
                    source=manifest["source"],
                    platform=manifest["platform"],
                    record_kind=manifest["record_kind"],
                    expected=manifest["record_count"],
                    scheduled_at=manifest["scheduled_at"],
                    started_at=manifest["started_at"],
                    finished_at=manifest["finished_at"],
                    interval_seconds=manifest["interval_seconds"],
                    pages=manifest["pages"],
                    pages_failed=manifest["pages_failed"],
                    manifest_coverage=manifest["coverage"],
                    errors=manifest["errors"],
                    overran=manifest["overran"],
                )
            row["received"] += counts.get(poll_id, (0, None))[0]
            row["updated_batch_id"] = batch_id
            if poll_id in counts or manifest:
                row["last_seen_at"] = now
            if row["status"] == "open":
                if row["expected"] is not None and row["received"] >= row["expected"]:
                    row.update(
                        status="complete",
                        coverage=row["manifest_coverage"],
                        closed_at=now,
                        closed_batch_id=batch_id,
                        closed_run=self.run_id,
                    )
                elif now - row["last_seen_at"] > self.grace:  # arrival time: replays decide alike
                    share = row["received"] / row["expected"] if row["expected"] else None
                    coverage = (
                        None
                        if share is None or row["manifest_coverage"] is None
                        else round(row["manifest_coverage"] * share, 4)
                    )
                    row.update(
                        status="partial",
                        coverage=coverage,
                        closed_at=now,
                        closed_batch_id=batch_id,
                        closed_run=self.run_id,
                    )
            updates.append(row)
        if updates:
            data = pa.Table.from_pylist(updates, schema=POLLS_SCHEMA)
            self.lake.upsert(
                L.POLLS,
                data,
                batch_id,
                "t.poll_id = s.poll_id",
                {c: f"s.{c}" for c in POLLS_SCHEMA.names if c != "poll_id"},
            )
        if not updates:
            return []
        polls = self.lake.read(L.POLLS, f"closed_batch_id = {int(batch_id)} AND {sql_in('closed_run', [self.run_id])}")
        return polls.to_pylist() if polls is not None else []

    def _update_totals(self, new_rows: dict[str, DataFrame], closed: list[dict], batch_id: int) -> None:
        sources = {k: v for k, v in new_rows.items() if k in ("stream_snapshots", "video_snapshots", "player_counts")}
        parts = []
        if sources:
            delta = poll_totals_delta(sources).toArrow()
            delta = delta.append_column(
                "poll_date", poll_date(delta["poll_id"], pc.cast(delta["observed_at"], pa.date32()))
            )
            parts.append(delta)
        closing = {p["poll_id"]: p for p in closed}
        if closing:
            existing = self.lake.read(L.TOTALS, sql_in("poll_id", sorted(closing)))
            if existing is not None and existing.num_rows:
                # the closing polls' keys with nothing to add: the merge then only sets their status
                for field in TOTALS_DELTA_SCHEMA:  # tables written before a column was added lack it
                    if field.name not in existing.column_names:
                        existing = existing.append_column(field, pa.nulls(existing.num_rows, field.type))
                unchanged = existing.select(TOTALS_DELTA_COLUMNS)
                for column, fill in (
                    ("viewers", None),
                    ("channels", None),
                    ("players", None),
                    ("records", 0),
                    ("mature_channels", 0),
                    ("top_channel_viewers", None),
                    ("views", None),
                ):
                    unchanged = unchanged.set_column(
                        TOTALS_DELTA_COLUMNS.index(column), column, pa.array([fill] * unchanged.num_rows, pa.int64())
                    )
                parts.append(unchanged)
        if not parts:
            return
        rows = pa.concat_tables([p.select(TOTALS_DELTA_COLUMNS).cast(TOTALS_DELTA_SCHEMA) for p in parts])
        merged: dict[tuple, dict] = {}
        for row in rows.to_pylist():  # one source row per key for the merge
            key = (row["poll_date"], row["poll_id"], row["platform"], row["game_key"])
            if key in merged:
                if (row["top_channel_viewers"] or -1) > (merged[key]["top_channel_viewers"] or -1):
                    merged[key].update(top_channel=row["top_channel"], top_channel_viewers=row["top_channel_viewers"])
                for c in ("viewers", "channels", "players", "records", "mature_channels", "views"):
                    merged[key][c] = _add(merged[key][c], row[c])
            else:
                merged[key] = row
        out = []
        polls = self.lake.read(L.POLLS, sql_in("poll_id", sorted({k[1] for k in merged})))
        status = {p["poll_id"]: p for p in polls.to_pylist()} if polls is not None else {}
        for row in merged.values():
            poll = status.get(row["poll_id"], {})
            row.update(
                status=poll.get("status", "open"),
                coverage=poll.get("coverage"),
                scheduled_at=poll.get("scheduled_at"),
                interval_seconds=poll.get("interval_seconds"),
                source=poll.get("source"),
                updated_batch_id=batch_id,
            )
            out.append(row)
        data = pa.Table.from_pylist(out, schema=TOTALS_SCHEMA)
        add = {c: f"coalesce(t.{c}, 0) + coalesce(s.{c}, 0)" for c in ("records", "mature_channels")}
        add.update(
            {
                c: f"CASE WHEN s.{c} IS NULL THEN t.{c} ELSE coalesce(t.{c}, 0) + s.{c} END"
                for c in ("viewers", "channels", "players", "views")
            }
        )
        higher = "s.top_channel_viewers > coalesce(t.top_channel_viewers, -1)"
        add["top_channel"] = f"CASE WHEN {higher} THEN s.top_channel ELSE t.top_channel END"
        add["top_channel_viewers"] = f"CASE WHEN {higher} THEN s.top_channel_viewers ELSE t.top_channel_viewers END"
        add.update(
            {
                c: f"s.{c}"
                for c in ("status", "coverage", "scheduled_at", "interval_seconds", "source", "updated_batch_id")
            }
        )
        add["observed_at"] = "CASE WHEN t.observed_at <= s.observed_at THEN t.observed_at ELSE s.observed_at END"
        self.lake.upsert(L.TOTALS, data, batch_id, TOTALS_KEY, add, ["poll_date"])

    def _update_games(self, identities: dict, batch_id: int, now: datetime) -> None:
        if not identities:
            return
        rows = {}
        for name, identity in identities.items():
            rows.setdefault(
                identity.key,
                {
                    "game_key": identity.key,
                    "name": identity.name,
                    "steam_app_id": identity.steam_app_id,
                    "is_game": identity.is_game,
                    "aliases": [],
                    "first_seen_at": now,
                    "last_seen_at": now,
                },
            )
            rows[identity.key]["aliases"].append(name)
        data = pa.Table.from_pylist(list(rows.values()), schema=GAMES_SCHEMA)
        self.lake.upsert(
            L.GAMES,
            data,
            batch_id,
            "t.game_key = s.game_key",
            {
                "last_seen_at": "CASE WHEN s.last_seen_at > t.last_seen_at THEN s.last_seen_at ELSE t.last_seen_at END",
                "steam_app_id": "coalesce(t.steam_app_id, s.steam_app_id)",
                "aliases": "array_distinct(array_concat(t.aliases, s.aliases))",
            },
        )

    def _latest_complete_polls(self) -> list[dict]:
        polls = self.lake.read(L.POLLS, "status = 'complete'")
        if polls is None:
            return []
        latest: dict[tuple, dict] = {}
        for poll in polls.to_pylist():
            if poll["record_kind"] not in ("stream_snapshot", "video_snapshot", "player_count"):
                continue
            key = (poll["platform"], poll["source"])
            if key not in latest or poll["scheduled_at"] > latest[key]["scheduled_at"]:
                latest[key] = poll
        return list(latest.values())

    def _update_live(self, completed: list[dict], batch_id: int) -> str:
        if self.redis_stale is None:  # after a restart: in step unless Redis missed batches
            last = self.live.last_batch(self.run_id)
            self.redis_stale = last is None or last < batch_id - 1
        polls = self._latest_complete_polls() if self.redis_stale else completed
        polls = [p for p in polls if p["record_kind"] in ("stream_snapshot", "video_snapshot", "player_count")]
        if not polls and not self.redis_stale:
            return "nothing"
        totals = self.lake.read(L.TOTALS, sql_in("poll_id", sorted(p["poll_id"] for p in polls))) if polls else None
        by_poll: dict[str, list[dict]] = {}
        for row in totals.to_pylist() if totals is not None else []:
            value = row["players"] if row["platform"] == "steam" else row["viewers"]
            by_poll.setdefault(row["poll_id"], []).append(
                {
                    "key": row["game_key"],
                    "name": row["game_name"],
                    "value": value or 0,
                    "viewers": row["viewers"] or 0,
                    "channels": row["channels"] or 0,
                    "players": row["players"] or 0,
                }
            )
        # a Twitch head poll reads only the first pages: a game missing from it has not gone offline
        updates = [
            PollUpdate(
                platform=p["platform"],
                poll_id=p["poll_id"],
                observed_at=p["scheduled_at"].isoformat(),
                observed_ts=p["scheduled_at"].timestamp(),
                replace="twitch_head" not in p["poll_id"],
                games=by_poll.get(p["poll_id"], []),
            )
            for p in sorted(polls, key=lambda p: p["scheduled_at"])
        ]
        applied = self.live.apply(self.run_id, batch_id, updates)
        if applied is None:
            self.redis_stale = True
            return "down"
        if self.redis_stale:
            log.info("redis_resynced", batch_id=batch_id, polls=len(updates))
        self.redis_stale = False
        return "replayed" if applied == -1 else "applied"

    def _report(
        self, batch_id: int, rows: int, quarantined: int, started: float, behind: int, completed: int, redis_state: str
    ) -> BatchReport:
        duration = time.perf_counter() - started
        report = BatchReport(
            batch_id,
            rows,
            quarantined,
            round(duration, 3),
            round(rows / duration, 1) if duration else 0.0,
            behind,
            completed,
            redis_state,
            datetime.now(UTC).isoformat(),
        )
        self.metrics.observe(report)
        log.info("batch", **asdict(report), steps=getattr(self, "steps", {}))
        self.status_file.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.status_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(report)))
        tmp.replace(self.status_file)
        return report


def _add(a: int | None, b: int | None) -> int | None:
    if a is None:
        return b
    return a if b is None else a + b


POLLS_SCHEMA = pa.schema(
    [
        ("poll_id", pa.string()),
        ("source", pa.string()),
        ("platform", pa.string()),
        ("record_kind", pa.string()),
        ("expected", pa.int64()),
        ("received", pa.int64()),
        ("scheduled_at", pa.timestamp("us", tz="UTC")),
        ("started_at", pa.timestamp("us", tz="UTC")),
        ("finished_at", pa.timestamp("us", tz="UTC")),
        ("interval_seconds", pa.float64()),
        ("pages", pa.int64()),
        ("pages_failed", pa.int64()),
        ("manifest_coverage", pa.float64()),
        ("errors", pa.list_(pa.string())),
        ("overran", pa.bool_()),
        ("first_seen_at", pa.timestamp("us", tz="UTC")),
        ("last_seen_at", pa.timestamp("us", tz="UTC")),
        ("status", pa.string()),
        ("coverage", pa.float64()),
        ("closed_at", pa.timestamp("us", tz="UTC")),
        ("closed_batch_id", pa.int64()),
        ("closed_run", pa.string()),
        ("updated_batch_id", pa.int64()),
    ]
)
TOTALS_DELTA_SCHEMA = pa.schema(
    [
        ("poll_date", pa.date32()),
        ("poll_id", pa.string()),
        ("platform", pa.string()),
        ("game_key", pa.string()),
        ("game_name", pa.string()),
        ("viewers", pa.int64()),
        ("channels", pa.int64()),
        ("players", pa.int64()),
        ("records", pa.int64()),
        ("mature_channels", pa.int64()),
        ("observed_at", pa.timestamp("us", tz="UTC")),
        ("top_channel", pa.string()),
        ("top_channel_viewers", pa.int64()),
        ("views", pa.int64()),
    ]
)
TOTALS_DELTA_COLUMNS = TOTALS_DELTA_SCHEMA.names
TOTALS_SCHEMA = pa.schema(
    [
        *TOTALS_DELTA_SCHEMA,
        ("status", pa.string()),
        ("coverage", pa.float64()),
        ("scheduled_at", pa.timestamp("us", tz="UTC")),
        ("interval_seconds", pa.float64()),
        ("source", pa.string()),
        ("updated_batch_id", pa.int64()),
    ]
)
GAMES_SCHEMA = pa.schema(
    [
        ("game_key", pa.string()),
        ("name", pa.string()),
        ("steam_app_id", pa.int64()),
        ("is_game", pa.bool_()),
        ("aliases", pa.list_(pa.string())),
        ("first_seen_at", pa.timestamp("us", tz="UTC")),
        ("last_seen_at", pa.timestamp("us", tz="UTC")),
    ]
)
