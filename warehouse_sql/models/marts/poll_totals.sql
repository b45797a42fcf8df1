-- gold.poll_totals: every closed poll's per-game totals (complete or partial: silver holds a poll once
-- it closed), one row per platform, poll and game. A poll staged again replaces its rows.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'poll_id', 'game_key'],
    indexes=indexes_where_used([{'columns': ['platform', 'poll_id', 'game_key'], 'unique': True},
             {'columns': ['platform', 'scheduled_at']}]),
    dist='game_key', sort=['platform', 'scheduled_at'],
) }}

select platform, source, game_key, game_name, poll_id, scheduled_at, interval_seconds, viewers, channels, players,
       mature_channels, coverage, status, top_channel, top_channel_viewers, views
from {{ ref('stg_silver__game_poll_totals') }}
where status in ('complete', 'partial')
