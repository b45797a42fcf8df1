-- gold.game_series (DuckDB only): game_buckets' rows again, clustered by game for the per-game reads
-- (a game's series, players vs viewers, rankings over whole days). Written period by period (the
-- UTC day for 5-minute buckets, the UTC month for hourly and daily ones), sorted by series_key
-- (period, platform, bucket size, then game_key's first 8 bytes: macro series_key), game and time.
-- DuckDB has no index that finds one game's rows, but its zone maps skip the row groups without
-- the game: a 30-day hourly series reads a row group or two per month and platform, not every
-- game's hours. Filtering on series_key, it also skips the row groups where two periods meet,
-- which span every game_key: 6 row groups for a 30-day series of 5,000 games, against 11 on
-- game_key alone (players vs viewers still filter on game_key alone).
-- PostgreSQL serves these reads from game_buckets' (game_key, bucket, bucket_start) index and
-- Redshift from its sort keys; neither builds this model.
-- Incremental loads rewrite the periods holding a rebuilt bucket (so the current day and month),
-- and those holding a game whose name or category this load changed (game_buckets relabels its
-- rows).
-- depends_on: {{ ref('affected_buckets') }} {{ ref('games') }}
-- depends_on: {{ ref('stg_silver__games') }} (read by incremental loads only)
{{ config(
    enabled=target.type == 'duckdb',
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'bucket', 'period_start'],
) }}

with
{%- if is_incremental() %}
periods as (
    select distinct platform, bucket, {{ series_period('bucket', from_epoch('start_epoch')) }} as period_start
    from {{ ref('affected_buckets') }}
    union
    select distinct s.platform, s.bucket, s.period_start  -- games renamed or recategorised by this load
    from {{ this }} s
    {{ relabelled_by_this_load('s') }}
),
bounds as (  -- no period is longer than 31 days
    select min(period_start) as first_start, max(period_start) + interval '32 days' as last_end from periods
),
{%- endif %}
periodic as (
    select b.*, {{ series_period('b.bucket', 'b.bucket_start') }} as period_start
    from {{ ref('game_buckets') }} b
    {%- if is_incremental() %}
    where b.bucket_start >= (select first_start from bounds) and b.bucket_start < (select last_end from bounds)
    {%- endif %}
)
select c.*, {{ series_key('c.period_start', 'c.platform', 'c.bucket', 'c.game_key') }} as series_key
from periodic c
{%- if is_incremental() %}
where exists (select 1 from periods p where p.platform = c.platform and p.bucket = c.bucket
              and p.period_start = c.period_start)
{%- endif %}
order by series_key, c.game_key, c.bucket_start
