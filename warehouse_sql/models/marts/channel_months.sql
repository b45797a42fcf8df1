-- gold.channel_months: per platform, channel and calendar month (UTC) it was live in, the statistics
-- sites' channel table, rolled up from the month's channel days (channel_buckets' 1d rows):
--   hours_streamed, hours_watched: the days' sums; avg_viewers: hours_watched / hours_streamed (over
--          the time it was live); peak_viewers: the highest single poll;
--   streams: the streams live on its first day in the month plus those that went live on its later
--          days (a stream over midnight counts once);
--   games: the games it streamed in the month (channel_game_days);
--   main_language: the main language of the days holding most of its hours watched;
--   channel_name, user_login: as its newest day in the month has them;
--   rank: by hours_watched within the platform's month; is_partial: the platform's month is partial
--          (platform_months).
-- Incremental loads rebuild whole months (affected_channel_months).
-- depends_on: {{ ref('affected_channel_months') }}
{{ config(
    materialized='incremental',
    tags=['channels'],
    pre_hook=hash_joins_on_postgres(),
    incremental_strategy='delete+insert',
    unique_key=['platform', 'month_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'month_start', 'channel_id'], 'unique': True},
                                {'columns': ['platform', 'channel_id', 'month_start']},
                                {'columns': ['platform', 'month_start', 'rank']}]),
    dist='channel_id', sort=['month_start', 'platform'],
) }}

with
{%- if is_incremental() %}
affected as (select * from {{ ref('affected_channel_months') }}),
{%- endif %}
channel_days as (
    select c.platform, {{ month_floor('c.bucket_start') }} as month_start, c.bucket_start, c.channel_id,
           c.channel_name, c.user_login, c.hours_streamed, c.hours_watched, c.peak_viewers, c.main_language,
           case when c.bucket_start = min(c.bucket_start) over (partition by c.platform, c.channel_id,
                                                                 {{ month_floor('c.bucket_start') }})
                then c.streams else c.streams_started end as new_streams
    from {{ ref('channel_buckets') }} c
    where c.bucket = '1d'
    {%- if is_incremental() %}
      and exists (select 1 from affected a where a.platform = c.platform
                  and a.month_start = {{ month_floor('c.bucket_start') }})
    {%- endif %}
),
month_values as (
    select platform, month_start, channel_id, sum(hours_streamed) as hours_streamed,
           sum(hours_watched) as hours_watched, max(peak_viewers) as peak_viewers, sum(new_streams) as streams
    from channel_days
    group by platform, month_start, channel_id
),
languages as (
    select platform, month_start, channel_id, main_language
    from (select platform, month_start, channel_id, main_language,
                 row_number() over (partition by platform, month_start, channel_id
                                    order by sum(hours_watched) desc, main_language) as position
          from channel_days
          where main_language is not null
          group by platform, month_start, channel_id, main_language) ranked
    where position = 1
),
names as (
    select platform, month_start, channel_id, channel_name, user_login,
           row_number() over (partition by platform, month_start, channel_id order by bucket_start desc) as newest
    from channel_days
),
games as (
    select g.platform, {{ month_floor('g.day_start') }} as month_start, g.channel_id, count(distinct g.game_key) as games
    from {{ ref('channel_game_days') }} g
    {%- if is_incremental() %}
    where exists (select 1 from affected a where a.platform = g.platform
                  and a.month_start = {{ month_floor('g.day_start') }})
    {%- endif %}
    group by g.platform, {{ month_floor('g.day_start') }}, g.channel_id
)
select v.platform, v.month_start, v.channel_id, n.channel_name, n.user_login, v.hours_streamed, v.hours_watched,
       v.hours_watched / nullif(v.hours_streamed, 0) as avg_viewers, v.peak_viewers, v.streams,
       coalesce(g.games, 0) as games, l.main_language,
       rank() over (partition by v.platform, v.month_start order by v.hours_watched desc) as rank,
       coalesce(m.is_partial, true) as is_partial
from month_values v
join names n on n.platform = v.platform and n.month_start = v.month_start and n.channel_id = v.channel_id
            and n.newest = 1
left join games g on g.platform = v.platform and g.month_start = v.month_start and g.channel_id = v.channel_id
left join languages l on l.platform = v.platform and l.month_start = v.month_start and l.channel_id = v.channel_id
left join {{ ref('platform_months') }} m on m.platform = v.platform and m.month_start = v.month_start
