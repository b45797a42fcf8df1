-- gold.games: cross-platform game identity: the normalised key, display name, Steam app id,
-- whether it is a game at all (Just Chatting, Music, ... are not, so rankings can leave them out)
-- and its URL slug. A staged row replaces the game's row and keeps the game's slug.
-- slug: the key's natural slug (macros/slugs.sql); when another game holds it already (or an
-- earlier-seen game of the same load), '--2', '--3', ... in the order the games were first seen.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='game_key',
    indexes=indexes_where_used([{'columns': ['game_key'], 'unique': True}, {'columns': ['lower(name)']},
                                {'columns': ['slug'], 'unique': True}]),
    dist='all',
    full_refresh=false,
    on_schema_change='append_new_columns',
) }}
{#- Never rebuilt, not even by a full refresh (a new gold_version): a slug is a game's URL, and a
    rebuild would number colliding slugs by when the games were first seen, not by when they got
    theirs. A new column is added in place instead. -#}

with staged as (
    select game_key, name, steam_app_id, is_game, first_seen_at, last_seen_at, {{ game_slug('game_key') }} as base
    from {{ ref('stg_silver__games') }}
),
fresh as (  -- games without a slug yet, numbered per natural slug
    select s.game_key, s.base,
           row_number() over (partition by s.base order by s.first_seen_at, s.game_key) as position
    from staged s
    {%- if is_incremental() %}
    where not exists (select 1 from {{ this }} t where t.game_key = s.game_key)
    {%- endif %}
),
taken as (  -- how many games hold each natural slug already (plain or suffixed)
    {%- if is_incremental() %}
    select b.base, count(*) as games
    from (select distinct base from fresh) b
    join {{ this }} t on t.slug = b.base or t.slug like b.base || '--%'
    group by b.base
    {%- else %}
    select cast(null as {{ text_type() }}) as base, 0 as games where 1 = 0
    {%- endif %}
),
slugs as (
    select f.game_key,
           case when f.position + coalesce(t.games, 0) = 1 then f.base
                else f.base || '--' || cast(f.position + coalesce(t.games, 0) as {{ text_type() }}) end as slug
    from fresh f
    left join taken t on t.base = f.base
    {%- if is_incremental() %}
    union all
    select game_key, slug from {{ this }} where game_key in (select game_key from staged)
    {%- endif %}
)
select s.game_key, s.name, s.steam_app_id, s.is_game, s.first_seen_at, s.last_seen_at, l.slug
from staged s
join slugs l on l.game_key = s.game_key
