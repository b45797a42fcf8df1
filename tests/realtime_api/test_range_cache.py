"""Range rankings and movers answered again from the API's cache until gold's next load."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from realtime_api.app import create_app
from realtime_api.range_cache import RangeCache
from tests.support.market import START

HOURS = {"from": (START + timedelta(hours=25)).isoformat(), "to": (START + timedelta(hours=31)).isoformat()}


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_a_range_is_answered_from_the_cache_until_gold_loads_again(gold_settings, gold_copy):
    with TestClient(create_app(gold_settings, store=gold_copy, dashboard=None)) as api:
        top = api.get("/api/games/top", params=HOURS).json()
        movers = api.get("/api/movers", params=HOURS).json()
        assert top["resolution"] == "1h" and top["items"] and movers["items"]
        # gold changes without a load committing (what a failed build can leave): the answers stay
        gold_copy.warehouse.execute(
            "UPDATE gold.game_buckets SET avg_viewers = avg_viewers * 2 WHERE platform = 'twitch'"
        )
        assert api.get("/api/games/top", params=HOURS).json() == top
        assert api.get("/api/movers", params=HOURS).json() == movers
        assert api.get("/api/games/top", params={**HOURS, "limit": 1}).json()["items"][0][
            "avg_viewers"
        ] == pytest.approx(
            2 * top["items"][0]["avg_viewers"]
        )  # another page is another answer, computed on what gold holds now
        gold_copy.warehouse.execute(
            "INSERT INTO gold.load_state SELECT source_table, delta_version + 1, project, now() FROM gold.load_state"
        )
        reloaded = api.get("/api/games/top", params=HOURS).json()
        assert [i["game_key"] for i in reloaded["items"]] == [i["game_key"] for i in top["items"]]
        assert reloaded["items"][0]["avg_viewers"] == pytest.approx(2 * top["items"][0]["avg_viewers"])
        assert api.get("/api/movers", params=HOURS).json() != movers


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_cache_keeps_the_most_recently_used_answers(gold_copy):
    computed: list[str] = []

    def answer(key: str):
        return lambda: computed.append(key) or {"key": key}

    ranges = RangeCache(gold_copy, entries=2)
    for key in ["a", "b", "a", "c", "a", "b"]:  # c pushes out b, the least recently used
        assert ranges.get(key, answer(key)) == {"key": key}
    assert computed == ["a", "b", "c", "b"]
    unkept = RangeCache(gold_copy, entries=0)
    for _ in range(2):
        unkept.get("a", answer("a"))
    assert computed[-2:] == ["a", "a"]
