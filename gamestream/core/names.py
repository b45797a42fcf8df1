"""Game-name normalisation: one key per game across Steam, Twitch and YouTube spellings.

Steam writes "Sekiro™: Shadows Die Twice" and "DARK SOULS: REMASTERED", Twitch "Sekiro: Shadows
Die Twice" and "Dark Souls", R-exported files "Pok<U+00E9>mon". The key drops case, accents,
trademark signs, punctuation and edition suffixes, so all of these meet.
"""

from __future__ import annotations

import re
import unicodedata

_ESCAPED = re.compile(r"<U\+([0-9A-Fa-f]{4,6})>")
_EDITIONS = re.compile(
    r"\b(the )?(definitive|special|complete|ultimate|deluxe|enhanced|anniversary|legendary|gold|goty|"
    r"game of the year|standard|digital deluxe)( edition)?$|\b(remastered|remaster|hd|online|edition)$"
)


def unescape(name: str) -> str:
    """Turn "<U+00E9>" escapes (R's CSV export) back into the character."""
    return _ESCAPED.sub(lambda m: chr(int(m.group(1), 16)), name)


def normalize_game_name(name: str) -> str:
    text = unicodedata.normalize("NFKD", re.sub("[™®©℠]", "", unescape(name)))
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.lower().replace("&", " and ").replace("'", "").replace("’", "")
    text = re.sub(r"[^a-z0-9+]+", " ", text).strip()
    previous = None
    while previous != text:  # "... - the complete edition remastered"
        previous = text
        text = _EDITIONS.sub("", text).strip()
    return re.sub(r"\s+", " ", text)
