"""The streaming job (lake query + poll query) against the embedded Kinesis, real local Spark, real
Delta tables and Redis."""

import base64
import contextlib
import json
import logging
import time
from datetime import timedelta
from pathlib import Path

import pytest
import redis
import structlog

from gamestream.core.contracts import PollManifest, StreamSnapshot
from streaming_jobs.run import StreamingJob
from tests.support.kinesis import put
from tests.support.streaming import expected_totals, fresh_settings, recent_slot, run_job, synthetic_records, table


@pytest.fixture()
def small(fresh):
    return fresh.model_copy(update={"synthetic_scale": 0.002, "poll_grace_seconds": 3600})


@pytest.fixture(scope="module")
def streamed(spark, stack, tmp_path_factory):
    """Three polls of each platform streamed in one run, read by two tests: the first checks what the
    run wrote, the second restarts on the same lake with a new checkpoint (which must write nothing
    again, as it checks). Redis database 7 is the module's own: the other tests' `fresh` empties 0."""
    folder = tmp_path_factory.mktemp("streamed")
    own_redis = stack.settings.redis_url.rsplit("/", 1)[0] + "/7"
    redis.Redis.from_url(own_redis).flushdb()
    small = fresh_settings(stack.settings, folder).model_copy(
        update={"synthetic_scale": 0.002, "poll_grace_seconds": 3600, "redis_url": own_redis}
    )
    records = synthetic_records(small, polls=3)
    put(small, [r.to_json() for r in records], keys=[r.entity_id for r in records])
    run_job(spark, small)
    return small, records


def test_bronze_and_silver_hold_exactly_what_was_sent_and_totals_match_pandas(streamed):
    small, records = streamed
    bronze = table(small, "bronze/records")
    assert sorted(json.loads(p)["event_id"] for p in bronze.payload) == sorted(r.event_id for r in records)
    silver_ids = []
    for name in ("stream_snapshots", "player_counts", "category_snapshots", "video_snapshots", "poll_manifests"):
        silver_ids += list(table(small, f"silver/{name}").event_id)
    assert sorted(silver_ids) == sorted(r.event_id for r in records)

    totals = table(small, "silver/game_poll_totals")
    assert set(totals.status) == {"complete"}
    expected = expected_totals(records)
    got = (
        totals.groupby(["platform", "poll_id", "game_key"])
        .agg(viewers=("viewers", "sum"), players=("players", "sum"), channels=("channels", "sum"))
        .reset_index()
    )
    merged = expected.merge(got, on=["platform", "poll_id", "game_key"], suffixes=("_want", "_got"), how="outer")
    assert len(merged) == len(expected) == len(got)
    for platform, want, have in (
        ("twitch", "viewers_want", "viewers_got"),
        ("youtube", "viewers_want", "viewers_got"),
        ("steam", "players_want", "players_got"),
    ):
        part = merged[merged.platform == platform]
        assert (part[want].astype("int64") == part[have].astype("int64")).all(), platform
    twitch = merged[merged.platform == "twitch"]
    assert (twitch.channels_want == twitch.channels_got).all()
    seed = expected.merge(totals, on=["platform", "poll_id", "game_key"], suffixes=("_want", "_got"))
    watched = seed[seed.platform != "steam"]  # the top channel's viewers ("top streamer" on the dashboard), video views
    assert (watched.top_channel_viewers_want == watched.top_channel_viewers_got).all()
    assert watched.top_channel.notna().all() and seed[seed.platform == "steam"].top_channel.isna().all()
    youtube = seed[seed.platform == "youtube"]
    assert len(youtube) and (youtube.views_want.astype("int64") == youtube.views_got.astype("int64")).all()

    polls = table(small, "silver/polls")
    assert len(polls) == 12 and set(polls.status) == {"complete"}
    assert (polls.expected == polls.received).all()
    games = table(small, "silver/games")
    just_chatting = games[games.game_key == "just chatting"].iloc[0]
    assert not just_chatting.is_game
    assert games[games.game_key == "counter strike global offensive"].iloc[0].steam_app_id == 730

    live = redis.Redis.from_url(small.redis_url, decode_responses=True)
    latest = totals[totals.poll_id == max(p for p in totals.poll_id if "twitch_streams" in p)]
    zset = dict(live.zrange("gst:live:twitch", 0, -1, withscores=True))
    assert zset == {row.game_key: float(row.viewers) for row in latest.itertuples()}
    assert int(live.hget("gst:platform:twitch", "total")) == int(latest.viewers.sum())


def test_duplicates_across_batches_and_runs_are_removed(spark, small):
    records = synthetic_records(small, polls=2)
    payloads = [r.to_json() for r in records]
    put(small, payloads)
    run_job(spark, small)
    put(small, payloads[: len(payloads) // 2])  # an at-least-once retry re-sends half of them
    run_job(spark, small)
    bronze = table(small, "bronze/records")
    assert len(bronze) == len(payloads)  # the dedup state (in the checkpoint) outlives the run
    streams = table(small, "silver/stream_snapshots")
    assert streams.event_id.is_unique
    assert len(streams) == sum(1 for r in records if r.kind == "stream_snapshot")
    totals = table(small, "silver/game_poll_totals")
    twitch = totals[totals.platform == "twitch"]
    assert twitch.viewers.sum() == sum(r.viewer_count for r in records if r.kind == "stream_snapshot")


def snap(t0, poll, n, game="Dota 2"):
    return StreamSnapshot.create(
        source="twitch",
        observed_at=t0,
        poll_id=poll,
        stream_id=f"{poll}-{n}",
        channel_id=str(n),
        channel_name=f"c{n}",
        game_id="29595",
        game_name=game,
        viewer_count=100 + n,
    )


def manifest(t0, poll, count):
    return PollManifest.create(
        source="twitch",
        observed_at=t0,
        poll_id=poll,
        platform="twitch",
        record_kind="stream_snapshot",
        record_count=count,
        scheduled_at=t0,
        started_at=t0,
        finished_at=t0 + timedelta(seconds=5),
        interval_seconds=60,
        pages=1,
        coverage=0.9,
    )


def test_a_poll_completes_when_its_records_reach_its_manifest_in_any_order(spark, fresh):
    """The manifest first, then records over two runs; the partial path is in test_poll_state.py."""
    settings = fresh.model_copy(update={"poll_grace_seconds": 3600})
    t0 = recent_slot()
    poll_a, poll_b = f"twitch:twitch_head:{int(t0.timestamp())}", f"twitch:twitch_head:{int(t0.timestamp()) + 60}"

    negative = {**snap(t0, poll_a, 9).model_dump(mode="json"), "viewer_count": -5}  # quarantined: never counted
    put(
        settings,
        [
            manifest(t0, poll_a, 3).to_json(),
            snap(t0, poll_a, 1).to_json(),
            json.dumps(negative),
            manifest(t0, poll_b, 4).to_json(),
            snap(t0, poll_b, 1).to_json(),
        ],
    )
    run_job(spark, settings)
    assert table(settings, "silver/polls").empty  # both open: nothing emitted yet
    assert not redis.Redis.from_url(settings.redis_url).exists("gst:game:twitch:dota 2")
    put(settings, [snap(t0, poll_a, 2).to_json(), snap(t0, poll_a, 3, game="Dota 2™").to_json()])
    run_job(spark, settings)
    polls = table(settings, "silver/polls").set_index("poll_id")
    assert polls.loc[poll_a, "status"] == "complete" and polls.loc[poll_a, "received"] == 3
    assert poll_b not in polls.index  # 1 of its 4 records came: still open
    assert polls.loc[poll_a, "coverage"] == pytest.approx(0.9)
    totals = table(settings, "silver/game_poll_totals").set_index("poll_id")
    assert totals.loc[poll_a, "viewers"] == 101 + 102 + 103  # "Dota 2™" is the same game
    assert totals.loc[poll_a, "channels"] == 3 and totals.loc[poll_a, "status"] == "complete"
    assert set(totals.index) == {poll_a}
    live = redis.Redis.from_url(settings.redis_url, decode_responses=True)
    assert live.hget("gst:game:twitch:dota 2", "value") == "306"  # only the complete poll is live


def test_the_running_poll_query_runs_no_batch_without_records_and_closes_a_due_poll_with_the_next(spark, fresh):
    """Running (not catching up), a trigger without records runs nothing, though a poll's grace
    period runs out meanwhile; the next records' batch closes it as partial."""
    settings = fresh.model_copy(
        update={"poll_grace_seconds": 1.0, "poll_trigger_seconds": 0.2, "log_level": "DEBUG"}  # DEBUG: trigger events
    )
    t0 = recent_slot()
    short, later = f"twitch:twitch_head:{int(t0.timestamp())}", f"twitch:twitch_head:{int(t0.timestamp()) + 60}"
    put(settings, [manifest(t0, short, 2).to_json(), snap(t0, short, 1).to_json()])
    listeners = len(spark.streams._jsqm.listListeners())
    with contextlib.ExitStack() as capture:
        logged = capture.enter_context(debug_logs_captured())
        job = StreamingJob(settings, spark).start()
        commits = Path(settings.checkpoint_path) / "poll" / "commits"
        try:
            polls = job.queries[0]
            wait_for(lambda: sum(p["numInputRows"] for p in polls.recentProgress) == 2, "the poll query to read both")
            # where each trigger's time went, in Spark's phases: the job's listener logs it (debug)
            triggers = wait_for(
                lambda: (
                    (t := {e["batch_id"]: e for e in logged if e["event"] == "trigger" and e["query"] == "gst_polls"})
                    and sum(e["rows"] for e in t.values()) == 2
                    and t
                ),
                "the poll query's triggers in the log",
            )
            capture.close()
            assert set(triggers) == {p["batchId"] for p in polls.recentProgress if p["numInputRows"]}
            assert all(
                e["triggerExecution_ms"] >= e["latestOffset_ms"] + e["addBatch_ms"] > 0 for e in triggers.values()
            )
            read = sorted(int(f.name) for f in commits.glob("[0-9]*"))
            time.sleep(3.0)  # 15 triggers, and the short poll's grace period runs out
            assert sorted(int(f.name) for f in commits.glob("[0-9]*")) == read  # no batch without records
            assert table(settings, "silver/polls").empty
            put(settings, [manifest(t0, later, 1).to_json(), snap(t0, later, 1).to_json()])
            wait_for(lambda: len(table(settings, "silver/polls")) == 2, "both polls closed")
        finally:
            job.stop()
    assert len(spark.streams._jsqm.listListeners()) == listeners  # the job's listener went with it
    polls = table(settings, "silver/polls").set_index("poll_id")
    assert polls.loc[short, "status"] == "partial" and polls.loc[short, "received"] == 1
    assert polls.loc[later, "status"] == "complete"


@contextlib.contextmanager
def debug_logs_captured():
    """structlog's events, debug ones included (a test before may have configured INFO and up)."""
    wrapper = structlog.get_config()["wrapper_class"]
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.DEBUG))
    try:
        with structlog.testing.capture_logs() as logged:
            yield logged
    finally:
        structlog.configure(wrapper_class=wrapper)


def wait_for(found, what, seconds=120.0):
    """`found()` once it is truthy, polled every 0.2 s; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while not (result := found()):
        assert time.monotonic() < deadline, f"waited {seconds:g} s for {what}"
        time.sleep(0.2)
    return result


def test_malformed_and_unknown_records_go_to_quarantine_with_reasons(spark, fresh):
    good = StreamSnapshot.create(
        source="twitch",
        observed_at=recent_slot(),
        poll_id="p",
        stream_id="s1",
        channel_id="c",
        channel_name="c",
        viewer_count=5,
    ).model_dump(mode="json")
    bad = [
        b"{not json",
        json.dumps({**good, "schema_version": 99}),
        json.dumps({**good, "kind": "chat_message"}),
        json.dumps({**good, "viewer_count": -3}),
        json.dumps({**good, "viewer_count": "many"}),
        json.dumps({**good, "event_id": "0" * 32}),
        json.dumps({**good, "observed_at": "yesterday"}),
        b"\xff\xfe binary",
    ]
    put(fresh, [*bad, json.dumps(good)])
    run_job(spark, fresh)
    quarantine = table(fresh, "quarantine/records")
    reasons = sorted(quarantine.reason)
    assert len(quarantine) == len(bad)
    for fragment in (
        "not UTF-8",
        "malformed JSON",
        "unknown schema_version 99",
        "unknown kind chat_message",
        "negative viewer_count",
        "mistyped field viewer_count",
        "event_id does not match",
        "observed_at",
    ):
        assert any(fragment in reason for reason in reasons), fragment
    assert "{not json" in set(quarantine.payload)
    assert "base64:" + base64.b64encode(b"\xff\xfe binary").decode() in set(quarantine.payload)
    assert list(table(fresh, "silver/stream_snapshots").event_id) == [good["event_id"]]


def test_redis_down_does_not_stop_the_lake_and_the_live_state_catches_up(spark, fresh, tmp_path):
    from gamestream.embedded.ports import free_port
    from gamestream.embedded.redis_server import redis_server

    port = free_port()
    settings = fresh.model_copy(
        update={"synthetic_scale": 0.002, "poll_grace_seconds": 3600, "redis_url": f"redis://127.0.0.1:{port}/0"}
    )
    records = synthetic_records(settings, polls=5)
    by_poll = sorted({r.poll_id.rsplit(":", 1)[1] for r in records})
    waves = [
        [r for r in records if r.poll_id.rsplit(":", 1)[1] in slots]
        for slots in (by_poll[:2], by_poll[2:4], by_poll[4:])
    ]
    with redis_server(port, tmp_path / "redis"):
        put(settings, [r.to_json() for r in waves[0]])
        job = run_job(spark, settings)
        assert job.poll_writer.redis_stale is False
    put(settings, [r.to_json() for r in waves[1]])  # Redis is down for these batches
    run_job(spark, settings, job)
    assert job.poll_writer.redis_stale is True
    polls = table(settings, "silver/polls")
    assert len(polls) == 16 and set(polls.status) == {"complete"}  # the lake went on
    with redis_server(port, tmp_path / "redis"):  # back, and empty: it kept nothing on disk
        put(settings, [r.to_json() for r in waves[2]])
        run_job(spark, settings, job)
        assert job.poll_writer.redis_stale is False
        live = redis.Redis.from_url(settings.redis_url, decode_responses=True)
        totals = table(settings, "silver/game_poll_totals")
        for platform, value in (("twitch", "viewers"), ("youtube", "viewers"), ("steam", "players")):
            mine = totals[totals.platform == platform]
            latest = mine[mine.scheduled_at == mine.scheduled_at.max()]
            assert dict(live.zrange(f"gst:live:{platform}", 0, -1, withscores=True)) == {
                row.game_key: float(getattr(row, value)) for row in latest.itertuples()
            }, platform
    job.live.close()


def test_a_new_checkpoint_on_the_same_lake_counts_nothing_twice(spark, streamed, tmp_path):
    small, records = streamed
    totals = table(small, "silver/game_poll_totals")
    restarted = small.model_copy(update={"checkpoint_root": str(tmp_path / "lost-and-recreated")})
    run_job(spark, restarted)  # batch ids start again at 0; the new checkpoint starts after what bronze holds
    assert len(table(small, "bronze/records")) == len(records)
    again = table(small, "silver/game_poll_totals")
    assert len(again) == len(totals)
    assert again.viewers.sum() == totals.viewers.sum() and again.players.sum() == totals.players.sum()
    assert (table(small, "silver/polls").received == table(small, "silver/polls").expected).all()
    live = redis.Redis.from_url(small.redis_url, decode_responses=True)
    ids = [int(i.split("-")[0]) for i, _ in live.xrange("gst:live:changes")]
    assert ids == sorted(ids) and len(live.keys("gst:live:run:*")) == 2  # the new run's feed ids continue above
