"""YouTube poller: live gaming broadcasts found by search.list (100 units, rarely), their viewers
refreshed by videos.list in batches of 50 ids (1 unit each, often). A daily quota refuses any call
past 90% of the 10,000 units/day. The game is attributed from tags and title."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from gamestream.core.clock import Clock
from gamestream.core.contracts import ContractError, Source, VideoSnapshot
from gamestream.core.settings import Settings
from producers.attribution import GameMatcher
from producers.budget import (
    YOUTUBE_SEARCH_COST,
    YOUTUBE_VIDEOS_COST,
    BudgetExhausted,
    DailyQuota,
    YouTubePlan,
    plan_youtube,
)
from producers.http import ApiError, JsonApi
from producers.poll_loop import Poller, PollRecorder, PollSession

BATCH = 50


class YouTubePoller(Poller):
    source = Source.YOUTUBE

    def __init__(
        self, settings: Settings, clock: Clock, plan: YouTubePlan | None = None, matcher: GameMatcher | None = None
    ):
        if not settings.youtube_api_key:
            raise ValueError("the YouTube poller needs GST_YOUTUBE_API_KEY")
        self.settings, self.clock = settings, clock
        self.plan = plan or plan_youtube(settings)
        self.interval = self.plan.refresh_interval_s
        self.quota = DailyQuota(clock, self.plan.units_per_day)
        self.api = JsonApi(settings.youtube_api_url, clock, settings.http_timeout_seconds, attempts=3)
        self.matcher = matcher or GameMatcher.from_catalog()
        self.live: dict[str, datetime] = {}  # video id -> when discovered
        self._last_discovery: datetime | None = None

    def budget_used(self) -> str:
        return f"{self.quota.used}/{self.quota.limit} units today"

    def _get(self, path: str, params: dict[str, Any], cost: int) -> Any:
        self.quota.spend(cost)
        return self.api.get(path, {**params, "key": self.settings.secret("youtube_api_key")})

    def poll(self, session: PollSession) -> None:
        now = self.clock.now()
        if (
            self._last_discovery is None
            or (now - self._last_discovery).total_seconds() >= self.plan.discovery_interval_s
        ):
            self._discover(session)
        ids = list(self.live)
        recorder = session.open(
            "youtube", "video_snapshot", "youtube_videos", planned_pages=math.ceil(len(ids) / BATCH)
        )
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            try:
                body = self._get(
                    "/youtube/v3/videos",
                    {"part": "snippet,statistics,liveStreamingDetails", "id": ",".join(batch), "maxResults": BATCH},
                    YOUTUBE_VIDEOS_COST,
                )
                items = body["items"]
            except (ApiError, BudgetExhausted, KeyError, TypeError) as exc:
                recorder.page_failed(f"videos.list batch {start // BATCH + 1}: {getattr(exc, 'reason', exc)}")
                continue
            recorder.page_ok()
            returned = set()
            for item in items:
                returned.add(item.get("id"))
                self._emit(recorder, item)
            for gone in set(batch) - returned:  # deleted or made private
                self.live.pop(gone, None)

    def _discover(self, session: PollSession) -> None:
        self._last_discovery = self.clock.now()
        pages = math.ceil(self.plan.max_videos / BATCH)
        token = None
        found: list[str] = []
        for page in range(1, pages + 1):
            params = {
                "part": "snippet",
                "eventType": "live",
                "type": "video",
                "videoCategoryId": "20",
                "order": "viewCount",
                "maxResults": BATCH,
            }
            if token:
                params["pageToken"] = token
            try:
                body = self._get("/youtube/v3/search", params, YOUTUBE_SEARCH_COST)
                found += [item["id"]["videoId"] for item in body["items"]]
            except (ApiError, BudgetExhausted, KeyError, TypeError) as exc:
                session.open("youtube", "video_snapshot", "youtube_discovery").page_failed(
                    f"search.list page {page}: {getattr(exc, 'reason', exc)}"
                )
                break
            token = body.get("nextPageToken")
            if not token:
                break
        for video_id in found:
            self.live.setdefault(video_id, self._last_discovery)
        while len(self.live) > self.plan.max_videos:  # keep the most recently discovered
            self.live.pop(min(self.live, key=self.live.__getitem__))

    def _emit(self, recorder: PollRecorder, item: dict[str, Any]) -> None:
        video_id: str = item.get("id", "")
        live = item.get("liveStreamingDetails") or {}
        if not live or live.get("actualEndTime"):
            self.live.pop(video_id, None)  # the broadcast ended (or never was one)
            return
        if "concurrentViewers" not in live:
            # Still live, but YouTube leaves the count out when nobody watches or the owner hides it:
            # no record (hidden is not zero), and the video stays tracked for the next refresh.
            return
        snippet = item.get("snippet") or {}
        stats = item.get("statistics") or {}
        tags = [str(t) for t in snippet.get("tags") or []]
        title = str(snippet.get("title") or "")
        try:
            recorder.emit(
                VideoSnapshot.create(
                    source=self.source,
                    observed_at=self.clock.now(),
                    poll_id=recorder.poll_id,
                    video_id=video_id,
                    channel_id=snippet.get("channelId"),
                    channel_title=snippet.get("channelTitle") or "",
                    title=title,
                    tags=tags,
                    game_name=self.matcher.attribute(title, tags),
                    concurrent_viewers=live.get("concurrentViewers"),
                    view_count=stats.get("viewCount"),
                    like_count=stats.get("likeCount"),
                    actual_start_time=live.get("actualStartTime"),
                )
            )
        except ContractError as exc:
            recorder.error(f"video {video_id}: {exc}")

    def close(self) -> None:
        self.api.close()
