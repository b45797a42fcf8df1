-- gold.games: cross-platform game identity: the normalised key, display name, Steam app id and
-- whether it is a game at all (Just Chatting, Music, ... are not, so rankings can leave them out).
-- A staged row replaces the game's row.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='game_key',
    indexes=[{'columns': ['game_key'], 'unique': True}, {'columns': ['lower(name)']}],
    dist='all',
) }}

select game_key, name, steam_app_id, is_game, first_seen_at, last_seen_at
from {{ source('silver', 'games') }}
