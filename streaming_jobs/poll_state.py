"""The poll state machine, as plain pandas: what the poll query keeps per poll in Spark's state store
(`applyInPandasWithState`), and what a backfill computes per poll in one go (`applyInPandas`).

A poll is one run of one poller (its id ends in the epoch second of its grid slot). Its records are
spread over every shard; its manifest says how many there are. Per poll the state holds the records
counted so far (by event-id hash, so a duplicate within the poll counts once), the per-game sums and
the manifest. The poll is emitted exactly once:

- complete, as soon as the records counted reach the manifest's count;
- partial, when nothing more arrived for the grace period (coverage scaled by what came).

After that the poll stays as a tombstone until its timeout, so a late duplicate cannot reopen it.
An emitted poll is a `poll` row (for silver.polls) plus one `total` row per game (for
silver.game_poll_totals and Redis). See docs/architecture.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import numpy as np
import pandas as pd

from streaming_jobs.games import identify

# The state row and the output avoid array types: PySpark's worker cannot read them back in these
# schemas (KeyError: 'elementType'); event-id hashes travel as int64 bytes, manifest errors as JSON.
# What the poll query feeds the state function (built by streaming_jobs.poll_query.poll_inputs)
INPUT_COLUMNS = (
    "poll_id",
    "kind",
    "event_hash",
    "source",
    "platform",
    "game_name",
    "viewers",
    "players",
    "is_mature",
    "channel",
    "channel_id",
    "user_login",
    "views",
    "observed_s",
    "arrival_s",
    "manifest",
    "counted",  # valid and timely; the rest is dropped here (see transforms.poll_inputs)
)
TOTAL_KINDS = {"stream_snapshot": "twitch", "video_snapshot": "youtube", "player_count": "steam"}
STATE_SCHEMA = (
    "status STRING, received LONG, seen BINARY, games STRING, manifest STRING, "
    "platform STRING, source STRING, first_seen DOUBLE, last_seen DOUBLE"
)
OUTPUT_SCHEMA = (
    "row_kind STRING, poll_id STRING, platform STRING, source STRING, record_kind STRING, game_key STRING, "
    "game_name STRING, viewers LONG, channels LONG, players LONG, records LONG, mature_channels LONG, "
    "observed_at TIMESTAMP, top_channel STRING, top_channel_viewers LONG, views LONG, status STRING, "
    "coverage DOUBLE, scheduled_at TIMESTAMP, interval_seconds DOUBLE, expected LONG, received LONG, "
    "started_at TIMESTAMP, finished_at TIMESTAMP, pages LONG, pages_failed LONG, manifest_coverage DOUBLE, "
    "errors STRING, overran BOOLEAN, first_seen_at TIMESTAMP, last_seen_at TIMESTAMP, closed_at TIMESTAMP, "
    "top_channels STRING"
)
OUTPUT_TYPES = dict(part.strip().split(" ") for part in OUTPUT_SCHEMA.split(", "))
OUTPUT_COLUMNS = list(OUTPUT_TYPES)
SUMS = ("viewers", "channels", "players", "records", "mature_channels", "views")
TOP_CHANNELS = 5  # a game's channels with the most viewers that its live changes carry


@lru_cache(maxsize=100_000)
def game_identity(name: str) -> tuple[str, str]:
    """(key, display name) of a platform's spelling of a game; cached per worker process."""
    found = identify(name)
    return found.key, found.name


@dataclass
class Poll:
    """One poll's running state (the state store keeps it as one row, see `to_state`)."""

    status: str = "open"
    received: int = 0
    seen: set[int] = field(default_factory=set)
    games: dict[str, dict[str, Any]] = field(default_factory=dict)
    manifest: dict[str, Any] | None = None
    platform: str | None = None
    source: str | None = None
    first_seen: float | None = None
    last_seen: float | None = None

    @classmethod
    def from_state(cls, row: tuple) -> Poll:
        status, received, seen, games, manifest, platform, source, first_seen, last_seen = row
        return cls(
            status,
            int(received),
            set(np.frombuffer(seen, dtype=np.int64).tolist()) if seen is not None else set(),
            json.loads(games) if games else {},
            json.loads(manifest) if manifest else None,
            platform,
            source,
            first_seen,
            last_seen,
        )

    def to_state(self) -> tuple:
        return (
            self.status,
            self.received,
            np.array(sorted(self.seen), dtype=np.int64).tobytes(),
            json.dumps(self.games),
            json.dumps(self.manifest) if self.manifest is not None else None,
            self.platform,
            self.source,
            self.first_seen,
            self.last_seen,
        )

    @property
    def expected(self) -> int | None:
        return int(self.manifest["record_count"]) if self.manifest else None

    @property
    def complete(self) -> bool:
        return self.expected is not None and self.received >= self.expected

    def add(self, records: pd.DataFrame) -> None:
        """Count new records (a duplicate event id counts once) and add them to the per-game sums."""
        if records.empty:
            return
        arrival = records["arrival_s"]
        self.first_seen = min(self.first_seen or float("inf"), float(arrival.min()))
        self.last_seen = max(self.last_seen or 0.0, float(arrival.max()))
        manifests = records[records["kind"] == "poll_manifest"]
        if self.manifest is None and len(manifests):
            self.manifest = json.loads(manifests["manifest"].iloc[0])
            self.platform = self.manifest.get("platform") or self.platform
            self.source = self.manifest.get("source") or self.source
        counted = records[records["kind"] != "poll_manifest"]
        counted = counted[~counted["event_hash"].isin(self.seen)].drop_duplicates("event_hash")
        if counted.empty:
            return
        self.seen.update(int(h) for h in counted["event_hash"])
        self.received += len(counted)
        self.source = self.source or counted["source"].iloc[0]
        self.platform = self.platform or counted["platform"].iloc[0]
        for row in counted[counted["kind"].isin(list(TOTAL_KINDS))].itertuples(index=False):
            self._add_to_game(row)

    def _add_to_game(self, row: Any) -> None:
        key, name = game_identity(row.game_name)
        game = self.games.get(key)
        if game is None:
            game = self.games[key] = {
                "platform": TOTAL_KINDS[row.kind],
                "game_name": name,
                "viewers": None,
                "channels": None,
                "players": None,
                "records": 0,
                "mature_channels": 0,
                "observed_s": row.observed_s,
                "top_channel": None,
                "top_channel_viewers": None,
                "views": None,
            }
        game["records"] += 1
        game["observed_s"] = min(game["observed_s"], row.observed_s)
        if row.kind == "player_count":
            game["players"] = (game["players"] or 0) + int(row.players)
            return
        viewers = int(row.viewers)
        game["viewers"] = (game["viewers"] or 0) + viewers
        game["channels"] = (game["channels"] or 0) + 1
        game["mature_channels"] += int(bool(row.is_mature)) if pd.notna(row.is_mature) else 0
        top = game["top_channel_viewers"]
        # ties go to the first channel name, so the stream and a backfill (other orders) agree
        if top is None or viewers > top or (viewers == top and str(row.channel) < str(game["top_channel"])):
            game["top_channel"], game["top_channel_viewers"] = row.channel, viewers
        _keep_top(game.setdefault("top_channels", []), viewers, row)
        if row.kind == "video_snapshot" and pd.notna(row.views):
            game["views"] = (game["views"] or 0) + int(row.views)

    def emit(self, poll_id: str, status: str, closed_s: float) -> pd.DataFrame:
        """The poll's output rows: one `poll` row and one `total` row per game."""
        manifest = self.manifest or {}
        coverage = manifest.get("coverage")
        if status == "partial":
            share = self.received / self.expected if self.expected else None
            coverage = None if share is None or coverage is None else round(coverage * share, 4)

        def ts(value: Any) -> pd.Timestamp | None:
            """UTC, whole microseconds (what Spark's timestamps hold)."""
            if value is None:
                return None
            if isinstance(value, int | float):
                return pd.Timestamp(round(value * 1_000_000), unit="us", tz="UTC")
            moment = pd.Timestamp(value)
            return (moment.tz_convert("UTC") if moment.tzinfo else moment.tz_localize("UTC")).floor("us")

        scheduled = ts(manifest.get("scheduled_at"))
        poll = {
            "row_kind": "poll",
            "poll_id": poll_id,
            "platform": self.platform,
            "source": self.source,
            "record_kind": manifest.get("record_kind"),
            "status": status,
            "coverage": coverage,
            "scheduled_at": scheduled,
            "interval_seconds": manifest.get("interval_seconds"),
            "expected": self.expected,
            "received": self.received,
            "started_at": ts(manifest.get("started_at")),
            "finished_at": ts(manifest.get("finished_at")),
            "pages": manifest.get("pages"),
            "pages_failed": manifest.get("pages_failed"),
            "manifest_coverage": manifest.get("coverage"),
            "errors": json.dumps(manifest["errors"]) if manifest.get("errors") is not None else None,
            "overran": manifest.get("overran"),
            "first_seen_at": ts(self.first_seen),
            "last_seen_at": ts(self.last_seen),
            "closed_at": ts(closed_s),
        }
        rows = [poll]
        for key, game in sorted(self.games.items()):
            top = game.get("top_channels")
            rows.append(
                {
                    "row_kind": "total",
                    "poll_id": poll_id,
                    "source": self.source,
                    "game_key": key,
                    **{k: v for k, v in game.items() if k not in ("observed_s", "top_channels")},
                    "top_channels": json.dumps([dict(zip(TOP_FIELDS, c[1:], strict=True)) for c in top])
                    if top
                    else None,
                    "observed_at": ts(game["observed_s"]),
                    "status": status,
                    "coverage": coverage,
                    "scheduled_at": scheduled,
                    "interval_seconds": manifest.get("interval_seconds"),
                }
            )
        return output_frame(rows)


TOP_FIELDS = ("viewers", "id", "login", "name")


def _keep_top(top: list[list[Any]], viewers: int, row: Any) -> None:
    """Keep a game's TOP_CHANNELS channels with the most viewers in a poll, as [-viewers, viewers, id,
    login, name] lists (JSON in the state), sorted, ties by name then id (any arrival order agrees)."""
    name = "" if _missing(row.channel) else str(row.channel)
    channel_id = None if _missing(row.channel_id) else str(row.channel_id)
    login = None if _missing(row.user_login) else str(row.user_login)
    entry = [-viewers, viewers, channel_id, login, name]
    if len(top) == TOP_CHANNELS and _order(entry) >= _order(top[-1]):
        return
    top.append(entry)
    top.sort(key=_order)
    del top[TOP_CHANNELS:]


def _order(entry: list[Any]) -> tuple:
    return entry[0], entry[4], entry[2] or ""


def output_frame(rows: Iterable[dict[str, Any]]) -> pd.DataFrame:
    """The rows as a frame typed as OUTPUT_SCHEMA: a column holding no value would otherwise be
    float NaN, which PySpark 4.2 cannot convert to text or timestamps. Built from plain lists column
    by column: pandas' own conversions per column cost most of a poll's close in a backfill."""
    rows = list(rows)
    columns: dict[str, Any] = {}
    for column, kind in OUTPUT_TYPES.items():
        values = [None if _missing(row.get(column)) else row.get(column) for row in rows]
        if kind == "LONG":
            columns[column] = pd.array(values, dtype="Int64")
        elif kind == "DOUBLE":
            columns[column] = np.array([np.nan if v is None else v for v in values], dtype="float64")
        elif kind == "TIMESTAMP":
            nanos = [NAT if v is None else pd.Timestamp(v).as_unit("ns").value for v in values]
            columns[column] = pd.DatetimeIndex(np.array(nanos, dtype="datetime64[ns]")).tz_localize("UTC")
        else:  # STRING, BOOLEAN
            columns[column] = np.array(values, dtype=object)
    return pd.DataFrame(columns, columns=OUTPUT_COLUMNS)


NAT = np.datetime64("NaT", "ns").astype("int64")


def _missing(value: Any) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and value != value)


def advance_poll(
    key: tuple,
    batches: Iterator[pd.DataFrame],
    state: Any,
    grace_ms: int,
    tombstone_ms: int,
) -> Iterator[pd.DataFrame]:
    """`applyInPandasWithState` function of the poll query (grouped by poll id, processing-time
    timeouts): count, emit once when complete or after the grace period, then keep a tombstone."""
    poll_id = key[0]
    if state.hasTimedOut:
        poll = Poll.from_state(state.get)
        if poll.status == "open":
            yield poll.emit(poll_id, "partial", closed_s=pd.Timestamp.now("UTC").timestamp())
            _tombstone(state, poll, tombstone_ms)
        else:
            state.remove()
        return
    records = [counted for batch in batches if not (counted := counted_rows(batch)).empty]
    if not records:  # quarantined or late records only: as if nothing had arrived
        _keep_deadline(state)
        return
    poll = Poll.from_state(state.get) if state.exists else Poll()
    if poll.status != "open":  # emitted already: a late duplicate (or straggler) cannot reopen it
        _keep_deadline(state)
        return
    for batch in records:
        poll.add(batch)
    if poll.complete:
        yield poll.emit(poll_id, "complete", closed_s=pd.Timestamp.now("UTC").timestamp())
        _tombstone(state, poll, tombstone_ms)
        return
    state.update(poll.to_state())
    state.setTimeoutDuration(grace_ms)


def counted_rows(records: pd.DataFrame) -> pd.DataFrame:
    """The records that count: valid and timely (transforms.poll_inputs flags the others)."""
    return records[records["counted"].astype(bool)]


def _keep_deadline(state: Any) -> None:
    """A call that changes nothing keeps the poll's timeout where it was."""
    if state.exists and state.oldTimeoutTimestamp > 0:
        state.setTimeoutDuration(max(1, state.oldTimeoutTimestamp - state.getCurrentProcessingTimeMs()))


def _tombstone(state: Any, poll: Poll, tombstone_ms: int) -> None:
    done = Poll(status="emitted", received=poll.received, platform=poll.platform, source=poll.source)
    state.update(done.to_state())
    state.setTimeoutDuration(tombstone_ms)


def close_poll(key: tuple, records: pd.DataFrame) -> pd.DataFrame:
    """`applyInPandas` function of a backfill: one poll's records at once, complete when the
    manifest's count is reached, else partial (a backfill only runs over settled ranges)."""
    records = counted_rows(records)
    if records.empty:  # quarantined or late records only: no poll
        return output_frame([])
    poll = Poll()
    poll.add(records)
    return poll.emit(key[0], "complete" if poll.complete else "partial", closed_s=poll.last_seen or 0.0)
