from datetime import timedelta

from producers.poll_loop import PollLoop
from producers.twitch import TwitchPoller
from tests.support.platforms import make_streams


def head_slot(poller, clock):
    """A slot that is a head poll (not a sweep) at or after the clock's time."""
    slot = clock.now()
    while poller.is_sweep(slot):
        slot += timedelta(seconds=poller.interval)
    return slot


def manifests(sink, kind="stream_snapshot"):
    return [m for m in sink.of_kind("poll_manifest") if m.record_kind == kind]


def test_head_poll_pages_with_cursor_and_counts_a_repeated_stream_once(fixture, settings, clock, sink):
    fixture.state.streams = make_streams(450)
    fixture.state.games = [
        {"id": "21779", "name": "League of Legends", "box_art_url": "", "igdb_id": "115"},
        {"id": "509658", "name": "Just Chatting", "box_art_url": "", "igdb_id": ""},
    ]
    fixture.state.shift_after_page = 1
    poller = TwitchPoller(settings, clock)
    loop = PollLoop(poller, sink, clock)
    loop.run_slot(head_slot(poller, clock))
    streams = sink.of_kind("stream_snapshot")
    ids = [s.stream_id for s in streams]
    assert len(ids) == len(set(ids)) == 299  # 3 pages of 100, one id repeated across pages 1 and 2
    cursors = [e.params.get("after") for e in fixture.state.log if e.path == "/helix/streams"]
    assert cursors == [None, ["100"], ["200"]]
    (manifest,) = manifests(sink)
    assert manifest.record_count == 299
    assert (manifest.pages, manifest.pages_failed, manifest.coverage) == (3, 0, 1.0)
    assert all(s.poll_id == manifest.poll_id for s in streams)
    categories = sink.of_kind("category_snapshot")
    assert [(c.game_name, c.rank) for c in categories] == [("League of Legends", 1), ("Just Chatting", 2)]
    assert manifests(sink, "category_snapshot")[0].record_count == 2


def test_sweep_reads_every_page_within_800_points_in_any_minute(fixture, settings, clock, sink):
    fixture.state.streams = make_streams(100 * 1000)  # ~100k live streams at peak: 1,000 pages
    poller = TwitchPoller(settings, clock)
    slot = clock.now()
    while not poller.is_sweep(slot):
        slot += timedelta(seconds=poller.interval)
    clock.advance((slot - clock.now()).total_seconds())
    manifest_list = PollLoop(poller, sink, clock).run_slot(slot)
    (streams,) = [m for m in manifest_list if m.record_kind == "stream_snapshot"]
    assert streams.record_count == 100_000
    assert streams.coverage == 1.0
    assert streams.overran  # 1,000 pages at <= 720/min cannot fit a 60 s slot: recorded, not hidden
    assert fixture.state.twitch_points_in_any_window(60) <= 800
    assert not [e for e in fixture.state.log if e.status == 429]
    assert poller.last_sweep_pages == 1000


def test_expired_token_is_refreshed_before_use_and_on_401(fixture, settings, clock, sink):
    fixture.state.streams = make_streams(50)
    fixture.state.token_lifetime = 600
    poller = TwitchPoller(settings, clock)
    loop = PollLoop(poller, sink, clock)
    loop.run_slot(head_slot(poller, clock))
    assert poller.tokens_fetched == 1
    clock.advance(599 - 5 * 60 + 1)  # inside the refresh margin: refreshed before it expires
    loop.run_slot(head_slot(poller, clock))
    assert poller.tokens_fetched == 2
    fixture.state.tokens.clear()  # revoked server-side: the next call gets 401 and re-authenticates
    clock.advance(60)
    loop.run_slot(head_slot(poller, clock))
    assert poller.tokens_fetched == 3
    assert [m.coverage for m in manifests(sink)] == [1.0, 1.0, 1.0]
    assert any(e.status == 401 for e in fixture.state.log)


def test_429_waits_until_ratelimit_reset(fixture, settings, clock, sink):
    fixture.state.streams = make_streams(300)
    poller = TwitchPoller(settings, clock)
    slot = head_slot(poller, clock)
    fixture.state.fault("/helix/streams", "429")
    PollLoop(poller, sink, clock).run_slot(slot)
    rate_limited = next(e for e in fixture.state.log if e.status == 429)
    retried = [e for e in fixture.state.log if e.path == "/helix/streams" and e.status == 200][0]
    assert (retried.at - rate_limited.at).total_seconds() >= 30  # the fixture's Ratelimit-Reset is now + 30 s
    assert manifests(sink)[0].coverage == 1.0


def test_5xx_timeouts_and_garbage_lower_coverage_and_the_poller_keeps_running(fixture, settings, clock, sink):
    fixture.state.streams = make_streams(300)
    poller = TwitchPoller(settings.model_copy(update={"http_timeout_seconds": 0.3}), clock)  # the fixture stalls 0.6 s
    loop = PollLoop(poller, sink, clock)
    fixture.state.fault("/helix/streams", "503", "timeout")  # retried: the page still arrives
    loop.run_slot(head_slot(poller, clock))
    first = manifests(sink)[-1]
    assert (first.record_count, first.coverage, first.errors) == (300, 1.0, [])

    clock.advance(120)
    sink.records.clear()
    fixture.state.fault("/helix/streams", "pass", "garbage", "garbage", "garbage", "garbage")
    loop.run_slot(head_slot(poller, clock))  # page 2 fails on every attempt: page 1 is kept
    second = manifests(sink)[-1]
    assert second.record_count == 100
    assert (second.pages, second.pages_failed) == (2, 1)
    assert second.coverage == round(1 / 3, 4)
    assert "malformed JSON" in second.errors[0]
    assert len(sink.of_kind("stream_snapshot")) == 100

    clock.advance(120)
    sink.records.clear()
    fixture.state.faults.clear()
    loop.run_slot(head_slot(poller, clock))
    assert manifests(sink)[-1].coverage == 1.0  # the next poll is whole again
    assert loop.health.errors == 1 and loop.health.polls == 3


def test_a_stopping_producer_ends_a_sweep_at_the_next_page_with_its_manifest(fixture, settings, clock, sink):
    fixture.state.streams = make_streams(100 * 50)
    poller = TwitchPoller(settings, clock)
    slot = clock.now()
    while not poller.is_sweep(slot):
        slot += timedelta(seconds=poller.interval)
    loop = PollLoop(poller, sink, clock)
    send = sink.send

    def stop_during_the_second_page(record):
        send(record)
        if len(sink.of_kind("stream_snapshot")) == 150:
            loop.stop.set()  # what SIGTERM does in `gst produce`

    sink.send = stop_during_the_second_page
    (streams,) = [m for m in loop.run_slot(slot) if m.record_kind == "stream_snapshot"]
    assert streams.pages == 2 and streams.record_count == 200 == len(sink.of_kind("stream_snapshot"))
    assert streams.coverage < 1 and "producer stopping: poll ended before page 3" in streams.errors
    assert loop.health.records_sent == len(sink.records)
