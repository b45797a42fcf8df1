from datetime import timedelta

from producers.poll_loop import PollLoop
from producers.steam import SteamPoller


def test_tracks_configured_chart_and_twitch_matched_apps(fixture, settings, clock, sink):
    state = fixture.state
    state.players = {730: 800_000, 570: 600_000, 271590: 90_000, 1172470: 150_000, 413150: 40_000}
    state.chart = [730, 570]
    state.reviews = {
        730: {
            "review_score": 8,
            "review_score_desc": "Very Positive",
            "total_positive": 900,
            "total_negative": 100,
            "total_reviews": 1000,
        }
    }
    local = settings.model_copy(update={"steam_app_ids": [413150, 999999]})
    poller = SteamPoller(local, clock, twitch_top_games=lambda: ["Grand Theft Auto V", "Apex Legends", "Just Chatting"])
    loop = PollLoop(poller, sink, clock)
    slot = clock.now()
    while not slot.timestamp() % poller.plan.tail_interval_s < poller.interval:
        slot += timedelta(seconds=poller.interval)
    loop.run_slot(slot)
    counts = {r.app_id: r.player_count for r in sink.of_kind("player_count")}
    assert counts == {730: 800_000, 570: 600_000, 413150: 40_000, 271590: 90_000, 1172470: 150_000}
    assert sink.of_kind("player_count")[0].app_name == "Counter-Strike: Global Offensive"
    (players,) = [m for m in sink.of_kind("poll_manifest") if m.record_kind == "player_count"]
    assert players.record_count == 5
    assert (players.pages, players.pages_failed) == (6, 1)  # app 999999 has no data (result 42)
    assert players.coverage == round(5 / 6, 4)
    assert "app 999999" in players.errors[0]
    reviews = {r.app_id: r for r in sink.of_kind("review_summary")}
    assert reviews[730].review_score == 8 and reviews[730].total_reviews == 1000
    assert len(reviews) == 6
    calls = [e for e in state.log if e.path.startswith("/appreviews/")]
    assert calls[0].params["json"] == ["1"] and calls[0].params["num_per_page"] == ["0"]


def test_reviews_are_polled_once_a_day_and_the_tail_less_often(fixture, settings, clock, sink):
    fixture.state.players = {730: 1, 570: 2, 440: 3}
    fixture.state.chart = [730, 570]
    poller = SteamPoller(settings.model_copy(update={"steam_app_ids": [440]}), clock)
    loop = PollLoop(poller, sink, clock)
    base = clock.now() - timedelta(seconds=clock.now().timestamp() % poller.plan.tail_interval_s)
    polled = []
    for k in range(int(poller.plan.tail_interval_s // poller.interval) * 2):
        sink.records.clear()
        slot = base + timedelta(seconds=k * poller.interval)
        clock.advance(max((slot - clock.now()).total_seconds(), 0))
        loop.run_slot(slot)
        polled.append(sorted(r.app_id for r in sink.of_kind("player_count")))
        if k == 0:
            assert len(sink.of_kind("review_summary")) == 3
        else:
            assert sink.of_kind("review_summary") == []
    with_tail = [apps for apps in polled if 440 in apps]
    assert len(with_tail) == 2 and all({570, 730} <= set(apps) for apps in polled)
    assert poller.quota.used == sum(len(p) for p in polled) + 3 + 1  # players + reviews + one chart call


def test_steam_budget_is_never_exceeded(fixture, settings, clock, sink):
    fixture.state.players = {730: 1}
    fixture.state.chart = [730]
    poller = SteamPoller(settings, clock)
    poller.quota.limit = 3  # one chart call, one review, one player count
    loop = PollLoop(poller, sink, clock)
    loop.run_slot(clock.now())
    assert len(sink.of_kind("player_count")) == 1
    clock.advance(poller.interval)
    loop.run_slot(clock.now())
    (refused,) = [m for m in sink.of_kind("poll_manifest") if m.record_kind == "player_count"][1:]
    assert refused.coverage == 0.0 and "daily quota" in refused.errors[0]
    assert len([e for e in fixture.state.log if "GetNumberOfCurrentPlayers" in e.path]) == 1
