-- gold.channel_buckets: per platform, channel and bucket (5m, 1h, 1d) in which the channel was live.
-- A channel counts once per poll that saw it live, whatever streams it ran there (their viewers
-- summed), and a poll weighs what it weighs for games (the gap to the platform's next poll, at most
-- its interval: the every-minute head and the 5-minute sweep of Twitch are polls of their own slots,
-- so no second is counted twice). A channel missing from a poll was not live there for us: a head
-- poll reads the top of the list only, so a channel below it is seen by the sweeps (coverage as for
-- games).
--   hours_streamed: the weights of the polls that saw the channel live, in hours;
--   hours_watched: viewers x weight, summed, in hours; avg_viewers: hours_watched / hours_streamed
--          (over the time it was live); peak_viewers: the highest single poll;
--   streams: the streams live in the bucket; streams_started: those of them that went live in it
--          (or whose start the platform did not give), so a month's streams add up from its days;
--   games: the games it streamed; main_game_key, main_language: those of most of its viewer-seconds
--          (ties: the first by name; a language the platform did not give counts for none);
--   channel_name, user_login: as its newest poll in the bucket saw them;
--   rank: by hours_watched within the platform's bucket; is_partial: the bucket reaches past the
--          platform's newest poll.
-- Incremental loads rebuild whole buckets (affected_channel_buckets).
-- depends_on: {{ ref('affected_channel_buckets') }}
{{ config(
    materialized='incremental',
    tags=['channels'],
    pre_hook=hash_joins_on_postgres(),
    incremental_strategy='delete+insert',
    unique_key=['platform', 'bucket', 'bucket_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'bucket', 'bucket_start', 'channel_id'], 'unique': True},
                                {'columns': ['platform', 'channel_id', 'bucket', 'bucket_start']},
                                {'columns': ['platform', 'bucket', 'bucket_start', 'rank']}]),
    dist='channel_id', sort=['bucket', 'bucket_start', 'platform'],
) }}

with
{%- if is_incremental() %}
affected as (select * from {{ ref('affected_channel_buckets') }}),
{%- endif %}
{{ bucketed_polls(ref('polls'), 'affected' if is_incremental() else none) }},
snapshots as (  -- each with its channel's names as the bucket's newest poll saw them
    select b.platform, b.bucket, b.start_epoch, b.poll_id, b.weight, s.channel_id, s.stream_id, s.game_key,
           s.viewers, s.language, s.started_at,
           first_value(s.channel_name) over newest as channel_name,
           first_value(s.user_login) over newest as user_login
    from bucketed b
    join {{ ref('channel_snapshots') }} s on s.platform = b.platform and s.poll_id = b.poll_id
    window newest as (partition by b.platform, b.bucket, b.start_epoch, s.channel_id
                      order by s.observed_at desc, s.stream_id
                      rows between unbounded preceding and unbounded following)
),
channel_polls as (  -- a channel once per poll
    select platform, bucket, start_epoch, poll_id, channel_id, max(weight) as weight, sum(viewers) as viewers
    from snapshots
    group by platform, bucket, start_epoch, poll_id, channel_id
),
channel_values as (
    select platform, bucket, start_epoch, channel_id, sum(weight) as live_seconds,
           sum(viewers * weight) as viewer_seconds, max(viewers) as peak_viewers
    from channel_polls
    group by platform, bucket, start_epoch, channel_id
),
details as (
    select platform, bucket, start_epoch, channel_id, count(distinct stream_id) as streams,
           count(distinct case when started_at is null or {{ epoch('started_at') }} >= start_epoch
                               then stream_id end) as streams_started,
           count(distinct game_key) as games, max(channel_name) as channel_name, max(user_login) as user_login
    from snapshots
    group by platform, bucket, start_epoch, channel_id
),
{{ main_value('snapshots', 'language', ['platform', 'bucket', 'start_epoch', 'channel_id'], 'main_languages') }},
{{ main_value('snapshots', 'game_key', ['platform', 'bucket', 'start_epoch', 'channel_id'], 'main_games') }}
select v.platform, v.bucket, {{ from_epoch('v.start_epoch') }} as bucket_start, v.channel_id, d.channel_name,
       d.user_login, v.viewer_seconds / v.live_seconds as avg_viewers, v.peak_viewers,
       v.live_seconds / 3600.0 as hours_streamed, v.viewer_seconds / 3600.0 as hours_watched,
       d.streams, d.streams_started, d.games, g.game_key as main_game_key, l.language as main_language,
       rank() over (partition by v.platform, v.bucket, v.start_epoch order by v.viewer_seconds desc) as rank,
       v.start_epoch + z.bucket_seconds > r.covered_until as is_partial
from channel_values v
join ({{ bucket_sizes() }}) z on z.bucket = v.bucket
join reach r on r.platform = v.platform
join details d on d.platform = v.platform and d.bucket = v.bucket and d.start_epoch = v.start_epoch
              and d.channel_id = v.channel_id
left join main_games g on g.platform = v.platform and g.bucket = v.bucket and g.start_epoch = v.start_epoch
                      and g.channel_id = v.channel_id
left join main_languages l on l.platform = v.platform and l.bucket = v.bucket and l.start_epoch = v.start_epoch
                          and l.channel_id = v.channel_id
