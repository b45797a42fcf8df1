-- gold.game_months: per platform, game and calendar month (UTC), the statistics sites' monthly
-- table, rolled up from the month's daily game_buckets (UTC days tile UTC months, so the roll-up
-- equals the definitions over the month's polls):
--   avg_viewers, avg_channels: time-weighted over the month (a day weighs its observed seconds; a
--          game absent from an observed day counts 0 there);
--   avg_players: over the seconds that sampled the app, as game_buckets': sum over days of
--          avg_players x players_observed_seconds / sum of players_observed_seconds (the month's
--          seconds whose polls sampled the app; days without a sample are gaps, not 0 players);
--   peak_*: the highest single poll;
--   hours_watched: the days' sum (= avg_viewers x the month's observed hours);
--   avg_viewer_ratio: viewers per channel (viewer-seconds / channel-seconds);
--   coverage, is_partial: the platform's month (platform_months);
--   rank: by average (viewers, else players) within the platform's month, every category counted;
--   gain, growth: the average's change vs the month before, and that change over the month before's
--   average (null when the game was not in the month before).
-- Incremental loads rebuild whole months (affected_months, months held as partial, and months
-- holding a game whose name or category this load changed).
-- depends_on: {{ ref('affected_buckets') }} {{ ref('affected_months') }}
-- depends_on: {{ ref('stg_silver__games') }} (read by incremental loads only)
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'month_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'month_start', 'game_key'], 'unique': True},
                                {'columns': ['game_key', 'month_start']},
                                {'columns': ['platform', 'month_start', 'rank']}]),
    dist='game_key', sort=['month_start', 'platform'],
) }}

with
{%- if is_incremental() %}
affected as (
    select platform, month_start from {{ ref('affected_months') }}
    union
    select platform, month_start from {{ this }} where is_partial
    union
    select distinct m.platform, m.month_start  -- games renamed or recategorised by this load
    from {{ this }} m
    {{ relabelled_by_this_load('m') }}
),
needed as (  -- the affected months and those their gains are measured against
    select platform, month_start from affected
    union
    select platform, {{ add_months('month_start', -1) }} from affected
),
bounds as (
    select platform, min(month_start) as first_start, max({{ add_months('month_start', 1) }}) as last_end
    from needed group by platform
),
{%- endif %}
game_days as (
    select g.platform, {{ month_floor('g.bucket_start') }} as month_start, g.game_key, g.game_name,
           g.avg_viewers * p.observed_seconds as viewer_seconds, g.peak_viewers,
           g.avg_channels * p.observed_seconds as channel_seconds, g.peak_channels,
           g.avg_players * g.players_observed_seconds as player_seconds, g.peak_players,
           g.players_observed_seconds, g.hours_watched
    from {{ ref('game_buckets') }} g
    join {{ ref('platform_buckets') }} p
      on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
    {%- if is_incremental() %}
    join bounds b on b.platform = g.platform and g.bucket_start >= b.first_start and g.bucket_start < b.last_end
    {%- endif %}
    where g.bucket = '1d'
    {%- if is_incremental() %}
      and exists (select 1 from needed n where n.platform = g.platform
                  and n.month_start = {{ month_floor('g.bucket_start') }})
    {%- endif %}
),
game_values as (
    select platform, month_start, game_key, max(game_name) as game_name,
           sum(viewer_seconds) as viewer_seconds, max(peak_viewers) as peak_viewers,
           sum(channel_seconds) as channel_seconds, max(peak_channels) as peak_channels,
           sum(player_seconds) as player_seconds, max(peak_players) as peak_players,
           sum(players_observed_seconds) as players_observed_seconds, sum(hours_watched) as hours_watched
    from game_days
    group by platform, month_start, game_key
),
base as (
    select g.platform, g.month_start, g.game_key, coalesce(gm.name, g.game_name) as game_name,
           coalesce(gm.is_game, true) as is_game,
           g.viewer_seconds / m.observed_seconds as avg_viewers, g.peak_viewers, g.hours_watched,
           g.channel_seconds / m.observed_seconds as avg_channels, g.peak_channels,
           case when g.channel_seconds > 0 then g.viewer_seconds / g.channel_seconds end as avg_viewer_ratio,
           g.player_seconds / nullif(g.players_observed_seconds, 0) as avg_players, g.peak_players,
           g.players_observed_seconds, m.coverage, m.is_partial, m.month_end,
           rank() over (partition by g.platform, g.month_start
                        order by coalesce(g.viewer_seconds / m.observed_seconds,
                                          g.player_seconds / nullif(g.players_observed_seconds, 0)) desc nulls last)
               as rank
    from game_values g
    join {{ ref('platform_months') }} m on m.platform = g.platform and m.month_start = g.month_start
    left join {{ ref('games') }} gm on gm.game_key = g.game_key
)
select c.platform, c.month_start, c.game_key, c.game_name, c.is_game, c.avg_viewers, c.peak_viewers, c.hours_watched,
       c.avg_channels, c.peak_channels, c.avg_viewer_ratio, c.avg_players, c.peak_players, c.players_observed_seconds,
       c.coverage, c.is_partial, c.rank,
       coalesce(c.avg_viewers, c.avg_players) - coalesce(p.avg_viewers, p.avg_players) as gain,
       case when coalesce(p.avg_viewers, p.avg_players) > 0
            then (coalesce(c.avg_viewers, c.avg_players) - coalesce(p.avg_viewers, p.avg_players))
                 / coalesce(p.avg_viewers, p.avg_players)
       end as growth
from base c
left join base p on p.platform = c.platform and p.game_key = c.game_key and p.month_end = c.month_start
{%- if is_incremental() %}
where exists (select 1 from affected a where a.platform = c.platform and a.month_start = c.month_start)
{%- endif %}
