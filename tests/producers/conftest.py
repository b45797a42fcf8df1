from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gamestream.contracts import RecordBase
from gamestream.settings import Settings
from producers.clock import ManualClock
from producers.sinks.base import Sink
from tests.producers.fixture_server import FixtureServer, PlatformState

T0 = datetime(2026, 11, 26, 3, 0, tzinfo=UTC)


class ListSink(Sink):
    """Keeps what it is sent; the poller tests look at records, not at delivery."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[RecordBase] = []

    def send(self, record: RecordBase) -> None:
        self.records.append(record)
        self.stats.add(accepted=1, delivered=1)

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def close(self, timeout: float | None = None) -> None:
        pass

    def of_kind(self, kind: str) -> list:
        return [r for r in self.records if r.kind == kind]


@pytest.fixture()
def clock() -> ManualClock:
    return ManualClock(T0)


@pytest.fixture()
def sink() -> ListSink:
    return ListSink()


@pytest.fixture()
def fixture(clock):
    with FixtureServer(PlatformState(clock), timeout_sleep=0.6) as server:
        yield server


@pytest.fixture()
def settings(fixture) -> Settings:
    return Settings(
        _env_file=None,
        twitch_api_url=fixture.url,
        twitch_auth_url=fixture.url,
        steam_api_url=fixture.url,
        steam_store_url=fixture.url,
        youtube_api_url=fixture.url,
        twitch_client_id="fixture-client",
        twitch_client_secret="fixture-secret",
        youtube_api_key="fixture-key",
        http_timeout_seconds=0.3,
        twitch_head_pages=3,
        twitch_max_pages=1200,
    )
