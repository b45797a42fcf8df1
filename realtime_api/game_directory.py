"""The games gold knows, held in memory so that naming a game in a path costs no warehouse read.

Every game route starts by resolving the game its path names (key, slug or name), and every
overview hides the non-game categories. Read from gold.games each time, that was the largest fixed
cost of those routes; the directory holds gold.games' keys, slugs, names and non-game categories
and reloads them once they are older than `api_game_directory_seconds`. A name it does not know
is still looked up in the warehouse (gold_queries.resolve_game), so a game gold gained since the
last reload is found at once; a rename, a new slug or a recategorisation shows after at most one
reload period.
"""

from __future__ import annotations

import threading
import time
from typing import Any

from gamestream.names import normalize_game_name
from realtime_api import gold_queries as Q
from realtime_api.store import GoldStore


class GameDirectory:
    def __init__(self, store: GoldStore, max_age_seconds: float):
        self.store, self.max_age_seconds = store, max_age_seconds
        self._lock = threading.Lock()
        self._loaded_at = float("-inf")
        self._by_key: dict[str, dict[str, Any]] = {}
        self._by_slug: dict[str, dict[str, Any]] = {}
        self._by_name: dict[str, dict[str, Any]] = {}
        self._non_games: frozenset[str] = frozenset()

    def resolve(self, text: str) -> dict[str, Any] | None:
        """The game `text` names, in resolve_game's order: its key as written, its slug, its key
        normalised from a name, its display name in any case (the least key on a tie)."""
        self._refresh()
        lower = text.strip().lower()
        found = (
            self._by_key.get(text)
            or self._by_slug.get(lower)
            or self._by_key.get(normalize_game_name(text))
            or self._by_name.get(lower)
        )
        return dict(found) if found is not None else Q.resolve_game(self.store, text)

    def non_games(self) -> frozenset[str]:
        """Keys of the categories that are not games (Just Chatting, Music, ...)."""
        self._refresh()
        return self._non_games

    def close_matches(self, text: str) -> list[dict[str, Any]]:
        """Games whose keys come close to `text`, for a 404's suggestions."""
        self._refresh()
        return [dict(self._by_key[k]) for k in Q.close_keys(text, list(self._by_key))]

    def _refresh(self) -> None:
        if time.monotonic() - self._loaded_at < self.max_age_seconds or not self._lock.acquire(blocking=False):
            return  # fresh, or another request is reloading: this one uses what is held
        try:
            rows = Q.games(self.store)
            games = [{"game_key": r["game_key"], "slug": r["slug"], "name": r["name"]} for r in rows]
            by_name: dict[str, dict[str, Any]] = {}
            for game in sorted(games, key=lambda g: g["game_key"], reverse=True):  # the least key wins a tie
                if game["name"]:
                    by_name[game["name"].lower()] = game
            self._by_key = {g["game_key"]: g for g in games}
            self._by_slug = {g["slug"]: g for g in games if g["slug"]}
            self._by_name = by_name
            self._non_games = frozenset(r["game_key"] for r in rows if r["is_game"] is False)
            self._loaded_at = time.monotonic()
        finally:
            self._lock.release()
