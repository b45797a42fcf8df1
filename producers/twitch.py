"""Twitch poller: Helix /streams (cursor pages of 100, sorted by viewers) and /games/top.

The head of the list (most of the audience) is read every poll; a full sweep runs every few
minutes as the budget plan says. An app access token (client credentials) is refreshed before it
expires and on 401. Every request passes a sliding-window limiter set below 800 points/min, and
Ratelimit-Remaining/Ratelimit-Reset and 429 defer it further. A stream id seen twice in one poll
(the list shifts while paging) counts once; a failed page ends the poll early with lower coverage.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta
from typing import Any

from gamestream.core.clock import Clock
from gamestream.core.contracts import CategorySnapshot, ContractError, Source, StreamSnapshot
from gamestream.core.raw_area import STREAMS, TOP_CATEGORIES
from gamestream.core.settings import Settings
from producers.budget import SlidingWindowLimiter, TwitchPlan, plan_twitch
from producers.http import ApiError, JsonApi
from producers.poll_loop import Poller, PollSession
from producers.raw_archive import RawArchive

TOKEN_REFRESH_MARGIN = timedelta(minutes=5)


class TwitchPoller(Poller):
    source = Source.TWITCH

    def __init__(self, settings: Settings, clock: Clock, plan: TwitchPlan | None = None):
        if not (settings.twitch_client_id and settings.twitch_client_secret):
            raise ValueError("the Twitch poller needs GST_TWITCH_CLIENT_ID and GST_TWITCH_CLIENT_SECRET")
        self.settings, self.clock = settings, clock
        self.plan = plan or plan_twitch(settings)
        self.interval = self.plan.head_interval_s
        self.limiter = SlidingWindowLimiter(clock, self.plan.points_per_minute, 60.0)
        self.auth = JsonApi(settings.twitch_auth_url, clock, settings.http_timeout_seconds, attempts=3)
        self.api = JsonApi(
            settings.twitch_api_url,
            clock,
            settings.http_timeout_seconds,
            limiter=self.limiter,
            auth_headers=self._headers,
        )
        self._token: str | None = None
        self._token_expires: datetime | None = None
        self._token_lock = threading.Lock()
        self.last_sweep_pages: int | None = None
        self.tokens_fetched = 0
        self.archive = RawArchive.from_settings(settings)

    def _headers(self, force_refresh: bool) -> dict[str, str]:
        with self._token_lock:
            now = self.clock.now()
            if (
                force_refresh
                or self._token is None
                or self._token_expires is None
                or now >= self._token_expires - TOKEN_REFRESH_MARGIN
            ):
                body = self.auth.post_form(
                    "/oauth2/token",
                    {
                        "client_id": self.settings.secret("twitch_client_id"),
                        "client_secret": self.settings.secret("twitch_client_secret"),
                        "grant_type": "client_credentials",
                    },
                )
                if not isinstance(body, dict) or not body.get("access_token"):
                    raise ApiError(f"{self.settings.twitch_auth_url}/oauth2/token", "no access_token in the answer")
                self._token = str(body["access_token"])
                self._token_expires = now + timedelta(seconds=float(body.get("expires_in", 3600)))
                self.tokens_fetched += 1
            return {
                "Client-Id": self.settings.secret("twitch_client_id") or "",
                "Authorization": f"Bearer {self._token}",
            }

    def budget_used(self) -> str:
        return f"{self.limiter.used_in_window()}/{self.plan.points_per_minute} points in the last 60s"

    def is_sweep(self, slot: datetime) -> bool:
        return slot.timestamp() % self.plan.sweep_interval_s < self.plan.head_interval_s

    def poll(self, session: PollSession) -> None:
        self._poll_top_games(session)
        self._poll_streams(session, sweep=self.is_sweep(session.slot))

    def top_game_names(self) -> list[str]:
        """Names of Twitch's top 100 games now (for the Steam poller's tracked apps)."""
        body = self.api.get("/helix/games/top", {"first": 100})
        return [str(g["name"]) for g in body.get("data", []) if isinstance(g, dict) and g.get("name")]

    def _poll_top_games(self, session: PollSession) -> None:
        recorder = session.open("twitch", "category_snapshot", "twitch_top_games", planned_pages=1)
        raw = self.archive.run(TOP_CATEGORIES, recorder, "twitch_top_games")
        try:
            answer = self.api.get_answer("/helix/games/top", {"first": 100})
            raw.page(1, answer.content, answer.fetched_at)
            games = _data(answer.body)
        except ApiError as exc:
            recorder.page_failed(f"games/top: {exc.reason}")
            raw.fail(exc.reason, page=1)
            return
        recorder.page_ok()
        observed = self.clock.now()
        for rank, game in enumerate(games, start=1):
            try:
                recorder.emit(
                    CategorySnapshot.create(
                        source=self.source,
                        observed_at=observed,
                        poll_id=recorder.poll_id,
                        game_id=str(game.get("id", "")),
                        game_name=str(game.get("name", "")),
                        rank=rank,
                        igdb_id=game.get("igdb_id") or None,
                    )
                )
            except (ContractError, AttributeError) as exc:
                recorder.error(f"game rank {rank}: {exc}")

    def _poll_streams(self, session: PollSession, sweep: bool) -> None:
        max_pages = self.plan.sweep_pages if sweep else self.plan.head_pages
        estimate = min(self.last_sweep_pages or max_pages, max_pages) if sweep else max_pages
        poll_kind = "twitch_sweep" if sweep else "twitch_head"
        recorder = session.open("twitch", "stream_snapshot", poll_kind, planned_pages=estimate)
        raw = self.archive.run(STREAMS, recorder, poll_kind)
        seen: set[str] = set()
        cursor: str | None = None
        reached_end = False
        for page in range(1, max_pages + 1):
            if session.stopping:
                recorder.error(f"producer stopping: poll ended before page {page}")
                break
            params: dict[str, Any] = {"first": 100, "type": "live"}
            if cursor:
                params["after"] = cursor
            try:
                answer = self.api.get_answer("/helix/streams", params)
                raw.page(page, answer.content, answer.fetched_at)
                body = answer.body
                streams = _data(body)
            except ApiError as exc:
                recorder.page_failed(f"streams page {page}: {exc.reason}")
                raw.fail(exc.reason, page=page)
                break
            recorder.page_ok()
            observed = self.clock.now()
            for stream in streams:
                stream_id = str(stream.get("id", "")) if isinstance(stream, dict) else ""
                if stream_id in seen:
                    continue
                seen.add(stream_id)
                try:
                    recorder.emit(stream_record(stream, self.source, observed, recorder.poll_id))
                except (ContractError, AttributeError, TypeError) as exc:
                    recorder.error(f"stream {stream_id or '?'} on page {page}: {exc}")
            cursor = (body.get("pagination") or {}).get("cursor")
            if not cursor or not streams:
                reached_end = True
                break
        if reached_end:
            recorder.planned_pages = recorder.pages
            if sweep:
                self.last_sweep_pages = recorder.pages

    def close(self) -> None:
        self.api.close()
        self.auth.close()
        self.archive.close()


def _data(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict) or not isinstance(body.get("data"), list):
        raise ApiError("helix", f"unexpected body shape: {str(body)[:80]}")
    return body["data"]


def stream_record(stream: dict[str, Any], source: Source, observed: datetime, poll_id: str) -> StreamSnapshot:
    """One Helix /streams entry as a record (also how `gst import` reads archived Helix pages)."""
    return StreamSnapshot.create(
        source=source,
        observed_at=observed,
        poll_id=poll_id,
        platform="twitch",
        stream_id=stream.get("id"),
        channel_id=stream.get("user_id"),
        channel_name=stream.get("user_name") or stream.get("user_login") or "",
        user_login=stream.get("user_login") or None,
        game_id=stream.get("game_id") or None,
        game_name=stream.get("game_name") or None,
        viewer_count=stream.get("viewer_count"),
        started_at=stream.get("started_at") or None,
        language=stream.get("language") or None,
        is_mature=bool(stream.get("is_mature", False)),
        title=stream.get("title") or "",
    )
