"""Small answers read from gold alone (rankings, movers, game pages, months, an overview's gold part)
answered again from the API's cache until gold's next load."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from realtime_api.answer_cache import AnswerCache
from realtime_api.app import create_app
from tests.support.market import START

HOURS = {"from": (START + timedelta(hours=25)).isoformat(), "to": (START + timedelta(hours=31)).isoformat()}
# every twitch figure these answers show, doubled (what a failed build could leave without a load)
DOUBLED = [
    *(
        f"UPDATE gold.{table} SET avg_viewers = avg_viewers * 2 WHERE platform = 'twitch'"
        for table in ("game_buckets", "game_series", "game_latest_hours", "game_windows", "game_months")
    ),
    *(
        f"UPDATE gold.{table} SET avg_total = avg_total * 2 WHERE platform = 'twitch'"
        for table in ("platform_buckets", "platform_months")
    ),
]


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_answers_come_from_the_cache_until_gold_loads_again(gold_settings, gold_copy):
    with TestClient(create_app(gold_settings, store=gold_copy, dashboard=None)) as api:
        game = api.get("/api/games/top").json()["items"][0]["game_key"]
        month = api.get("/api/platforms/twitch/months").json()["months"][0]["month"]
        paths = [
            ("/api/games/top", {}),
            ("/api/games/top", HOURS),
            ("/api/movers", HOURS),
            (f"/api/games/{game}", {}),
            (f"/api/games/{game}/months", {}),
            ("/api/platforms/twitch/months", {}),
            (f"/api/platforms/twitch/months/{month}", {}),
        ]
        before = [api.get(path, params=params).json() for path, params in paths]
        gold_hour = api.get("/api/platforms/twitch/overview").json()["last_hour"]
        for statement in DOUBLED:
            gold_copy.warehouse.execute(statement)
        assert [api.get(path, params=params).json() for path, params in paths] == before
        assert api.get("/api/platforms/twitch/overview").json()["last_hour"] == gold_hour
        limited = api.get("/api/games/top", params={"limit": 1}).json()["items"][0]["avg_viewers"]
        # another page is another answer, computed on what gold holds now
        assert limited == pytest.approx(2 * before[0]["items"][0]["avg_viewers"])

        gold_copy.warehouse.execute(
            "INSERT INTO gold.load_state SELECT source_table, delta_version + 1, project, now() FROM gold.load_state"
        )
        after = [api.get(path, params=params).json() for path, params in paths]
    unkept = gold_settings.model_copy(update={"api_answer_cache_entries": 0})
    with TestClient(create_app(unkept, store=gold_copy, dashboard=None)) as fresh:
        computed = [fresh.get(path, params=params).json() for path, params in paths]
        assert fresh.get("/api/platforms/twitch/overview").json()["last_hour"] != gold_hour
    assert after == computed  # after the load, every answer is gold's new one
    changed = [path for (path, _), old, new in zip(paths, before, after, strict=True) if old != new]
    assert len(changed) == len(paths), f"unchanged by the doubling: {set(p for p, _ in paths) - set(changed)}"


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_cache_keeps_the_most_recently_used_answers(gold_copy):
    computed: list[str] = []

    def answer(key: str):
        return lambda: computed.append(key) or {"key": key}

    answers = AnswerCache(gold_copy, entries=2)
    for key in ["a", "b", "a", "c", "a", "b"]:  # c pushes out b, the least recently used
        assert answers.get(key, answer(key)) == {"key": key}
    assert computed == ["a", "b", "c", "b"]
    unkept = AnswerCache(gold_copy, entries=0)
    for _ in range(2):
        unkept.get("a", answer("a"))
    assert computed[-2:] == ["a", "a"]
