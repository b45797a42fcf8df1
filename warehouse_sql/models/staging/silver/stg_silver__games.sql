-- Silver's game identities that the loader staged for this load (games first seen or changed since
-- the last one). The one place the identity models read them from.
select game_key, name, steam_app_id, is_game, first_seen_at, last_seen_at
from {{ source('silver', 'games') }}
