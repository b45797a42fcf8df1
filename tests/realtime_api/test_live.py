"""The live feed over a real server (uvicorn) and the real Redis: snapshot, every change exactly once
and in order, filters, resume, a slow client dropped without slowing a fast one, origins, the cap."""

import base64
import contextlib
import json
import os
import socket
import threading
import time
from collections import Counter
from datetime import timedelta
from urllib.parse import urlencode

import httpx
import pytest
import redis
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from gamestream.core.live_keys import CHANGES
from gamestream.core.settings import Settings
from gamestream.embedded.ports import free_port
from realtime_api.app import create_app
from realtime_api.models.live import LIVE_MESSAGE
from realtime_api.server import background_api
from tests.support.market import END, live_polls, top_channels

ORIGIN = "http://127.0.0.1:8000"


@pytest.fixture()
def server(api_redis_url, tmp_path):
    def start(**overrides):
        settings = Settings(
            _env_file=None,
            redis_url=api_redis_url,
            api_port=free_port(),
            warehouse_url=f"duckdb:///{tmp_path / 'none.duckdb'}",
            api_ws_heartbeat_seconds=0.5,
            **overrides,
        )
        return settings, background_api(create_app(settings, dashboard=None), settings)

    return start


def url(settings, **params):
    return f"ws://127.0.0.1:{settings.api_port}/ws/live?{urlencode(params)}"


def receive(ws, timeout=10):
    """The next message, which must be one the LiveMessage schema describes."""
    message = json.loads(ws.recv(timeout=timeout))
    LIVE_MESSAGE.validate_python(message)
    return message


def messages_until(ws, last_id, skip_heartbeats=True):
    """The messages until the one holding the change `last_id`."""
    got = []
    while True:
        message = receive(ws)
        if message["type"] == "heartbeat" and skip_heartbeats:
            continue
        got.append(message)
        if any(change["id"] == last_id for change in message.get("changes", [])):
            return got


def changes_until(ws, last_id, skip_heartbeats=True):
    """The changes (and other messages) until the change `last_id`, each message's changes in turn."""
    return [
        item
        for message in messages_until(ws, last_id, skip_heartbeats)
        for item in (message["changes"] if message["type"] == "changes" else [message])
    ]


def feed_ids(redis_url, after):
    return [
        entry_id
        for entry_id, _ in redis.Redis.from_url(redis_url, decode_responses=True).xrange(CHANGES, min=f"({after}")
    ]


def test_snapshot_then_every_change_exactly_once_in_order(server, live, api_redis_url):
    settings, running = server()
    with running, connect(url(settings, platforms="twitch", channels="true"), origin=ORIGIN) as ws:
        snapshot = receive(ws)
        assert snapshot["type"] == "snapshot" and set(snapshot["platforms"]) == {"twitch"}
        twitch = snapshot["platforms"]["twitch"]
        sent = sorted(live_polls(1)[0].games, key=lambda g: -g["value"])
        assert [(g["game"], g["value"]) for g in twitch["games"]] == [(g["key"], g["value"]) for g in sent]
        assert twitch["games"][0]["top_channels"] == top_channels(sent[0]["key"], sent[0]["value"])
        assert twitch["total"] == sum(g["value"] for g in twitch["games"])
        position = snapshot["position"]

        publisher = threading.Thread(
            target=lambda: [
                live.apply("fixture", b, [p]) for b, p in enumerate(live_polls(40, END + timedelta(minutes=1)), start=1)
            ]
        )
        publisher.start()
        publisher.join()
        expected = feed_ids(api_redis_url, position)
        assert len(expected) == 40 * 5  # four games and the total per poll
        messages = messages_until(ws, expected[-1])
        got = [change for message in messages for change in message["changes"]]
        assert [m["id"] for m in got] == expected
        assert all(m["type"] == "change" and m["platform"] == "twitch" for m in got)
        # what the feed read together travels in one message: a poll's games and total (written together)
        # are never split, and a reader catching up sends several polls at once
        assert len(messages) <= 40
        for message in messages:
            assert set(Counter(change["poll_id"] for change in message["changes"]).values()) == {5}
        totals = [m for m in got if m["game"] == "*"]
        assert totals[-1]["value"] == sum(m["value"] for m in got[-5:-1])
        flags = {m["game"]: m.get("is_game") for m in got}  # the feed says which categories are no games
        assert flags["just chatting"] is False and flags["dota 2"] is True and flags["*"] is None
        last = got[-5]  # a game's change carries its top channels now, the total none
        assert last["top_channels"] == top_channels(last["game"], last["value"]) and got[-1]["top_channels"] is None


def test_filters_by_platform_and_game(server, live, api_redis_url):
    settings, running = server()
    with (
        running,
        connect(url(settings, platforms="twitch", games="dota 2"), origin=ORIGIN) as dota,
        connect(url(settings, platforms="steam"), origin=ORIGIN) as steam,
    ):
        position = receive(dota)["position"]
        assert receive(steam)["platforms"]["steam"]["games"] == []
        for batch, poll in enumerate(live_polls(3, END + timedelta(minutes=1)), start=1):
            live.apply("fixture", batch, [poll])
        last = feed_ids(api_redis_url, position)[-1]
        got = changes_until(dota, last)
        assert {m["game"] for m in got} == {"dota 2", "*"} and len(got) == 6
        assert all(m["top_channels"] is None for m in got)  # a client that did not ask for channels gets none
        assert receive(steam)["type"] == "heartbeat"  # nothing for Steam, only heartbeats


def test_a_client_resumes_from_its_last_id_or_gets_a_fresh_snapshot(server, live, api_redis_url):
    settings, running = server()
    with running:
        with connect(url(settings), origin=ORIGIN) as ws:
            position = receive(ws)["position"]
        for batch, poll in enumerate(live_polls(4, END + timedelta(minutes=1)), start=1):
            live.apply("fixture", batch, [poll])
        missed = feed_ids(api_redis_url, position)
        with connect(url(settings, last_id=position), origin=ORIGIN) as ws:
            assert receive(ws) == {"type": "resumed", "after": position}
            assert [m["id"] for m in changes_until(ws, missed[-1])] == missed
        redis.Redis.from_url(api_redis_url).xtrim(
            CHANGES, maxlen=2, approximate=False
        )  # the feed is capped: old ids fall off
        with connect(url(settings, last_id=position), origin=ORIGIN) as ws:
            snapshot = receive(ws)
            assert snapshot["type"] == "snapshot" and snapshot["position"] == missed[-1]


def never_reading_client(settings):
    """A WebSocket client that completes the handshake and then never reads (a stalled phone)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", settings.api_port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        (
            f"GET /ws/live HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\nOrigin: {ORIGIN}\r\n\r\n"
        ).encode()
    )
    response = b""
    while b"\r\n\r\n" not in response:
        response += sock.recv(1)
    assert response.startswith(b"HTTP/1.1 101"), response
    return sock


def test_a_slow_client_is_dropped_without_slowing_the_others(server, live, api_redis_url):
    settings, running = server(api_ws_queue_size=100)
    big = [{**g, "name": g["name"] + " " + "x" * 2000} for g in live_polls(1)[0].games]
    polls = live_polls(600, END + timedelta(minutes=1))
    for poll in polls:
        poll.games = [{**g, "name": b["name"]} for g, b in zip(poll.games, big)]
    with (
        running,
        connect(url(settings), origin=ORIGIN, max_queue=None) as fast,
        contextlib.closing(never_reading_client(settings)),
    ):
        position = receive(fast)["position"]
        for batch, poll in enumerate(polls, start=1):  # the fast client's reader thread keeps up meanwhile
            live.apply("fixture", batch, [poll])
        expected = feed_ids(api_redis_url, position)
        got = [m for m in changes_until(fast, expected[-1]) if m["type"] == "change"]
        assert [m["id"] for m in got] == expected and len(expected) == 600 * 5
        # the slow client cannot even read its close frame (4000, "client too slow"); the server has
        # let it go: counted as dropped, no longer served
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and metric(settings, "gst_ws_clients") != 1.0:
            time.sleep(0.2)
        assert metric(settings, "gst_ws_dropped_total") == 1.0 and metric(settings, "gst_ws_clients") == 1.0


def metric(settings, name):
    text = httpx.get(f"http://127.0.0.1:{settings.api_port}/metrics").text
    return next(float(line.split()[-1]) for line in text.splitlines() if line.startswith(name + " "))


def test_origins_outside_the_allowlist_and_connections_past_the_cap_are_refused(server, live):
    settings, running = server(api_ws_max_clients=1)
    with running:
        with pytest.raises(InvalidStatus) as refused:
            connect(url(settings), origin="https://evil.example")
        assert refused.value.response.status_code == 403
        with connect(url(settings), origin=ORIGIN) as first:
            assert receive(first)["type"] == "snapshot"
            with connect(url(settings), origin=ORIGIN) as second, pytest.raises(ConnectionClosed) as closed:
                second.recv(timeout=5)
            assert closed.value.rcvd.code == 1013
        for bad_params in ({"platforms": "xbox"}, {"channels": "yes"}):
            with connect(url(settings, **bad_params), origin=ORIGIN) as bad, pytest.raises(ConnectionClosed) as closed:
                bad.recv(timeout=5)
            assert closed.value.rcvd.code == 1008 and "channels (true, false)" in closed.value.rcvd.reason


def test_one_address_holds_at_most_its_cap_of_connections(server, live):
    settings, running = server(api_ws_max_per_address=2)
    with running:
        first, second = connect(url(settings), origin=ORIGIN), connect(url(settings), origin=ORIGIN)
        assert receive(first)["type"] == receive(second)["type"] == "snapshot"
        with connect(url(settings), origin=ORIGIN) as third, pytest.raises(ConnectionClosed) as closed:
            third.recv(timeout=5)
        assert closed.value.rcvd.code == 1008
        assert closed.value.rcvd.reason == "at most 2 live connections from one address"
        first.close()
        time.sleep(0.5)  # the server notices the close, and frees the address's place
        with connect(url(settings), origin=ORIGIN) as again:
            assert receive(again)["type"] == "snapshot"
        second.close()
        metrics = httpx.get(f"http://127.0.0.1:{settings.api_port}/metrics").text
        assert 'gst_ws_refused_total{reason="address"} 1.0' in metrics


def test_a_feed_entry_that_is_not_a_change_is_skipped_and_the_feed_goes_on(server, live, api_redis_url):
    """An entry without the fields of a change (written by something else than the job's script) is
    logged and left out: the clients get the changes around it, never a message the schema lacks."""
    settings, running = server()
    with running, connect(url(settings, platforms="twitch"), origin=ORIGIN) as ws:
        position = receive(ws)["position"]
        client = redis.Redis.from_url(api_redis_url, decode_responses=True)
        top = feed_ids(api_redis_url, position)
        first = int((top[-1] if top else position).split("-")[0]) + 1
        stray = client.xadd(CHANGES, {"platform": "twitch", "game": "dota 2"}, id=f"{first}-1")  # no value, no name
        assert live.apply("after-the-stray", 1, [live_polls(1, END + timedelta(minutes=1))[0]]) > 0
        expected = [i for i in feed_ids(api_redis_url, position) if i != stray]
        got = changes_until(ws, expected[-1])
        assert [m["id"] for m in got] == expected and stray not in {m["id"] for m in got}
