-- gold.game_buckets: per platform, game and bucket (5m, 1h, 1d).
--   avg_viewers, avg_channels: time-weighted averages over the bucket's polls (a poll weighs the
--          seconds it stands for; a game absent from a poll counts 0 there: no live stream);
--   avg_players: player-seconds / players_observed_seconds, the seconds of the bucket's polls that
--          sampled the app (players not null): a Steam app absent from a poll was not sampled there
--          (a failed request, a long-tail app polled every few slots), a gap, never 0 players;
--          players_observed_seconds: null for rows without players (Twitch, YouTube);
--   peak_*: the highest single poll;
--   hours_watched = avg_viewers x the hours the platform was observed in the bucket;
--   coverage: as platform_buckets'; top_channel: the channel with the most viewers in any one poll;
--   views: the highest summed view count of the game's live YouTube videos;
--   rank: by average within the platform's bucket; growth, change, views_change: against the
--   previous bucket of the same size (growth only when both are covered alike, coverage within 0.2);
--   change_4h: against the bucket 4 hours earlier, for buckets shorter than that.
-- Incremental loads rebuild whole buckets (affected_buckets), so games gone from a bucket go too.
-- depends_on: {{ ref('affected_buckets') }}
-- depends_on: {{ ref('stg_silver__games') }} (read by incremental loads only)
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'bucket', 'bucket_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'bucket', 'bucket_start', 'game_key'], 'unique': True},
                                {'columns': ['game_key', 'bucket', 'bucket_start']},
                                {'columns': ['platform', 'bucket', 'bucket_start', 'rank']}]),
    dist='game_key', sort=['bucket', 'bucket_start', 'platform'],
) }}

{% set span = var('change_span_seconds') %}
with
{%- if is_incremental() %}
affected as (select * from {{ ref('affected_buckets') }}),
needed as (  -- the affected buckets and those their changes are measured against
    select platform, bucket, bucket_seconds, start_epoch from affected
    union
    select platform, bucket, bucket_seconds, start_epoch - bucket_seconds from affected
    union
    select platform, bucket, bucket_seconds, start_epoch - {{ span }} from affected where bucket_seconds < {{ span }}
),
{%- endif %}
{{ bucketed_polls(ref('polls'), 'needed' if is_incremental() else none) }},
bucket_weights as (
    select platform, bucket, start_epoch, max(bucket_seconds) as bucket_seconds, sum(weight) as weight,
           count(*) as samples, sum(weight * coalesce(coverage, 1.0)) as covered
    from bucketed
    group by platform, bucket, start_epoch
),
game_polls as (
    select b.platform, b.bucket, b.start_epoch, b.weight, t.game_key, t.game_name, t.viewers, t.channels, t.players,
           t.mature_channels, t.views, t.top_channel_viewers,
           first_value(t.top_channel) over (partition by b.platform, b.bucket, b.start_epoch, t.game_key
                                            order by t.top_channel_viewers desc nulls last, t.top_channel
                                            rows between unbounded preceding and unbounded following) as top_channel
    from bucketed b
    join {{ ref('poll_totals') }} t on t.platform = b.platform and t.poll_id = b.poll_id
),
game_values as (
    select platform, bucket, start_epoch, game_key, max(game_name) as game_name,
           sum(viewers * weight) as viewer_seconds, max(viewers) as peak_viewers,
           sum(channels * weight) as channel_seconds, max(channels) as peak_channels,
           sum(players * weight) as player_seconds, max(players) as peak_players,
           sum(case when players is not null then weight end) as players_observed_seconds,
           sum(mature_channels * weight) as mature_seconds, max(views) as views,
           max(top_channel) as top_channel, max(top_channel_viewers) as top_channel_viewers
    from game_polls
    group by platform, bucket, start_epoch, game_key
),
base as (
    select g.platform, g.bucket, w.bucket_seconds, g.start_epoch, g.game_key,
           coalesce(gm.name, g.game_name) as game_name, coalesce(gm.is_game, true) as is_game,
           g.viewer_seconds / w.weight as avg_viewers, g.peak_viewers, g.viewer_seconds / 3600.0 as hours_watched,
           g.channel_seconds / w.weight as avg_channels, g.peak_channels,
           case when g.channel_seconds > 0 then g.viewer_seconds / g.channel_seconds end as avg_viewer_ratio,
           g.player_seconds / nullif(g.players_observed_seconds, 0) as avg_players, g.peak_players,
           g.players_observed_seconds,
           case when g.channel_seconds > 0 then g.mature_seconds / g.channel_seconds end as mature_share,
           g.top_channel, g.top_channel_viewers, g.views, w.samples,
           least(w.covered / w.bucket_seconds, 1.0) as coverage,
           g.start_epoch + w.bucket_seconds > r.covered_until as is_partial,
           rank() over (partition by g.platform, g.bucket, g.start_epoch
                        order by coalesce(g.viewer_seconds / w.weight,
                                          g.player_seconds / nullif(g.players_observed_seconds, 0)) desc nulls last)
               as rank
    from game_values g
    join bucket_weights w on w.platform = g.platform and w.bucket = g.bucket and w.start_epoch = g.start_epoch
    join reach r on r.platform = g.platform
    left join {{ ref('games') }} gm on gm.game_key = g.game_key
)
{%- if is_incremental() %},
relabelled as (  -- buckets not rebuilt that hold a game whose name or category this load changed
    select distinct b.platform, b.bucket, b.bucket_start
    from {{ this }} b
    {{ relabelled_by_this_load('b') }}
      and not exists (select 1 from affected a where a.platform = b.platform and a.bucket = b.bucket
                      and {{ from_epoch('a.start_epoch') }} = b.bucket_start)
)
{%- endif %}
select c.platform, c.bucket, {{ from_epoch('c.start_epoch') }} as bucket_start, c.game_key, c.game_name, c.is_game,
       c.avg_viewers, c.peak_viewers, c.hours_watched, c.avg_channels, c.peak_channels, c.avg_viewer_ratio,
       c.avg_players, c.peak_players, c.players_observed_seconds, c.mature_share, c.top_channel,
       c.top_channel_viewers, c.views, c.samples,
       c.coverage, c.is_partial, c.rank,
       case when coalesce(p.avg_viewers, p.avg_players) > 0 and abs(c.coverage - p.coverage) <= 0.2
            then (coalesce(c.avg_viewers, c.avg_players) - coalesce(p.avg_viewers, p.avg_players))
                 / coalesce(p.avg_viewers, p.avg_players)
       end as growth,
       coalesce(c.avg_viewers, c.avg_players) - coalesce(p.avg_viewers, p.avg_players) as change,
       coalesce(c.avg_viewers, c.avg_players) - coalesce(f.avg_viewers, f.avg_players) as change_4h,
       c.views - p.views as views_change
from base c
left join base p on p.platform = c.platform and p.bucket = c.bucket and p.game_key = c.game_key
                and p.start_epoch = c.start_epoch - c.bucket_seconds
left join base f on f.platform = c.platform and f.bucket = c.bucket and f.game_key = c.game_key
                and f.start_epoch = c.start_epoch - {{ span }} and c.bucket_seconds < {{ span }}
{%- if is_incremental() %}
where exists (select 1 from affected a where a.platform = c.platform and a.bucket = c.bucket
              and a.start_epoch = c.start_epoch)
union all
select b.platform, b.bucket, b.bucket_start, b.game_key, coalesce(gm.name, b.game_name), coalesce(gm.is_game, b.is_game),
       b.avg_viewers, b.peak_viewers, b.hours_watched, b.avg_channels, b.peak_channels, b.avg_viewer_ratio,
       b.avg_players, b.peak_players, b.players_observed_seconds, b.mature_share, b.top_channel,
       b.top_channel_viewers, b.views, b.samples,
       b.coverage, b.is_partial, b.rank, b.growth, b.change, b.change_4h, b.views_change
from {{ this }} b
join relabelled r on r.platform = b.platform and r.bucket = b.bucket and r.bucket_start = b.bucket_start
left join {{ ref('games') }} gm on gm.game_key = b.game_key
{%- endif %}
