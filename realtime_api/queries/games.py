"""Finding a game: search, the game a text names, every game's identity, close keys for a 404,
and a game's page (identity, Steam reviews, latest hour per platform)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from rapidfuzz import fuzz, process

from gamestream.core.names import normalize_game_name
from realtime_api.queries.vocabulary import per_game
from realtime_api.store import GoldStore


def search(store: GoldStore, q: str, include_non_games: bool, limit: int, offset: int) -> dict[str, Any]:
    pattern = "%" + q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    rows = store.rows(
        """SELECT game_key, slug, name, steam_app_id, is_game, COUNT(*) OVER () AS total_count FROM gold.games
           WHERE (LOWER(name) LIKE :pattern ESCAPE '\\' OR game_key LIKE :pattern ESCAPE '\\')
             AND (is_game OR :include_non_games)
           ORDER BY CASE WHEN LOWER(name) = :exact THEN 0 WHEN LOWER(name) LIKE :prefix ESCAPE '\\' THEN 1 ELSE 2 END,
                    name
           LIMIT :limit OFFSET :offset""",
        {
            "pattern": pattern,
            "include_non_games": include_non_games,
            "exact": q.lower(),
            "prefix": pattern[1:],
            "limit": limit,
            "offset": offset,
        },
    )
    total = int(rows[0]["total_count"]) if rows else 0
    return {"items": [{k: v for k, v in r.items() if k != "total_count"} for r in rows], "total": total}


def resolve_game(store: GoldStore, text: str) -> dict[str, Any] | None:
    """The game `text` names (game_key, slug, name): by its key, its slug, its name written any way
    that normalises to its key ('Counter-Strike 2', 'counter strike 2', 'counter-strike-2') or its
    display name in any case; a key present in gold's buckets but not (yet) in gold.games is
    accepted as written or normalised."""
    params = {"text": text, "normal": normalize_game_name(text), "lower": text.strip().lower()}
    rows = store.rows(
        """SELECT game_key, slug, name FROM gold.games
           WHERE game_key = :text OR slug = :lower OR game_key = :normal OR LOWER(name) = :lower
           ORDER BY CASE WHEN game_key = :text THEN 0 WHEN slug = :lower THEN 1 WHEN game_key = :normal THEN 2 ELSE 3 END,
                    game_key
           LIMIT 1""",
        params,
    )
    if not rows:
        rows = store.rows(
            f"""SELECT game_key, NULL AS slug, MAX(game_name) AS name FROM {per_game(store)}
                WHERE bucket = '1d' AND game_key IN (:text, :normal)
                GROUP BY game_key ORDER BY CASE WHEN game_key = :text THEN 0 ELSE 1 END LIMIT 1""",
            params,
        )
    return rows[0] if rows else None


def games(store: GoldStore) -> list[dict[str, Any]]:
    """Every game in gold.games: game_key, slug, name, is_game."""
    return store.rows("SELECT game_key, slug, name, is_game FROM gold.games")


SUGGESTION_CUTOFF = 60  # similarity (0-100) a key needs to be suggested: difflib's 0.6, as before


def close_keys(text: str, keys: Sequence[str], limit: int = 5) -> list[str]:
    """The keys that come close to `text` normalised, closest first: the normalised Indel similarity
    (difflib's ratio, computed exactly) by rapidfuzz, which scans 50,000 keys in a few milliseconds."""
    query = normalize_game_name(text) or text.lower()
    found = process.extract(query, keys, scorer=fuzz.ratio, limit=limit, score_cutoff=SUGGESTION_CUTOFF)
    return [key for key, _, _ in found]


REVIEW_COLUMNS = (
    "review_score",
    "review_score_desc",
    "total_positive",
    "total_negative",
    "total_reviews",
    "positive_ratio",
    "observed_at",
)


def game(store: GoldStore, game_key: str) -> dict[str, Any] | None:
    identity = store.rows(  # with its Steam reviews in the same read
        f"""SELECT g.game_key, g.slug, g.name, g.steam_app_id, g.is_game, r.app_id AS reviewed_app_id,
                   {", ".join("r." + c for c in REVIEW_COLUMNS)}
            FROM gold.games g LEFT JOIN gold.game_reviews r ON r.app_id = g.steam_app_id
            WHERE g.game_key = :game_key""",
        {"game_key": game_key},
    )
    latest = store.rows(
        "SELECT * FROM gold.game_latest_hours WHERE game_key = :game_key ORDER BY platform", {"game_key": game_key}
    )
    if not identity and not latest:
        return None
    reviews = None
    if identity:
        row = identity[0]
        found = {k: row[k] for k in ("game_key", "slug", "name", "steam_app_id", "is_game")}
        if row["reviewed_app_id"] is not None:
            reviews = {c: row[c] for c in REVIEW_COLUMNS}
    else:
        found = {
            "game_key": game_key,
            "slug": None,
            "name": latest[0]["game_name"],
            "steam_app_id": None,
            "is_game": latest[0]["is_game"],
        }
    return {
        **found,
        "is_game": bool(found["is_game"]),
        "reviews": reviews,
        "platforms": {
            r["platform"]: {k: v for k, v in r.items() if k not in ("platform", "game_key", "game_name")}
            for r in latest
        },
    }
