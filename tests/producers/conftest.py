from __future__ import annotations

import pytest

from gamestream.core.clock import ManualClock
from gamestream.core.settings import Settings
from tests.support.platforms import FixtureServer, PlatformState
from tests.support.producers import T0, ListSink, platform_settings


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
    return platform_settings(fixture.url)
