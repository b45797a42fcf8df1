"""The in-memory game directory against the warehouse lookup it stands in for."""

from __future__ import annotations

import asyncio

import pytest

from realtime_api.game_directory import GameDirectory
from realtime_api.queries.games import resolve_game


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_directory_names_the_game_the_warehouse_would(gold_copy):
    directory = GameDirectory(gold_copy, reload_seconds=3600)
    texts = ["dota 2", "Dota 2", "DOTA-2", "dota-2", "counter-strike-2", "Counter-Strike 2", "minecraft", "Minecraft"]
    for text in [*texts, "just chatting", "Just Chatting", "half-life 3", ""]:
        assert directory.resolve(text) == resolve_game(gold_copy, text), text
    assert directory.resolve("Counter-Strike 2")["game_key"] == "counter strike 2"
    assert [g["game_key"] for g in directory.close_matches("minecraf")] == ["minecraft"]
    assert directory.non_games() == {
        r["game_key"] for r in gold_copy.rows("SELECT game_key FROM gold.games WHERE NOT is_game")
    }
    assert directory.non_games() == {"just chatting"}


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_a_new_game_is_found_at_once_and_a_rename_after_a_reload(gold_copy):
    directory = GameDirectory(gold_copy, reload_seconds=3600)
    assert directory.resolve("minecraft")["name"] == "Minecraft"
    gold_copy.warehouse.execute(
        "INSERT INTO gold.games (game_key, slug, name) VALUES ('hades iii', 'hades-iii', 'Hades III')"
    )
    gold_copy.warehouse.execute(
        "UPDATE gold.games SET name = 'Minecraft Legends', is_game = false WHERE game_key = 'minecraft'"
    )
    assert directory.resolve("Hades III") == {"game_key": "hades iii", "slug": "hades-iii", "name": "Hades III"}
    assert directory.resolve("minecraft")["name"] == "Minecraft" and "minecraft" not in directory.non_games()  # held
    directory.reload()
    assert directory.resolve("minecraft")["name"] == "Minecraft Legends" and "minecraft" in directory.non_games()
    assert directory.resolve("minecraft legends")["game_key"] == "minecraft"


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_directory_reloads_in_the_background_and_outlives_a_failed_reload(gold_copy, tmp_path):
    directory = GameDirectory(gold_copy, reload_seconds=0.05)
    assert directory.resolve("minecraft")["name"] == "Minecraft"

    async def rename_then_wait() -> str:
        task = asyncio.create_task(directory.keep_fresh())
        try:
            gold_copy.warehouse.execute("ALTER TABLE gold.games RENAME TO games_away")  # reloads fail meanwhile
            await asyncio.sleep(0.3)
            held = directory.resolve("minecraft")["name"]
            gold_copy.warehouse.execute("ALTER TABLE gold.games_away RENAME TO games")
            gold_copy.warehouse.execute("UPDATE gold.games SET name = 'Minecraft Legends' WHERE game_key = 'minecraft'")
            for _ in range(200):
                await asyncio.sleep(0.05)
                if directory.resolve("minecraft")["name"] == "Minecraft Legends":
                    break
            assert not task.done()  # the failed reloads did not end it
            return held
        finally:
            task.cancel()

    assert asyncio.run(rename_then_wait()) == "Minecraft"
    assert directory.resolve("minecraft")["name"] == "Minecraft Legends"
