from producers.poll_loop import PollLoop
from producers.youtube import YouTubePoller


def video(video_id, title, tags, viewers, ended=False):
    live = {"actualStartTime": "2026-11-26T01:00:00Z"}
    if viewers is not None:
        live["concurrentViewers"] = str(viewers)
    if ended:
        live["actualEndTime"] = "2026-11-26T02:59:00Z"
    return {
        "id": video_id,
        "snippet": {"title": title, "channelId": f"UC{video_id}", "channelTitle": "ch", "tags": tags},
        "statistics": {"viewCount": "1200", "likeCount": "40"},
        "liveStreamingDetails": live,
    }


def test_discovers_refreshes_and_attributes_games(fixture, settings, clock, sink):
    state = fixture.state
    state.search_ids = [f"v{i}" for i in range(60)]
    state.videos = {f"v{i}": video(f"v{i}", f"stream {i}", [], 10 + i) for i in range(60)}
    state.videos["v0"] = video("v0", "DARK SOULS III no-hit run", [], 5000)
    state.videos["v1"] = video("v1", "chill", ["Minecraft", "survival"], 300)
    state.videos["v2"] = video("v2", "ended", [], 7, ended=True)
    poller = YouTubePoller(settings, clock)
    loop = PollLoop(poller, sink, clock)
    loop.run_slot(clock.now())
    videos = {v.video_id: v for v in sink.of_kind("video_snapshot")}
    assert len(videos) == 59
    assert videos["v0"].game_name == "Dark Souls III" and videos["v0"].concurrent_viewers == 5000
    assert videos["v1"].game_name == "Minecraft"
    assert videos["v5"].game_name == "unattributed"
    assert videos["v0"].view_count == 1200
    assert "v2" not in poller.live  # ended broadcasts are dropped
    searches = [e for e in state.log if e.path == "/youtube/v3/search"]
    assert searches[0].params["eventType"] == ["live"] and searches[0].params["videoCategoryId"] == ["20"]
    batches = [e.params["id"][0].split(",") for e in state.log if e.path == "/youtube/v3/videos"]
    assert [len(b) for b in batches] == [50, 10]
    assert poller.quota.used == 2 * 100 + 2
    assert all(e.params["key"] == ["fixture-key"] for e in state.log)

    clock.advance(poller.interval)
    loop.run_slot(clock.now())  # a refresh: no new search before the discovery interval
    assert len([e for e in state.log if e.path == "/youtube/v3/search"]) == 2
    (m1, m2) = [m for m in sink.of_kind("poll_manifest") if m.record_kind == "video_snapshot"]
    assert (m1.record_count, m2.record_count) == (59, 59)


def test_quota_refusal_is_recorded_not_fatal(fixture, settings, clock, sink):
    fixture.state.search_ids = ["a"]
    fixture.state.videos = {"a": video("a", "x", [], 1)}
    poller = YouTubePoller(settings, clock)
    poller.quota.limit = 50  # less than one search.list
    PollLoop(poller, sink, clock).run_slot(clock.now())
    errors = [e for m in sink.of_kind("poll_manifest") for e in m.errors]
    assert any("daily quota" in e for e in errors)
    assert fixture.state.log == []
