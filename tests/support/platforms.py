"""A local HTTP server speaking the documented shapes of Steam, Twitch Helix and YouTube Data v3
with scripted faults and a request log stamped by the test's clock."""

from __future__ import annotations

import json
import time
from collections import defaultdict, deque
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from gamestream.core.clock import ManualClock
from tests.support.http import ServedInThread

TWITCH_POINTS = 800


@dataclass
class Logged:
    at: Any
    method: str
    path: str
    params: dict[str, list[str]]
    status: int
    body: bytes = b""  # what was served, byte for byte


@dataclass
class PlatformState:
    clock: ManualClock
    streams: list[dict[str, Any]] = field(default_factory=list)
    games: list[dict[str, Any]] = field(default_factory=list)
    token_lifetime: int = 3600
    players: dict[int, int] = field(default_factory=dict)
    chart: list[int] = field(default_factory=list)
    reviews: dict[int, dict[str, Any]] = field(default_factory=dict)
    search_ids: list[str] = field(default_factory=list)
    videos: dict[str, dict[str, Any]] = field(default_factory=dict)
    shift_after_page: int | None = None  # insert a new top stream after this page: the list shifts
    faults: dict[str, deque[str]] = field(default_factory=lambda: defaultdict(deque))
    log: list[Logged] = field(default_factory=list)
    tokens: dict[str, Any] = field(default_factory=dict)
    issued: int = 0
    enforce_twitch_limit: bool = True
    latency: float = 0.05  # simulated seconds each request takes, on the test's clock

    def fault(self, path_prefix: str, *kinds: str) -> None:
        """Queue faults for the next requests whose path starts with the prefix: '429', '503',
        '401', 'garbage', 'timeout', or 'pass' to answer one request normally."""
        self.faults[path_prefix].extend(kinds)

    def twitch_points_in_any_window(self, seconds: float = 60.0) -> int:
        times = sorted(e.at for e in self.log if e.path.startswith("/helix/"))
        worst, start = 0, 0
        for end, moment in enumerate(times):
            while moment - times[start] >= timedelta(seconds=seconds):
                start += 1
            worst = max(worst, end - start + 1)
        return worst


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: object) -> None:
        pass

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None, raw: bytes | None = None) -> None:
        payload = raw if raw is not None else json.dumps(body).encode()
        self._entry.status, self._entry.body = status, payload  # logged before the client can read the answer
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._form = parse_qs(self.rfile.read(length).decode())
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        parts = urlsplit(self.path)
        params = parse_qs(parts.query)
        state.clock.advance(state.latency)
        self._entry = Logged(state.clock.now(), method, parts.path, params, 0)
        state.log.append(self._entry)
        for prefix, queue in state.faults.items():
            if parts.path.startswith(prefix) and queue:
                kind = queue.popleft()
                if kind != "pass":
                    self._fault(kind, parts.path)
                    return
                break
        self._route(method, parts.path, params)

    def _fault(self, kind: str, path: str) -> None:
        reset = int(self.server.state.clock.now().timestamp()) + 30
        if kind == "timeout":
            time.sleep(self.server.timeout_sleep)
            self._send(200, {"data": [], "pagination": {}})
            return
        if kind == "garbage":
            self._send(200, None, raw=b"<html>upstream error</html>")
            return
        status = int(kind)
        headers = {"Ratelimit-Limit": str(TWITCH_POINTS), "Ratelimit-Remaining": "0", "Ratelimit-Reset": str(reset)}
        self._send(status, {"error": kind, "status": status, "message": "fault"}, headers if status == 429 else None)

    def _route(self, method: str, path: str, params: dict[str, list[str]]) -> None:
        state = self.server.state
        if path == "/oauth2/token" and method == "POST":
            state.issued += 1
            token = f"token-{state.issued}"
            state.tokens[token] = state.clock.now() + timedelta(seconds=state.token_lifetime)
            self._send(200, {"access_token": token, "expires_in": state.token_lifetime, "token_type": "bearer"})
            return
        if path.startswith("/helix/"):
            self._helix(path, params)
            return
        if path == "/ISteamUserStats/GetNumberOfCurrentPlayers/v1/":
            app = int(params["appid"][0])
            if app in state.players:
                self._send(200, {"response": {"player_count": state.players[app], "result": 1}})
            else:
                self._send(200, {"response": {"result": 42}})
            return
        if path == "/ISteamChartsService/GetMostPlayedGames/v1/":
            ranks = [
                {"rank": i + 1, "appid": a, "last_week_rank": i + 1, "peak_in_game": state.players.get(a, 0)}
                for i, a in enumerate(state.chart)
            ]
            self._send(200, {"response": {"rollup_date": 1764115200, "ranks": ranks}})
            return
        if path.startswith("/appreviews/"):
            app = int(path.rsplit("/", 1)[1])
            summary = state.reviews.get(
                app,
                {
                    "review_score": 0,
                    "review_score_desc": "No user reviews",
                    "total_positive": 0,
                    "total_negative": 0,
                    "total_reviews": 0,
                },
            )
            self._send(200, {"success": 1, "query_summary": {"num_reviews": 0, **summary}})
            return
        if path == "/youtube/v3/search":
            start = int(params.get("pageToken", ["0"])[0])
            size = int(params.get("maxResults", ["5"])[0])
            page = state.search_ids[start : start + size]
            body: dict[str, Any] = {"items": [{"id": {"kind": "youtube#video", "videoId": v}} for v in page]}
            if start + size < len(state.search_ids):
                body["nextPageToken"] = str(start + size)
            self._send(200, body)
            return
        if path == "/youtube/v3/videos":
            ids = params["id"][0].split(",")
            self._send(200, {"items": [state.videos[v] for v in ids if v in state.videos]})
            return
        self._send(404, {"error": "not found"})
        return

    def _helix(self, path: str, params: dict[str, list[str]]) -> None:
        state = self.server.state
        now = state.clock.now()
        auth = self.headers.get("Authorization", "").removeprefix("Bearer ")
        if self.headers.get("Client-Id") != "fixture-client" or auth not in state.tokens or state.tokens[auth] <= now:
            self._send(401, {"error": "Unauthorized", "status": 401, "message": "Invalid OAuth token"})
            return
        window = [e.at for e in state.log if e.path.startswith("/helix/") and now - e.at < timedelta(seconds=60)]
        remaining = TWITCH_POINTS - len(window)  # the window includes this request
        reset = int((min(window) if window else now).timestamp()) + 60
        headers = {
            "Ratelimit-Limit": str(TWITCH_POINTS),
            "Ratelimit-Remaining": str(max(remaining, 0)),
            "Ratelimit-Reset": str(reset),
        }
        if state.enforce_twitch_limit and remaining < 0:
            self._send(429, {"error": "Too Many Requests", "status": 429}, headers)
            return
        if path == "/helix/games/top":
            self._send(200, {"data": state.games[:100], "pagination": {}}, headers)
            return
        if path == "/helix/streams":
            size = int(params.get("first", ["20"])[0])
            start = int(params.get("after", ["0"])[0])
            page = state.streams[start : start + size]
            if state.shift_after_page is not None and start // size + 1 == state.shift_after_page:
                new = dict(state.streams[0], id=f"new-{start}", viewer_count=state.streams[0]["viewer_count"] + 1)
                state.streams.insert(0, new)  # everything moves down one place: page 2 repeats an id
            body = {
                "data": page,
                "pagination": {"cursor": str(start + size)} if start + size < len(state.streams) else {},
            }
            self._send(200, body, headers)
            return
        self._send(404, {"error": "not found"})
        return


class _Server(ThreadingHTTPServer):
    def __init__(self, state: PlatformState, timeout_sleep: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state, self.timeout_sleep = state, timeout_sleep


class FixtureServer(ServedInThread):
    def __init__(self, state: PlatformState, timeout_sleep: float = 1.0):
        self.state = state
        super().__init__(_Server(state, timeout_sleep))


def make_streams(count: int, games: int = 5) -> list[dict[str, Any]]:
    """Live streams sorted by viewers (as Helix returns them), spread over a few games."""
    return [
        {
            "id": str(900_000 + i),
            "user_id": str(50_000 + i),
            "user_login": f"user{i}",
            "user_name": f"User{i}",
            "game_id": str(1000 + i % games),
            "game_name": f"Game {i % games}",
            "type": "live",
            "title": f"stream {i}",
            "viewer_count": max(1, 100_000 // (i + 1)),
            "started_at": "2026-11-26T01:00:00Z",
            "language": "en",
            "thumbnail_url": "",
            "tags": [],
            "is_mature": i % 7 == 0,
        }
        for i in range(count)
    ]
