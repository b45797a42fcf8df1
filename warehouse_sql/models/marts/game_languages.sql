-- gold.game_languages: per platform, game, period (a UTC day '1d' or calendar month '1mo') and the
-- language its channels streamed it in: a game's audience by language.
--   hours_watched: the hours watched of the game's channels in that language (channel_game_days:
--          a channel's language on a game in a day is that of most of its viewer-seconds there;
--          'unknown' where the platform gives none, as on YouTube);
--   channels: the channels that streamed the game in that language in the period;
--   share_hours_watched: hours_watched / the game's hours watched over every language in the period;
--   share_channels: channels / the game's channels in the period (a channel that changed language
--          within a month counts in each, so these shares can add up to a little over 1).
-- Incremental loads rebuild whole days and months (affected_channel_buckets, affected_channel_months).
-- depends_on: {{ ref('affected_channel_buckets') }} {{ ref('affected_channel_months') }}
{{ config(
    materialized='incremental',
    tags=['channels'],
    pre_hook=hash_joins_on_postgres(),
    incremental_strategy='delete+insert',
    unique_key=['platform', 'period', 'period_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'period', 'period_start', 'game_key', 'language'],
                                 'unique': True},
                                {'columns': ['game_key', 'period', 'period_start']}]),
    dist='game_key', sort=['period', 'period_start', 'platform'],
) }}

with
{%- if is_incremental() %}
affected as (
    select platform, '1d' as period, {{ from_epoch('start_epoch') }} as period_start
    from {{ ref('affected_channel_buckets') }} where bucket = '1d'
    union
    select platform, '1mo', month_start from {{ ref('affected_channel_months') }}
),
{%- endif %}
periods as (
    select platform, cast('1d' as {{ text_type() }}) as period, day_start as period_start, channel_id, game_key,
           coalesce(language, 'unknown') as language, hours_watched
    from {{ ref('channel_game_days') }}
    union all
    select platform, '1mo', {{ month_floor('day_start') }}, channel_id, game_key,
           coalesce(language, 'unknown'), hours_watched
    from {{ ref('channel_game_days') }}
),
chosen as (
    select p.* from periods p
    {%- if is_incremental() %}
    where exists (select 1 from affected a where a.platform = p.platform and a.period = p.period
                  and a.period_start = p.period_start)
    {%- endif %}
),
by_language as (
    select platform, period, period_start, game_key, language, sum(hours_watched) as hours_watched,
           count(distinct channel_id) as channels
    from chosen
    group by platform, period, period_start, game_key, language
),
by_game as (
    select platform, period, period_start, game_key, sum(hours_watched) as hours_watched,
           count(distinct channel_id) as channels
    from chosen
    group by platform, period, period_start, game_key
)
select l.platform, l.period, l.period_start, l.game_key, l.language, l.hours_watched, l.channels,
       l.hours_watched / nullif(g.hours_watched, 0) as share_hours_watched,
       cast(l.channels as double precision) / g.channels as share_channels
from by_language l
join by_game g on g.platform = l.platform and g.period = l.period and g.period_start = l.period_start
              and g.game_key = l.game_key
