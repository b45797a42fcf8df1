"""The real pollers against the platforms' published examples, served over HTTP byte for byte as the
fixtures under fixtures/reference/ hold them (README.md there names the page each one follows), and
against the quirks users meet on the wire, built from those examples: an empty game_id, an empty
pagination object, viewer counts that change while paging, a stream that moves between pages, an app
Steam does not know, a live video whose viewer count YouTube leaves out."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from gamestream.core.settings import Settings
from producers.poll_loop import PollLoop
from producers.steam import SteamPoller
from producers.twitch import TwitchPoller
from producers.youtube import YouTubePoller
from tests.support.http import ServedInThread
from tests.support.producers import platform_settings

REFERENCE = Path(__file__).parent / "fixtures" / "reference"
NOT_FOUND = (404, b'{"error":"Not Found","status":404,"message":"no such route in this test"}')
TOKEN = b'{"access_token":"reference-test-token","expires_in":5011271,"token_type":"bearer"}'
UNKNOWN_APP = 999_999_990

Params = dict[str, list[str]]
Answer = Callable[[Params], tuple[int, bytes]]


def reference(name: str) -> bytes:
    """A reference body exactly as stored: what the server sends."""
    return (REFERENCE / name).read_bytes()


def reference_json(name: str) -> Any:
    return json.loads(reference(name))


def body(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False).encode()


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        self._answer("GET")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self._answer("POST")

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        platform = self.server.platform
        platform.requests.append((method, parts.path, params))
        answer = platform.routes.get((method, parts.path))
        status, payload = answer(params) if answer else NOT_FOUND
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


class _Server(ThreadingHTTPServer):
    def __init__(self, platform: ScriptedPlatform):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.platform = platform


class ScriptedPlatform(ServedInThread):
    """Answers each (method, path) with what the test scripted; anything else is a 404."""

    def __init__(self) -> None:
        self.routes: dict[tuple[str, str], Answer] = {}
        self.requests: list[tuple[str, str, Params]] = []
        super().__init__(_Server(self))

    def serve(self, path: str, answer: Answer, method: str = "GET") -> None:
        self.routes[(method, path)] = answer

    def params(self, path: str) -> list[Params]:
        return [params for _, p, params in self.requests if p == path]


@pytest.fixture()
def platform() -> Iterator[ScriptedPlatform]:
    with ScriptedPlatform() as served:
        yield served


@pytest.fixture()
def ref_settings(platform: ScriptedPlatform) -> Settings:
    return platform_settings(platform.url, http_timeout_seconds=2.0, twitch_head_pages=5)


def manifest_for(sink, kind: str):
    (manifest,) = [m for m in sink.of_kind("poll_manifest") if m.record_kind == kind]
    return manifest


# --- Twitch Helix ---------------------------------------------------------------------------------------------


def serve_helix(platform: ScriptedPlatform, pages: dict[str | None, bytes], games: bytes) -> None:
    """/helix/streams answers by its `after` cursor (None: the first page)."""
    platform.serve("/oauth2/token", lambda _: (200, TOKEN), method="POST")
    platform.serve("/helix/games/top", lambda _: (200, games))

    def streams(params: Params) -> tuple[int, bytes]:
        after = params.get("after", [None])[0]
        return (200, pages[after]) if after in pages else NOT_FOUND

    platform.serve("/helix/streams", streams)


def head_poll(poller: TwitchPoller, sink, clock) -> None:
    slot = clock.now()
    while poller.is_sweep(slot):
        slot += timedelta(seconds=poller.interval)
    PollLoop(poller, sink, clock).run_slot(slot)


def reference_stream(**changes: Any) -> dict[str, Any]:
    """The Get Streams reference entry, with what a quirk changes."""
    return {**reference_json("twitch_get_streams.json")["data"][0], **changes}


def test_helix_reference_examples_become_records_field_by_field(platform, ref_settings, clock, sink):
    cursor = reference_json("twitch_get_streams.json")["pagination"]["cursor"]
    serve_helix(
        platform,
        pages={None: reference("twitch_get_streams.json"), cursor: reference("twitch_get_streams_by_login.json")},
        games=reference("twitch_get_top_games.json"),
    )
    head_poll(TwitchPoller(ref_settings, clock), sink, clock)

    requested = platform.params("/helix/streams")
    assert [p.get("after") for p in requested] == [None, [cursor]]  # the opaque cursor, passed back untouched
    assert all(p["first"] == ["100"] and p["type"] == ["live"] for p in requested)
    manifest = manifest_for(sink, "stream_snapshot")
    assert (manifest.record_count, manifest.pages, manifest.pages_failed, manifest.coverage) == (2, 2, 0, 1.0)
    assert manifest.errors == []  # `"pagination": {}` on page 2 ended the listing, 3 pages short of the plan

    first, second = sink.of_kind("stream_snapshot")
    assert (first.source, first.platform, first.poll_id) == ("twitch", "twitch", manifest.poll_id)
    assert first.stream_id == "123456789"
    assert first.channel_id == "98765"
    assert first.channel_name == "SandySanderman"  # user_name, the display name, over user_login
    assert (first.user_login, first.schema_version) == ("sandysanderman", 2)  # the name in the channel's URL
    assert (first.game_id, first.game_name) == ("494131", "Little Nightmares")
    assert first.viewer_count == 78365
    assert first.started_at == datetime(2021, 3, 10, 15, 4, 21, tzinfo=UTC)
    assert first.language == "es"
    assert first.is_mature is False
    assert first.title == "hablamos y le damos a Little Nightmares 1"
    assert second.stream_id == "40952121085"
    assert (second.channel_id, second.channel_name, second.user_login) == ("101051819", "Afro", "afro")
    assert (second.game_id, second.game_name) == ("32982", "Grand Theft Auto V")
    assert second.viewer_count == 1490
    assert second.started_at == datetime(2021, 3, 10, 3, 18, 11, tzinfo=UTC)
    assert second.title == "Jacob: Digital Den Laptops & Routers | NoPixel | !MAINGEAR !FCF"
    assert (second.language, second.is_mature) == ("en", False)

    (game,) = sink.of_kind("category_snapshot")
    assert (game.game_id, game.game_name, game.rank, game.igdb_id) == ("493057", "PUBG: BATTLEGROUNDS", 1, "27789")
    assert (game.source, game.platform) == ("twitch", "twitch")
    assert manifest_for(sink, "category_snapshot").record_count == 1
    assert platform.params("/helix/games/top") == [{"first": ["100"]}]


def test_an_empty_game_id_and_igdb_id_are_absent_and_empty_pagination_ends_the_listing(
    platform, ref_settings, clock, sink
):
    no_category = reference_stream(id="40000000001", game_id="", game_name="")
    games = reference_json("twitch_get_top_games.json")
    games["data"][0]["igdb_id"] = (
        ""  # "If the IGDB ID is not available to Twitch, this field is set to an empty string."
    )
    serve_helix(platform, pages={None: body({"data": [no_category], "pagination": {}})}, games=body(games))
    head_poll(TwitchPoller(ref_settings, clock), sink, clock)

    (stream,) = sink.of_kind("stream_snapshot")
    assert (stream.stream_id, stream.game_id, stream.game_name) == ("40000000001", None, None)
    assert len(platform.params("/helix/streams")) == 1  # {} has no cursor: no second request
    manifest = manifest_for(sink, "stream_snapshot")
    assert (manifest.pages, manifest.coverage, manifest.errors) == (1, 1.0, [])
    (game,) = sink.of_kind("category_snapshot")
    assert game.igdb_id is None


def test_viewer_counts_change_while_paging_and_a_stream_that_moves_pages_counts_once(
    platform, ref_settings, clock, sink
):
    """Helix sorts by viewers while we page. Between page 1 and page 2, B lost viewers and slid onto
    page 2, and E gained viewers and rose onto page 1, which was already read."""

    def stream(key: str, viewers: int) -> dict[str, Any]:
        return reference_stream(
            id=f"4100000000{key}", user_id=f"7700{key}", user_login=f"user_{key}", viewer_count=viewers
        )

    page_1 = [stream("1", 900), stream("2", 800)]  # A, B
    page_2 = [stream("3", 700), stream("2", 500)]  # C, then B again with fewer viewers (E, now 850, is on page 1)
    page_3 = [stream("4", 300)]  # D
    serve_helix(
        platform,
        pages={
            None: body({"data": page_1, "pagination": {"cursor": "eyJwYWdlIjoyfQ=="}}),
            "eyJwYWdlIjoyfQ==": body({"data": page_2, "pagination": {"cursor": "eyJwYWdlIjozfQ=="}}),
            "eyJwYWdlIjozfQ==": body({"data": page_3, "pagination": {}}),
        },
        games=reference("twitch_get_top_games.json"),
    )
    head_poll(TwitchPoller(ref_settings, clock), sink, clock)

    counts = {s.stream_id: s.viewer_count for s in sink.of_kind("stream_snapshot")}
    assert counts == {"41000000001": 900, "41000000002": 800, "41000000003": 700, "41000000004": 300}
    assert len(sink.of_kind("stream_snapshot")) == 4  # B once, as first seen (800, page 1), not 500 from page 2
    manifest = manifest_for(sink, "stream_snapshot")
    assert (manifest.record_count, manifest.pages, manifest.coverage, manifest.errors) == (4, 3, 1.0, [])
    # E never appears: Twitch warns of "duplicate or missing streams" while paging; a missed one is not an error.


# --- Steam ------------------------------------------------------------------------------------------------------


def test_steam_player_counts_and_an_app_steam_does_not_know(platform, ref_settings, clock, sink):
    answers = {
        "730": (200, reference("steam_get_number_of_current_players.json")),
        str(UNKNOWN_APP): (404, reference("steam_get_number_of_current_players_unknown_app.json")),
    }
    platform.serve("/ISteamUserStats/GetNumberOfCurrentPlayers/v1/", lambda p: answers[p["appid"][0]])
    platform.serve("/ISteamChartsService/GetMostPlayedGames/v1/", lambda _: (200, b'{"response":{"ranks":[]}}'))
    poller = SteamPoller(ref_settings.model_copy(update={"steam_app_ids": [UNKNOWN_APP, 730]}), clock)
    loop = PollLoop(poller, sink, clock)
    tail = poller.plan.tail_interval_s
    slot = clock.now() - timedelta(seconds=clock.now().timestamp() % tail) + timedelta(seconds=tail)
    clock.advance((slot - clock.now()).total_seconds())
    loop.run_slot(slot)

    (count,) = sink.of_kind("player_count")
    assert (count.app_id, count.player_count) == (730, 1307485)
    assert count.app_name == "Counter-Strike: Global Offensive"
    assert (count.source, count.kind) == ("steam", "player_count")
    manifest = manifest_for(sink, "player_count")
    assert (manifest.record_count, manifest.pages, manifest.pages_failed, manifest.coverage) == (1, 2, 1, 0.5)
    (error,) = manifest.errors
    assert error.startswith(f"app {UNKNOWN_APP}: HTTP 404") and '"result":42' in error
    asked = [p["appid"][0] for p in platform.params("/ISteamUserStats/GetNumberOfCurrentPlayers/v1/")]
    assert asked.count(str(UNKNOWN_APP)) == 1  # a 404 is an answer, not a fault: not retried

    sink.records.clear()
    clock.advance(tail)
    loop.run_slot(
        slot + timedelta(seconds=tail)
    )  # the poller keeps going and keeps asking (a pre-release app goes live)
    assert [c.app_id for c in sink.of_kind("player_count")] == [730]
    assert manifest_for(sink, "player_count").pages_failed == 1
    assert loop.health.polls == 2


# --- YouTube ----------------------------------------------------------------------------------------------------


def test_youtube_videos_list_with_and_without_concurrent_viewers(platform, ref_settings, clock, sink):
    videos = reference("youtube_videos_list.json")
    platform.serve("/youtube/v3/search", lambda _: (200, reference("youtube_search_list.json")))
    platform.serve("/youtube/v3/videos", lambda _: (200, videos))  # whatever `videos` holds when asked
    poller = YouTubePoller(ref_settings, clock)
    loop = PollLoop(poller, sink, clock)
    loop.run_slot(clock.now())

    (video,) = sink.of_kind("video_snapshot")  # only the broadcast that shows a viewer count
    assert (video.source, video.kind) == ("youtube", "video_snapshot")
    assert video.video_id == "GsTlive0001"
    assert (video.channel_id, video.channel_title) == ("UCgstFixture000000000001", "GST Fixture One")
    assert video.title == "Hardcore day 100 🔴 LIVE"
    assert video.tags == ["Minecraft", "hardcore"]
    assert video.game_name == "Minecraft"
    assert video.concurrent_viewers == 1834  # the API sends uint64 counts as JSON strings
    assert (video.view_count, video.like_count) == (48213, 3120)
    assert video.actual_start_time == datetime(2026, 11, 26, 1, 0, 3, tzinfo=UTC)
    manifest = manifest_for(sink, "video_snapshot")
    assert (manifest.record_count, manifest.pages, manifest.coverage, manifest.errors) == (1, 1, 1.0, [])
    assert video.poll_id == manifest.poll_id
    (asked,) = platform.params("/youtube/v3/videos")
    assert asked["part"] == ["snippet,statistics,liveStreamingDetails"]
    assert asked["id"] == ["GsTlive0001,GsTlive0002,GsTended003"]
    # Ended (actualEndTime): no longer tracked. Live without concurrentViewers: no record, still tracked.
    assert set(poller.live) == {"GsTlive0001", "GsTlive0002"}

    later = reference_json("youtube_videos_list.json")
    later["items"][1]["liveStreamingDetails"]["concurrentViewers"] = "211"  # its count is shown again
    videos = body({**later, "items": later["items"][:2]})
    sink.records.clear()
    clock.advance(poller.interval)
    loop.run_slot(clock.now())
    assert {v.video_id: v.concurrent_viewers for v in sink.of_kind("video_snapshot")} == {
        "GsTlive0001": 1834,
        "GsTlive0002": 211,
    }
    assert {v.video_id: v.game_name for v in sink.of_kind("video_snapshot")}["GsTlive0002"] == "Dota 2"
    assert platform.params("/youtube/v3/videos")[1]["id"] == ["GsTlive0001,GsTlive0002"]
    assert len(platform.params("/youtube/v3/search")) == 1  # a refresh, not a new discovery
