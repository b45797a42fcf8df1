-- gold.channel_snapshots: every live stream (Twitch) and live video (YouTube) each poll saw, one row
-- per platform, poll and stream: the channel models are built from here. A snapshot staged again
-- replaces its row. Rows of polls that never closed stay here but count nowhere (the channel models
-- weigh only the closed polls of gold_staging.polls).
{{ config(
    materialized='incremental',
    tags=['channels'],
    incremental_strategy='delete+insert',
    unique_key=['platform', 'poll_id', 'stream_id'],
    indexes=indexes_where_used([{'columns': ['platform', 'poll_id', 'stream_id'], 'unique': True},
                                {'columns': ['platform', 'channel_id']}]),
    dist='channel_id', sort=['platform', 'poll_id'],
) }}

with staged as (
    select platform, poll_id, stream_id, channel_id, channel_name, user_login, coalesce(game_key, game_name) as game_key,
           game_name, viewer_count as viewers, language, started_at, observed_at
    from {{ ref('stg_silver__stream_snapshots') }}
    union all
    select 'youtube', poll_id, video_id, channel_id, channel_title, cast(null as {{ text_type() }}),
           coalesce(game_key, game_name), game_name, concurrent_viewers, cast(null as {{ text_type() }}),
           actual_start_time, observed_at
    from {{ ref('stg_silver__video_snapshots') }}
),
numbered as (  -- a snapshot staged twice in one load (an import of a poll silver holds) counts once
    select *, row_number() over (partition by platform, poll_id, stream_id order by observed_at desc) as copy
    from staged
)
select platform, poll_id, stream_id, channel_id, channel_name, user_login, game_key, game_name, viewers, language,
       started_at, observed_at
from numbered
where copy = 1
