from __future__ import annotations

import pytest

from gamestream.settings import Settings
from producers.clock import ManualClock
from tests.support.platforms import FixtureServer, PlatformState
from tests.support.producers import T0, ListSink


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
        raw_archive=False,  # tests/producers/test_raw_archive.py turns it on, in a temporary lake
    )
