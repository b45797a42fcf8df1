-- gold.game_latest_hours: per platform and game, the game's newest hourly bucket (its game_buckets row
-- as it is). A game's page shows it as the game's latest hour, and the home page's latest-hour top
-- games are the rows of the platform's newest hour: a few thousand rows to read, where finding them
-- in game_buckets means going through a game's whole hourly history (DuckDB has no index for it).
-- Incremental loads recompute the games with a row in a rebuilt hour, those whose newest hour was
-- rebuilt, and those whose name or category this load changed (game_buckets relabels their rows).
-- A game's newest hour is then in a rebuilt hour or is the hour it had; only a game that left its
-- rebuilt newest hour has its whole hourly history read again. The other games' rows are carried
-- over, and each platform's rows are replaced as a whole (unique_key = platform: a few thousand
-- rows), so a game with no hour left leaves the table.
-- depends_on: {{ ref('affected_buckets') }} {{ ref('games') }}
-- depends_on: {{ ref('stg_silver__games') }} (read by incremental loads only)
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform'],
    indexes=indexes_where_used([{'columns': ['platform', 'game_key'], 'unique': True}]),
    dist='all', sort=['platform', 'bucket_start'],
) }}

{%- set columns = adapter.get_columns_in_relation(ref('game_buckets')) | map(attribute='name') | list %}
with
{%- if is_incremental() %}
rebuilt as (
    select distinct platform, {{ from_epoch('start_epoch') }} as bucket_start
    from {{ ref('affected_buckets') }}
    where bucket = '1h'
),
touched as (
    select b.platform, b.game_key  -- with a row in a rebuilt hour
    from {{ ref('game_buckets') }} b
    join rebuilt r on r.platform = b.platform and r.bucket_start = b.bucket_start
    where b.bucket = '1h'
    union
    select l.platform, l.game_key  -- whose newest hour was rebuilt
    from {{ this }} l
    join rebuilt r on r.platform = l.platform and r.bucket_start = l.bucket_start
    union
    select l.platform, l.game_key  -- renamed or recategorised by this load
    from {{ this }} l
    {{ relabelled_by_this_load('l') }}
),
hours as (  -- where a touched game's newest hour can be: a rebuilt hour or the one it had
    select platform, bucket_start from rebuilt
    union
    select l.platform, l.bucket_start
    from {{ this }} l
    join touched t on t.platform = l.platform and t.game_key = l.game_key
),
left_newest as (  -- games no longer in their rebuilt newest hour
    select l.platform, l.game_key
    from {{ this }} l
    join rebuilt r on r.platform = l.platform and r.bucket_start = l.bucket_start
    where not exists (
        select 1 from {{ ref('game_buckets') }} b
        where b.platform = l.platform and b.bucket = '1h' and b.bucket_start = l.bucket_start
          and b.game_key = l.game_key
    )
),
history as (
    select b.*
    from {{ ref('game_buckets') }} b
    join hours h on h.platform = b.platform and h.bucket_start = b.bucket_start
    join touched t on t.platform = b.platform and t.game_key = b.game_key
    where b.bucket = '1h'
    union all
    select b.*
    from {{ ref('game_buckets') }} b
    join left_newest o on o.platform = b.platform and o.game_key = b.game_key
    where b.bucket = '1h'
),
kept as (
    select l.*
    from {{ this }} l
    where not exists (select 1 from touched t where t.platform = l.platform and t.game_key = l.game_key)
),
{%- else %}
history as (
    select * from {{ ref('game_buckets') }} where bucket = '1h'
),
{%- endif %}
ranked as (
    select h.*, row_number() over (partition by h.platform, h.game_key order by h.bucket_start desc) as newest
    from history h
)
select {{ columns | join(', ') }}
from ranked
where newest = 1
{%- if is_incremental() %}
union all
select {{ columns | join(', ') }}
from kept
{%- endif %}
