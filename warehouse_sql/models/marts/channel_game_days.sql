-- gold.channel_game_days: per platform, UTC day, channel and game it streamed that day: what a
-- channel's games table and a game's channels are read from (any range of whole days adds up).
-- Counted as channel_buckets counts a channel, per game: a poll that saw the channel live on the
-- game weighs its weight there (a channel on two games in one poll, as two YouTube broadcasts can
-- be, counts the poll for each).
--   hours_streamed, hours_watched, avg_viewers (hours_watched / hours_streamed), peak_viewers;
--   language: the language of most of its viewer-seconds on the game that day (null when the
--          platform gave none);
--   game_name: as the day's snapshots spelt it.
-- Incremental loads rebuild whole days (the 1d buckets of affected_channel_buckets), written game
-- by game: a game's channels of a day lie side by side, so DuckDB reads their ids from a vector or
-- two a day, not from one per channel (a game's channels over 30 days at 100,000 channels).
-- depends_on: {{ ref('affected_channel_buckets') }}
{{ config(
    materialized='incremental',
    tags=['channels'],
    pre_hook=hash_joins_on_postgres(),
    incremental_strategy='delete+insert',
    unique_key=['platform', 'day_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'day_start', 'channel_id', 'game_key'], 'unique': True},
                                {'columns': ['platform', 'channel_id', 'day_start']},
                                {'columns': ['game_key', 'day_start']}]),
    dist='channel_id', sort=['day_start', 'platform'],
) }}

with
{%- if is_incremental() %}
affected as (select * from {{ ref('affected_channel_buckets') }} where bucket = '1d'),
{%- endif %}
{{ bucketed_polls(ref('polls'), 'affected' if is_incremental() else none) }},
snapshots as (
    select b.platform, b.start_epoch, b.poll_id, b.weight, s.channel_id, s.game_key, s.game_name, s.viewers, s.language
    from bucketed b
    join {{ ref('channel_snapshots') }} s on s.platform = b.platform and s.poll_id = b.poll_id
    where b.bucket = '1d'
),
game_polls as (  -- a channel once per poll and game
    select platform, start_epoch, poll_id, channel_id, game_key, max(game_name) as game_name, max(weight) as weight,
           sum(viewers) as viewers
    from snapshots
    group by platform, start_epoch, poll_id, channel_id, game_key
),
game_values as (
    select platform, start_epoch, channel_id, game_key, max(game_name) as game_name, sum(weight) as live_seconds,
           sum(viewers * weight) as viewer_seconds, max(viewers) as peak_viewers
    from game_polls
    group by platform, start_epoch, channel_id, game_key
),
{{ main_value('snapshots', 'language', ['platform', 'start_epoch', 'channel_id', 'game_key'], 'languages') }}
select v.platform, {{ from_epoch('v.start_epoch') }} as day_start, v.channel_id, v.game_key, v.game_name,
       v.live_seconds / 3600.0 as hours_streamed, v.viewer_seconds / 3600.0 as hours_watched,
       v.viewer_seconds / v.live_seconds as avg_viewers, v.peak_viewers, l.language
from game_values v
left join languages l on l.platform = v.platform and l.start_epoch = v.start_epoch and l.channel_id = v.channel_id
                     and l.game_key = v.game_key
order by v.start_epoch, v.game_key, v.channel_id
