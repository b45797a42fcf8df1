"""The games gold knows, held in memory so that naming a game in a path costs no warehouse read.

Every game route starts by resolving the game its path names (key, slug or name), and every
overview hides the non-game categories. Read from gold.games each time, that was the largest fixed
cost of those routes. The directory loads gold.games' keys, slugs, names and non-game categories
on first use, and the app reloads it in the background every `api_game_directory_seconds`, so no
request waits for a reload. A name it does not know is still looked up in the warehouse
(queries.games.resolve_game): a game gold gained since the last reload is found at once; a rename,
a new slug or a recategorisation shows after at most one reload period.
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import structlog
from fastapi.concurrency import run_in_threadpool

from gamestream.core.names import normalize_game_name
from realtime_api.queries import games as game_reads
from realtime_api.queries.games import close_keys, resolve_game
from realtime_api.store import GoldStore

log = structlog.get_logger(__name__)


class GameDirectory:
    def __init__(self, store: GoldStore, reload_seconds: float):
        self.store, self.reload_seconds = store, reload_seconds
        self._lock = threading.Lock()
        self._loaded = False
        self._by_key: dict[str, dict[str, Any]] = {}
        self._keys: tuple[str, ...] = ()  # the keys a 404's suggestions are looked for in
        self._by_slug: dict[str, dict[str, Any]] = {}
        self._by_name: dict[str, dict[str, Any]] = {}
        self._non_games: frozenset[str] = frozenset()

    def resolve(self, text: str) -> dict[str, Any] | None:
        """The game `text` names, in resolve_game's order: its key as written, its slug, its key
        normalised from a name, its display name in any case (the least key on a tie)."""
        self._load_once()
        lower = text.strip().lower()
        found = (
            self._by_key.get(text)
            or self._by_slug.get(lower)
            or self._by_key.get(normalize_game_name(text))
            or self._by_name.get(lower)
        )
        return dict(found) if found is not None else resolve_game(self.store, text)

    def non_games(self) -> frozenset[str]:
        """Keys of the categories that are not games (Just Chatting, Music, ...)."""
        self._load_once()
        return self._non_games

    def close_matches(self, text: str) -> list[dict[str, Any]]:
        """Games whose keys come close to `text`, for a 404's suggestions."""
        self._load_once()
        return [dict(self._by_key[k]) for k in close_keys(text, self._keys)]

    def reload(self) -> None:
        """Read gold.games again (raises WarehouseUnavailable, keeping what is held)."""
        with self._lock:
            self._read()

    def _read(self) -> None:
        rows = game_reads.games(self.store)
        games = [{"game_key": r["game_key"], "slug": r["slug"], "name": r["name"]} for r in rows]
        by_name: dict[str, dict[str, Any]] = {}
        for game in sorted(games, key=lambda g: g["game_key"], reverse=True):  # the least key wins a tie
            if game["name"]:
                by_name[game["name"].lower()] = game
        self._by_key = {g["game_key"]: g for g in games}
        self._keys = tuple(self._by_key)
        self._by_slug = {g["slug"]: g for g in games if g["slug"]}
        self._by_name = by_name
        self._non_games = frozenset(r["game_key"] for r in rows if r["is_game"] is False)
        self._loaded = True

    async def keep_fresh(self) -> None:
        """Reload every `reload_seconds` until cancelled; a failed reload keeps what is held and is
        logged (the warehouse may be down or rebuilding)."""
        while True:
            await asyncio.sleep(self.reload_seconds)
            try:
                await run_in_threadpool(self.reload)
            except Exception as error:  # a long-running task: log, keep serving, retry at the next period
                log.warning("game_directory_not_reloaded", error=type(error).__name__, detail=str(error)[:300])

    def _load_once(self) -> None:
        if not self._loaded:
            with self._lock:  # requests that arrive together before the first load read gold.games once
                if not self._loaded:
                    self._read()
