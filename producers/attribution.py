"""Which game a YouTube live video is about: YouTube names none, so match its title and tags
against the games we know (the catalog, plus Twitch's current top games); else "unattributed"."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gamestream.core.catalog import categories, steam_apps
from gamestream.core.contracts import UNATTRIBUTED
from gamestream.core.names import normalize_game_name

MIN_KEY_LENGTH = 3


class GameMatcher:
    def __init__(self, names: Iterable[str]):
        self.by_key: dict[str, str] = {}
        for name in names:
            key = normalize_game_name(name)
            if len(key) >= MIN_KEY_LENGTH:
                self.by_key.setdefault(key, name)
        # longest first, so "dark souls iii" wins over "dark souls"
        keys = sorted(self.by_key, key=len, reverse=True)
        self._pattern = (
            re.compile(r"(?<![a-z0-9])(" + "|".join(map(re.escape, keys)) + r")(?![a-z0-9])") if keys else None
        )

    @classmethod
    def from_catalog(cls, extra: Iterable[str] = ()) -> GameMatcher:
        games = [c.name for c in categories() if c.is_game]
        return cls([*games, *(name for _, name in steam_apps().values()), *extra])

    def attribute(self, title: str, tags: Iterable[str] = ()) -> str:
        if self._pattern is None:
            return UNATTRIBUTED
        for text in (*tags, title):  # a tag is the uploader's own label: trust it before the title
            found = self._pattern.search(normalize_game_name(text))
            if found:
                return self.by_key[found.group(1)]
        return UNATTRIBUTED
