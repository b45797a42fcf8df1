-- gold.game_channel_days (DuckDB only): channel_game_days' figures again, with channel_key (DuckDB's
-- hash of channel_id, as in channel_series) instead of the id, for a game's channels over a range.
-- Grouping a game's channel days by channel_id read that string column from every storage segment
-- holding one of the game's days (17 ms for a game's 30 days at 100,000 channels, whatever its
-- size); by the 64-bit key, 10 ms including the join that names the page's channels
-- (bench/api.py). PostgreSQL and Redshift read channel_game_days through their indexes and sort
-- keys; neither builds this model.
-- Incremental loads replace the days channel_game_days rebuilt (the 1d buckets of
-- affected_channel_buckets).
-- depends_on: {{ ref('affected_channel_buckets') }}
{{ config(
    enabled=target.type == 'duckdb',
    materialized='incremental',
    tags=['channels'],
    incremental_strategy='delete+insert',
    unique_key=['platform', 'day_start'],
) }}

select d.platform, d.day_start, d.game_key, hash(d.channel_id) as channel_key, d.hours_streamed, d.hours_watched,
       d.peak_viewers
from {{ ref('channel_game_days') }} d
{%- if is_incremental() %}
where exists (select 1 from {{ ref('affected_channel_buckets') }} a
              where a.bucket = '1d' and a.platform = d.platform and {{ from_epoch('a.start_epoch') }} = d.day_start)
{%- endif %}
order by d.day_start, d.game_key, channel_key
