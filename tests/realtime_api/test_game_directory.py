"""The in-memory game directory against the warehouse lookup it stands in for."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from realtime_api import gold_queries as Q
from realtime_api.game_directory import GameDirectory
from realtime_api.store import GoldStore


@pytest.fixture()
def store(gold_settings, tmp_path):
    """A writable copy of the fixture gold (the API's own copy stays read-only)."""
    source = Path(gold_settings.warehouse_url.removeprefix("duckdb:///"))
    for file in (source, source.with_name(source.name + ".wal")):
        if file.exists():
            shutil.copy(file, tmp_path / file.name)
    copy = GoldStore(f"duckdb:///{tmp_path / source.name}", read_only=False)
    yield copy
    copy.close()


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_the_directory_names_the_game_the_warehouse_would(store):
    directory = GameDirectory(store, max_age_seconds=3600)
    texts = ["dota 2", "Dota 2", "DOTA-2", "dota-2", "counter-strike-2", "Counter-Strike 2", "minecraft", "Minecraft"]
    for text in [*texts, "just chatting", "Just Chatting", "half-life 3", ""]:
        assert directory.resolve(text) == Q.resolve_game(store, text), text
    assert directory.resolve("Counter-Strike 2")["game_key"] == "counter strike 2"
    assert [g["game_key"] for g in directory.close_matches("minecraf")] == ["minecraft"]
    assert directory.non_games() == {
        r["game_key"] for r in store.rows("SELECT game_key FROM gold.games WHERE NOT is_game")
    }
    assert directory.non_games() == {"just chatting"}


@pytest.mark.parametrize("gold_settings", ["duckdb"], indirect=True)
def test_a_new_game_is_found_at_once_and_a_rename_after_one_reload(store):
    held, fresh = GameDirectory(store, max_age_seconds=3600), GameDirectory(store, max_age_seconds=0)
    assert held.resolve("minecraft")["name"] == "Minecraft" and fresh.resolve("minecraft")["name"] == "Minecraft"
    store.warehouse.execute(
        "INSERT INTO gold.games (game_key, slug, name) VALUES ('hades iii', 'hades-iii', 'Hades III')"
    )
    store.warehouse.execute("UPDATE gold.games SET name = 'Minecraft Legends' WHERE game_key = 'minecraft'")
    assert held.resolve("Hades III") == {"game_key": "hades iii", "slug": "hades-iii", "name": "Hades III"}
    assert held.resolve("minecraft")["name"] == "Minecraft"  # held until its reload
    assert fresh.resolve("minecraft")["name"] == "Minecraft Legends"
    assert fresh.resolve("minecraft legends")["game_key"] == "minecraft"
