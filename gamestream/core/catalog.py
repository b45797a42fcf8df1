"""The game catalog producers work from: Twitch's 200 most-watched categories (February 2021)
with their popularity profile, and a curated list of Steam app ids (Steam's own spelling)."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from importlib import resources

from gamestream.core.names import normalize_game_name, unescape

NON_GAME_CATEGORIES = frozenset(
    {
        "Just Chatting",
        "Music",
        "Art",
        "Talk Shows & Podcasts",
        "ASMR",
        "Sports",
        "Special Events",
        "Games + Demos",
        "Retro",
        "Science & Technology",
        "Food & Drink",
        "Travel & Outdoors",
        "Makers & Crafting",
        "Fitness & Health",
        "Stocks And Bonds",
        "Slots",
        "Virtual Casino",
    }
)


@dataclass(frozen=True)
class Category:
    rank: int
    name: str
    avg_viewers: int
    peak_viewers: int
    avg_channels: int
    peak_channels: int
    steam_app_id: int | None
    is_game: bool


def _rows(filename: str) -> list[dict[str, str]]:
    with resources.files("gamestream.core.data").joinpath(filename).open(encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


@cache
def steam_apps() -> dict[str, tuple[int, str]]:
    """Normalised game name -> (Steam app id, Steam's name)."""
    return {normalize_game_name(r["name"]): (int(r["app_id"]), r["name"]) for r in _rows("steam_apps.csv")}


def match_steam_app(name: str) -> int | None:
    found = steam_apps().get(normalize_game_name(name))
    return found[0] if found else None


@cache
def categories() -> tuple[Category, ...]:
    out = []
    for row in _rows("twitch_categories_2021_02.csv"):
        name = unescape(row["category"])
        out.append(
            Category(
                rank=int(row["rank"]),
                name=name,
                avg_viewers=int(row["avg_viewers"]),
                peak_viewers=int(row["peak_viewers"]),
                avg_channels=int(row["avg_channels"]),
                peak_channels=int(row["peak_channels"]),
                steam_app_id=match_steam_app(name),
                is_game=name not in NON_GAME_CATEGORIES,
            )
        )
    return tuple(out)
