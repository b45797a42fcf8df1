-- gold.players_vs_viewers: per game and bucket, Steam players beside Twitch and YouTube viewers
-- (games meet by their normalised key), with viewers per player where both are known; a bucket the
-- game has Steam figures for. One group per game and bucket (each platform's row at most once, by
-- game_buckets' key), so a reader's filter on game, bucket and time reaches the scan: on DuckDB the
-- scan of game_series, clustered by game (game_series.sql).
{{ config(materialized='view') }}

with by_platform as (
    select bucket, bucket_start, game_key,
           max(case when platform = 'steam' then game_name end) as steam_name,
           max(case when platform = 'steam' then avg_players end) as avg_players,
           max(case when platform = 'steam' then peak_players end) as peak_players,
           max(case when platform = 'steam' then coverage end) as steam_coverage,
           max(case when platform = 'steam' then 1 else 0 end) as on_steam,
           max(case when platform = 'twitch' then game_name end) as twitch_name,
           max(case when platform = 'twitch' then avg_viewers end) as twitch_avg_viewers,
           max(case when platform = 'twitch' then peak_viewers end) as twitch_peak_viewers,
           max(case when platform = 'twitch' then coverage end) as twitch_coverage,
           max(case when platform = 'youtube' then avg_viewers end) as youtube_avg_viewers
    from {{ ref('game_series') if target.type == 'duckdb' else ref('game_buckets') }}
    group by bucket, bucket_start, game_key
)
select bucket, bucket_start, game_key, coalesce(twitch_name, steam_name) as game_name,
       avg_players, peak_players, twitch_avg_viewers, twitch_peak_viewers, youtube_avg_viewers,
       case when avg_players > 0 then (coalesce(twitch_avg_viewers, 0) + coalesce(youtube_avg_viewers, 0)) / avg_players end
           as viewers_per_player,
       steam_coverage, twitch_coverage
from by_platform
where on_steam = 1
