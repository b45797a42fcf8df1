-- gold.games: cross-platform game identity from silver.games (staged as `incoming_games`): the
-- normalised key, display name, Steam app id and whether it is a game at all (Just Chatting,
-- Music, ... are not, so rankings can leave them out). Newer rows replace older ones.
DELETE FROM gold.games WHERE game_key IN (SELECT game_key FROM incoming_games);

INSERT INTO gold.games (game_key, name, steam_app_id, is_game, first_seen_at, last_seen_at)
SELECT game_key, name, steam_app_id, is_game, first_seen_at, last_seen_at FROM incoming_games
;

UPDATE gold.game_buckets
SET is_game = g.is_game, game_name = COALESCE(g.name, gold.game_buckets.game_name)
FROM gold.games g
WHERE g.game_key = gold.game_buckets.game_key AND g.game_key IN (SELECT game_key FROM incoming_games)
  AND gold.game_buckets.is_game <> g.is_game
