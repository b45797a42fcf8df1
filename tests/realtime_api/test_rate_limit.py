"""The public API's limits: a token bucket per client address in the real Redis, shared by API
processes, 429 with Retry-After once it is empty; health and the dashboard not limited; no limit
(and no error) when Redis is down; oversized requests refused."""

import time

import pytest
from fastapi.testclient import TestClient

from gamestream.embedded.ports import free_port
from realtime_api.app import create_app

MONTHS = "/api/platforms/twitch/months"


@pytest.fixture()
def limited(gold_settings, live):
    return gold_settings.model_copy(update={"api_rate_per_second": 1.0, "api_rate_burst": 5})


def test_a_burst_past_the_bucket_gets_429_with_retry_after_in_every_process(limited):
    with (
        TestClient(create_app(limited, dashboard=None), client=("203.0.113.7", 5000)) as one,
        TestClient(create_app(limited, dashboard=None), client=("203.0.113.7", 5001)) as other,
    ):
        answers = [one.get(MONTHS).status_code for _ in range(3)] + [other.get(MONTHS).status_code for _ in range(2)]
        assert answers == [200] * 5  # the burst, spent across two API processes
        refused = one.get(MONTHS)
        assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
        assert "1/s sustained, bursts of 5" in refused.json()["detail"]
        assert other.get(MONTHS).status_code == 429  # one bucket for the address, wherever it asks
        assert one.get("/healthz").status_code == 200  # health is not limited
        for process in (one, other):  # each process counts the requests it refused
            assert "gst_api_rate_limited_total 1.0" in process.get("/metrics").text
        time.sleep(1.1)  # a token back after a second at 1/s
        assert one.get(MONTHS).status_code == 200


def test_every_address_has_a_bucket_of_its_own(limited):
    with (
        TestClient(create_app(limited, dashboard=None), client=("203.0.113.8", 5000)) as greedy,
        TestClient(create_app(limited, dashboard=None), client=("198.51.100.9", 5000)) as calm,
    ):
        assert [greedy.get(MONTHS).status_code for _ in range(6)][-1] == 429
        assert calm.get(MONTHS).status_code == 200


def test_without_redis_the_api_serves_unlimited(limited):
    down = limited.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(create_app(down, dashboard=None)) as client:
        assert {client.get(MONTHS).status_code for _ in range(8)} == {200}


def test_oversized_requests_are_refused(limited):
    with TestClient(create_app(limited, dashboard=None)) as client:
        assert client.get(MONTHS, params={"x": "y" * 5000}).status_code == 414
        assert client.request("GET", MONTHS, content=b"z" * 20_000).status_code == 413
        assert client.get(MONTHS).status_code == 200
