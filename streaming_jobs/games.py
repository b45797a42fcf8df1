"""Cross-platform game identity for silver.games: a normalised name key (gamestream.core.names) plus a
curated overrides file (streaming_jobs/data/game_overrides.csv) for aliases the normaliser cannot
know ("CS:GO", "PUBG"), Steam app ids, and which categories are not games (Just Chatting, ...)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gamestream.core.names import normalize_game_name, unescape


@dataclass(frozen=True)
class GameIdentity:
    key: str
    name: str
    steam_app_id: int | None
    is_game: bool


@cache
def overrides() -> dict[str, GameIdentity]:
    """Normalised alias -> identity, from the curated file."""
    out = {}
    with resources.files("streaming_jobs.data").joinpath("game_overrides.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            canonical = row["canonical"]
            out[normalize_game_name(row["alias"])] = GameIdentity(
                key=normalize_game_name(canonical),
                name=canonical,
                steam_app_id=int(row["steam_app_id"]) if row["steam_app_id"] else None,
                is_game=row["is_game"].strip().lower() == "true",
            )
    return out


def identify(name: str) -> GameIdentity:
    """The identity a platform's spelling of a game belongs to."""
    key = normalize_game_name(name)
    found = overrides().get(key)
    if found:
        return found
    return GameIdentity(key=key or "unknown", name=unescape(name).strip(), steam_app_id=None, is_game=True)
