"""End to end under faults, bounded for CI: a Twitch fixture answering 429, 5xx and garbage → the
Twitch poller → Kinesis behind a proxy that throttles entries and answers one call too late → the
streaming job killed -9 in its lake query, polls arriving meanwhile, killed -9 again in its poll
query, restarted → gold. Then every event_id in the stream is in bronze and in silver exactly once,
gold equals pandas over what was sent, and the live state equals silver's latest complete-poll
totals, with no change twice on its feed.

The kill points are drawn from those the Kafka drill (tests/streaming_jobs/test_kafka_drill.py,
which kills at the lake query's "after silver" and the poll query's "after Redis" and stops Redis
meanwhile) leaves out: one of the lake query's, then one of the poll query's. Over successive
runs of the suite, every point of both queries is drilled.

The poller keeps its raw pages (the seed's layout, gamestream/core/raw_area.py): imported into a second
lake with `gst import --format seed`, they give the same gold, row for row.

The random choices come from GST_DRILL_SEED (printed on failure); bench/e2e.py --drills runs more."""

from __future__ import annotations

import json
import os
import random
import signal
import uuid
from collections import Counter
from contextlib import ExitStack
from datetime import timedelta

import pandas as pd
import pytest
import redis

from batch_jobs.gold.loads import run_gold
from batch_jobs.imports.importer import run_import
from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.clock import ManualClock
from gamestream.core.lake import Lake
from gamestream.core.warehouse import Warehouse
from gamestream.embedded.ports import free_port
from gamestream.embedded.redis_server import redis_server
from producers.poll_loop import PollLoop
from producers.sinks.kinesis import KinesisSink
from producers.twitch import TwitchPoller
from streaming_jobs.games import identify
from tests.support.drills import run_stream_job, stream_job_deadline
from tests.support.kinesis import KinesisFaultProxy, read_stream
from tests.support.platforms import FixtureServer, PlatformState, make_streams
from tests.support.streaming import recent_slot

SEED = int(os.environ.get("GST_DRILL_SEED", random.SystemRandom().randrange(1_000_000)))
GAMES = [
    {"id": str(100 + g), "name": name, "box_art_url": "", "igdb_id": ""}
    for g, name in enumerate(["League of Legends", "Dota 2", "Fortnite", "Minecraft", "VALORANT", "Rust"])
]


# two head polls (at least 2 x 250 streams, their games and manifests) make two batches at least:
# the first run has a batch 1 to die in
BATCH_RECORDS = 400
MAX_RECORDS_PER_RUN = 2 * 390 + 2 * 100 + 20  # two head polls of at most 390 streams, their games and manifests
LAKE_POINTS = ("lake_after_bronze", "lake_before_commit")  # the Kafka drill kills at "lake_after_silver"
POLL_POINTS = ("poll_after_lake", "poll_before_commit")  # and at "poll_after_redis"


def stream_job(stage, settings, cwd, **extra):
    # a run reads what the stream holds: at most every record sent so far
    return run_stream_job(stage, settings, cwd, 2 * MAX_RECORDS_PER_RUN, BATCH_RECORDS, **extra)


def read(settings, table):
    found = Lake(settings.lake_path).read(table)
    return found.to_pandas() if found is not None else pd.DataFrame()


def _settled(value):
    """A float to 12 significant digits: a sum over many rows differs in its last bits with the
    order the warehouse's threads add them in."""
    return float(f"{value:.12g}") if isinstance(value, float) else value


def gold_rows(settings) -> dict[str, list[tuple]]:
    """Every gold table's rows, sorted, floats settled (games and channels without the time each lake
    first saw them; not the loader's own bookkeeping)."""
    warehouse = Warehouse(settings.warehouse)
    try:
        names = [
            row[0]
            for row in warehouse.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'gold'"
                " AND table_name <> 'load_state' ORDER BY 1"
            )
        ]
        out = {}
        for name in names:
            columns = [
                row[0]
                for row in warehouse.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema = 'gold' AND table_name = :t"
                    " ORDER BY ordinal_position",
                    {"t": name},
                )
                if row[0] not in ("first_seen_at", "last_seen_at")
            ]
            rows = warehouse.execute(f"SELECT {', '.join(columns)} FROM gold.{name}")
            out[name] = sorted((tuple(_settled(v) for v in row) for row in rows), key=repr)
        return out
    finally:
        warehouse.close()


def expected_buckets(snapshots: pd.DataFrame, manifests: pd.DataFrame, seconds: int) -> pd.DataFrame:
    """Gold's 5-minute averages and peaks, computed independently from the records sent."""
    polls = manifests.sort_values("scheduled_at")[["poll_id", "scheduled_at", "interval_seconds"]].copy()
    gaps = polls.scheduled_at.shift(-1).sub(polls.scheduled_at).dt.total_seconds()
    polls["weight"] = gaps.fillna(polls.interval_seconds).clip(upper=polls.interval_seconds)
    polls["bucket"] = polls.scheduled_at.map(lambda t: int(t.timestamp()) // seconds * seconds)
    keyed = snapshots.assign(game_key=snapshots.game_name.map(lambda name: identify(name).key))
    totals = keyed.groupby(["poll_id", "game_key"]).viewer_count.sum().reset_index()
    rows = totals.merge(polls, on="poll_id")
    weight = polls.groupby("bucket").weight.sum()
    out = (
        rows.assign(weighted=rows.viewer_count * rows.weight)
        .groupby(["bucket", "game_key"])
        .agg(weighted=("weighted", "sum"), peak=("viewer_count", "max"))
        .reset_index()
    )
    out["avg"] = out.weighted / out.bucket.map(weight)
    return out


@pytest.mark.timeout(3 * stream_job_deadline(2 * MAX_RECORDS_PER_RUN, BATCH_RECORDS) + 600)  # its stages' deadlines
def test_faults_everywhere_lose_nothing_duplicate_nothing_and_agree_end_to_end(stack, spark, tmp_path):
    rng = random.Random(SEED)
    lake_point, poll_point = rng.choice(LAKE_POINTS), rng.choice(POLL_POINTS)
    t0 = recent_slot(interval=60, polls=10)  # timely records: the stream places them itself
    clock = ManualClock(t0)
    with (
        ExitStack() as running,
        FixtureServer(PlatformState(clock), timeout_sleep=0.6) as fixture,
        KinesisFaultProxy(
            stack.settings.aws_endpoint_url, fail_every=rng.randint(3, 7), timeout_calls=(rng.randint(2, 4),)
        ) as proxy,
    ):
        redis_port = free_port()
        running.enter_context(redis_server(redis_port, tmp_path / "redis"))
        settings = stack.settings.model_copy(
            update={
                "stream_name": f"e2e-{uuid.uuid4().hex[:8]}",
                "lake_root": str(tmp_path / "lake"),
                "checkpoint_root": str(tmp_path / "checkpoints"),
                "redis_url": f"redis://127.0.0.1:{redis_port}/0",
                "warehouse_url": f"duckdb:///{tmp_path / 'warehouse.duckdb'}",
                "poll_grace_seconds": 3600,
                "twitch_api_url": fixture.url,
                "twitch_auth_url": fixture.url,
                "twitch_client_id": "fixture-client",
                "twitch_client_secret": "fixture-secret",
                "http_timeout_seconds": 0.3,
                "twitch_head_pages": 4,
                "raw_archive": True,
            }
        )
        ensure_stream(aws_client(settings, "kinesis"), settings.stream_name, 2)
        fixture.state.games = GAMES
        via_proxy = settings.model_copy(update={"aws_endpoint_url": proxy.url})
        client = aws_client(
            via_proxy,
            "kinesis",
            retries={"total_max_attempts": 1, "mode": "standard"},
            read_timeout=1,
            connect_timeout=1,
        )
        sink = KinesisSink(via_proxy, client=client, backoff_base=0.01, backoff_max=0.2)
        poller = TwitchPoller(settings, clock)
        loop = PollLoop(poller, sink, clock)

        grid = iter(t0 + timedelta(seconds=poller.interval * n) for n in range(10_000))
        # every kind of platform fault within the first three polls, then any: at random, four polls
        # all drew "garbage" (a 200 with a broken body) about once in 81 runs
        kinds = ["429", "503", "garbage"]
        platform_faults = iter(rng.sample(kinds, len(kinds)) + [rng.choice(kinds) for _ in range(100)])

        def poll(slots: int) -> None:
            for _ in range(slots):
                fixture.state.streams = make_streams(rng.randint(250, 390), games=len(GAMES))
                for stream in fixture.state.streams:
                    stream["game_name"] = GAMES[int(stream["game_id"]) % len(GAMES)]["name"]
                fixture.state.fault("/helix/streams", "pass", next(platform_faults))
                slot = next(grid)
                while poller.is_sweep(slot):  # head polls only: sweeps read every page
                    slot = next(grid)
                clock.advance(max(0.0, (slot - clock.now()).total_seconds()))
                loop.run_slot(slot)
            assert sink.flush(120), "the sink did not deliver two polls to Kinesis within 120 s"

        # polls arrive before each run: the second has a batch of the poll query to die in, whatever
        # the first run committed
        for point in (lake_point, poll_point):
            poll(2)
            killed = stream_job(
                f"job killed -9 at {point}", settings, tmp_path, GST_TEST_FAULT_POINT=point, GST_TEST_FAULT_BATCH=1
            )
            assert killed.returncode == -signal.SIGKILL, f"seed {SEED}: {killed.stderr[-2000:]}"
            assert f'"point": "{point}"' in killed.stderr
        restarted = stream_job("job restarted", settings, tmp_path)
        assert restarted.returncode == 0, f"seed {SEED}: {restarted.stderr[-2000:]}"
        # an --available-now run ends as quietly as it ran: its queries stop between batches
        assert "ERROR" not in restarted.stderr and "Traceback" not in restarted.stderr, restarted.stderr[-3000:]
        sink.close()
        poller.close()  # its raw pages are all written
        run_gold(settings)

        sent = [json.loads(r["Data"]) for r in read_stream(aws_client(settings, "kinesis"), settings.stream_name)]
        assert proxy.failed_entries > 0  # Kinesis throttled entries; the sink retried them
        assert {e.status for e in fixture.state.log} & {429, 503}  # the platform failed too, and was retried
        unique = {r["event_id"]: r for r in sent}
        silver = Counter()
        for name in ("stream_snapshots", "category_snapshots", "poll_manifests"):
            silver.update(read(settings, f"silver/{name}").event_id)
        assert silver == Counter(unique.keys()), f"seed {SEED}: silver differs from the stream"
        bronze = Counter(json.loads(payload)["event_id"] for payload in read(settings, "bronze/records").payload)
        assert bronze == Counter(unique.keys()), f"seed {SEED}: bronze differs from the stream"

        records = pd.DataFrame(unique.values())
        snapshots = records[records.kind == "stream_snapshot"]
        manifests = records[(records.kind == "poll_manifest") & (records.record_kind == "stream_snapshot")].copy()
        manifests["scheduled_at"] = pd.to_datetime(manifests.scheduled_at, utc=True, format="ISO8601")
        want = expected_buckets(snapshots, manifests, 300)
        warehouse = Warehouse(settings.warehouse)
        got = pd.DataFrame(
            warehouse.execute(
                "SELECT EXTRACT(EPOCH FROM bucket_start), game_key, avg_viewers, peak_viewers FROM gold.game_buckets"
                " WHERE platform = 'twitch' AND bucket = '5m' ORDER BY 1, 2"
            ),
            columns=["bucket", "game_key", "avg", "peak"],
        )
        warehouse.close()
        want = want.sort_values(["bucket", "game_key"]).reset_index(drop=True)
        assert len(got) == len(want) > 0
        assert (
            got.bucket.astype(int).tolist() == want.bucket.tolist() and got.game_key.tolist() == want.game_key.tolist()
        )
        assert got.avg.tolist() == pytest.approx(want.avg.tolist(), rel=1e-9)
        assert got.peak.tolist() == want.peak.tolist()

        totals = read(settings, "silver/game_poll_totals")
        assert totals.groupby(["poll_id", "platform", "game_key"]).size().max() == 1, f"seed {SEED}"
        twitch = totals[(totals.platform == "twitch") & (totals.status == "complete")]
        latest = twitch[twitch.scheduled_at == twitch.scheduled_at.max()]
        live = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        feed = Counter((e["poll_id"], e["game"]) for _, e in live.xrange("gst:live:changes") if e["game"] != "*")
        assert max(feed.values()) == 1, f"seed {SEED}: a change reached the feed twice"
        assert set(zip(twitch.poll_id, twitch.game_key)) <= set(feed), (
            f"seed {SEED}: a complete poll's change is missing"
        )
        assert dict(live.zrange("gst:live:twitch", 0, -1, withscores=True)) == {
            row.game_key: float(row.viewers) for row in latest.itertuples()
        }, f"seed {SEED}: live state differs"
        assert int(live.hget("gst:platform:twitch", "total")) == int(latest.viewers.sum())

        # the raw pages the poller kept, imported into a second lake, make the same gold row for row
        again = settings.model_copy(
            update={
                "lake_root": str(tmp_path / "lake-again"),
                "warehouse_url": f"duckdb:///{tmp_path / 'again.duckdb'}",
            }
        )
        imported = run_import(again, str(tmp_path / "lake" / "raw"), "seed", lambda: spark, show_progress=False)
        assert imported.failed == [] and imported.quarantined == 0 and imported.doubts == []
        assert imported.polls == len(read(settings, "silver/polls")), f"seed {SEED}"
        streamed, rebuilt = gold_rows(settings), gold_rows(again)
        assert set(rebuilt) == set(streamed) and streamed["game_buckets"] and streamed["platform_months"]
        for name, rows in streamed.items():
            assert rebuilt[name] == rows, f"seed {SEED}: gold.{name} differs between the stream and the raw pages"
