"""Steam poller: concurrent players per app (GetNumberOfCurrentPlayers) and daily review summaries.

Tracked apps = the configured list + Steam's most-played chart (refreshed hourly) + the Steam apps
of Twitch's top games (matched by normalised name against the curated catalog). The chart's apps
are polled every slot, the long tail every few slots, as the budget plan says; a daily quota
refuses any call past 90% of Steam's 100,000 calls/day.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import date, datetime, timedelta
from typing import Any

import structlog

from gamestream.core.catalog import match_steam_app, steam_apps
from gamestream.core.clock import Clock
from gamestream.core.contracts import ContractError, PlayerCount, RecordBase, ReviewSummary, Source
from gamestream.core.raw_area import PLAYERS
from gamestream.core.settings import Settings
from producers.budget import DAY, BudgetExhausted, DailyQuota, SteamPlan, plan_steam
from producers.http import ApiError, JsonApi
from producers.poll_loop import Poller, PollRecorder, PollSession
from producers.raw_archive import RawArchive

log = structlog.get_logger(__name__)
CHART_REFRESH = timedelta(hours=1)


class SteamPoller(Poller):
    source = Source.STEAM

    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        plan: SteamPlan | None = None,
        twitch_top_games: Callable[[], list[str]] | None = None,
    ):
        self.settings, self.clock = settings, clock
        self.plan = plan or plan_steam(settings)
        self.interval = self.plan.top_interval_s
        self.quota = DailyQuota(clock, self.plan.calls_per_day)
        self.api = JsonApi(settings.steam_api_url, clock, settings.http_timeout_seconds, attempts=3)
        self.store = JsonApi(settings.steam_store_url, clock, settings.http_timeout_seconds, attempts=3)
        self.twitch_top_games = twitch_top_games
        self.names = {app_id: name for app_id, name in steam_apps().values()}
        self._chart: list[int] = []
        self._matched: list[int] = []
        self._chart_at: datetime | None = None
        self._reviews_day: date | None = None
        self.archive = RawArchive.from_settings(settings)

    def budget_used(self) -> str:
        return f"{self.quota.used}/{self.quota.limit} calls today"

    def _call(self, client: JsonApi, path: str, params: dict[str, Any] | None = None) -> Any:
        self.quota.spend(1)
        return client.get(path, params)

    def refresh_tracked(self, session: PollSession) -> None:
        if self._chart_at and self.clock.now() - self._chart_at < CHART_REFRESH:
            return
        self._chart_at = self.clock.now()
        try:
            body = self._call(self.api, "/ISteamChartsService/GetMostPlayedGames/v1/")
            ranks = sorted(body["response"]["ranks"], key=lambda r: int(r["rank"]))
            self._chart = [int(r["appid"]) for r in ranks][: self.settings.steam_top_apps]
        except (ApiError, BudgetExhausted, KeyError, TypeError, ValueError) as exc:
            log.warning("steam_chart_unavailable", error=str(exc), keeping=len(self._chart))
        if self.twitch_top_games:
            try:
                found = (match_steam_app(name) for name in self.twitch_top_games())
                self._matched = [app for app in found if app]
            except ApiError as exc:
                log.warning("twitch_top_games_unavailable", error=str(exc))

    def tracked_apps(self, slot: datetime) -> list[int]:
        top = list(dict.fromkeys(self._chart))
        tail = [a for a in dict.fromkeys([*self.settings.steam_app_ids, *self._matched]) if a not in top]
        tail = tail[: self.plan.tail_apps]
        tail_due = slot.timestamp() % self.plan.tail_interval_s < self.interval
        return top + tail if tail_due else top

    def poll(self, session: PollSession) -> None:
        self.refresh_tracked(session)
        apps = self.tracked_apps(session.slot)
        recorder = session.open("steam", "player_count", "steam_players", planned_pages=len(apps))
        raw = self.archive.run(PLAYERS, recorder, "steam_players")
        with ThreadPoolExecutor(self.settings.steam_concurrency, thread_name_prefix="steam") as pool:
            results = list(pool.map(self._players, apps))
        answers = {str(app_id): body for app_id, (*_, body) in zip(apps, results) if body is not None}
        if answers:  # one combined file per run, as the seed kept them: every app that answered
            raw.page(1, json.dumps(answers).encode(), self.clock.now())
        for app_id, (count, error, observed, _) in zip(apps, results):
            if error:
                recorder.page_failed(f"app {app_id}: {error}")
                raw.fail(error, app=app_id)
                continue
            recorder.page_ok()
            self._emit(
                recorder,
                PlayerCount,
                observed=observed,
                app_id=app_id,
                app_name=self.names.get(app_id),
                player_count=count,
            )
        today = session.slot.date()
        if self._reviews_day != today:
            self._reviews_day = today
            self._poll_reviews(
                session, list(dict.fromkeys([*self._chart, *self.settings.steam_app_ids, *self._matched]))
            )

    def _players(self, app_id: int) -> tuple[int | None, str | None, datetime, Any]:
        """(count, error, when, the parsed answer for the raw archive: None when there was none)."""
        body = None
        try:
            body = self._call(self.api, "/ISteamUserStats/GetNumberOfCurrentPlayers/v1/", {"appid": app_id})
            response = body["response"]
            if response.get("result") != 1:
                return None, f"no player count (result={response.get('result')})", self.clock.now(), body
            return int(response["player_count"]), None, self.clock.now(), body
        except (ApiError, BudgetExhausted) as exc:
            return None, str(getattr(exc, "reason", exc)), self.clock.now(), None
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            return None, f"unexpected body: {type(exc).__name__}: {exc}", self.clock.now(), body

    def _poll_reviews(self, session: PollSession, apps: list[int]) -> None:
        recorder = session.open("steam", "review_summary", "steam_reviews", planned_pages=len(apps), interval=DAY)
        for app_id in apps:
            try:
                body = self._call(
                    self.store,
                    f"/appreviews/{app_id}",
                    {"json": 1, "language": "all", "num_per_page": 0, "purchase_type": "all"},
                )
                summary = body["query_summary"]
                if body.get("success") != 1:
                    raise ValueError(f"success={body.get('success')}")
            except (ApiError, BudgetExhausted, KeyError, TypeError, ValueError) as exc:
                recorder.page_failed(f"reviews {app_id}: {getattr(exc, 'reason', exc)}")
                continue
            recorder.page_ok()
            self._emit(
                recorder,
                ReviewSummary,
                observed=self.clock.now(),
                app_id=app_id,
                review_score=summary.get("review_score", 0),
                review_score_desc=summary.get("review_score_desc", ""),
                total_positive=summary.get("total_positive"),
                total_negative=summary.get("total_negative"),
                total_reviews=summary.get("total_reviews"),
            )

    def _emit(self, recorder: PollRecorder, kind: type[RecordBase], observed: datetime, **fields: Any) -> None:
        try:
            recorder.emit(kind.create(source=self.source, observed_at=observed, poll_id=recorder.poll_id, **fields))
        except ContractError as exc:
            recorder.error(f"app {fields.get('app_id')}: {exc}")

    def close(self) -> None:
        self.api.close()
        self.store.close()
        self.archive.close()
