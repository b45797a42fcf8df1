-- gold.channel_game_months: per platform, calendar month (UTC), channel and game it streamed in the
-- month, rolled up from channel_game_days: hours_streamed and hours_watched (sums), avg_viewers
-- (hours_watched / hours_streamed), peak_viewers (the highest single poll), language (of the days
-- holding most of its hours watched on the game), game_name (as its newest day spelt it).
-- Incremental loads rebuild whole months (affected_channel_months).
-- depends_on: {{ ref('affected_channel_months') }}
{{ config(
    materialized='incremental',
    tags=['channels'],
    pre_hook=hash_joins_on_postgres(),
    incremental_strategy='delete+insert',
    unique_key=['platform', 'month_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'month_start', 'channel_id', 'game_key'], 'unique': True},
                                {'columns': ['platform', 'channel_id', 'month_start']},
                                {'columns': ['game_key', 'month_start']}]),
    dist='channel_id', sort=['month_start', 'platform'],
) }}

with
{%- if is_incremental() %}
affected as (select * from {{ ref('affected_channel_months') }}),
{%- endif %}
days as (
    select g.platform, {{ month_floor('g.day_start') }} as month_start, g.day_start, g.channel_id, g.game_key,
           g.game_name, g.hours_streamed, g.hours_watched, g.peak_viewers, g.language
    from {{ ref('channel_game_days') }} g
    {%- if is_incremental() %}
    where exists (select 1 from affected a where a.platform = g.platform
                  and a.month_start = {{ month_floor('g.day_start') }})
    {%- endif %}
),
month_values as (
    select platform, month_start, channel_id, game_key, sum(hours_streamed) as hours_streamed,
           sum(hours_watched) as hours_watched, max(peak_viewers) as peak_viewers
    from days
    group by platform, month_start, channel_id, game_key
),
languages as (
    select platform, month_start, channel_id, game_key, language
    from (select platform, month_start, channel_id, game_key, language,
                 row_number() over (partition by platform, month_start, channel_id, game_key
                                    order by sum(hours_watched) desc, language) as position
          from days
          where language is not null
          group by platform, month_start, channel_id, game_key, language) ranked
    where position = 1
),
names as (
    select platform, month_start, channel_id, game_key, game_name,
           row_number() over (partition by platform, month_start, channel_id, game_key order by day_start desc)
               as newest
    from days
)
select v.platform, v.month_start, v.channel_id, v.game_key, n.game_name, v.hours_streamed, v.hours_watched,
       v.hours_watched / nullif(v.hours_streamed, 0) as avg_viewers, v.peak_viewers, l.language
from month_values v
join names n on n.platform = v.platform and n.month_start = v.month_start and n.channel_id = v.channel_id
            and n.game_key = v.game_key and n.newest = 1
left join languages l on l.platform = v.platform and l.month_start = v.month_start and l.channel_id = v.channel_id
                     and l.game_key = v.game_key
