-- gold.players_vs_viewers: per game and bucket, Steam players beside Twitch and YouTube viewers
-- (games meet by their normalised key), with viewers per player where both are known.
{{ config(materialized='view') }}

select s.bucket, s.bucket_start, s.game_key, coalesce(t.game_name, s.game_name) as game_name,
       s.avg_players, s.peak_players, t.avg_viewers as twitch_avg_viewers, t.peak_viewers as twitch_peak_viewers,
       y.avg_viewers as youtube_avg_viewers,
       case when s.avg_players > 0 then (coalesce(t.avg_viewers, 0) + coalesce(y.avg_viewers, 0)) / s.avg_players end
           as viewers_per_player,
       s.coverage as steam_coverage, t.coverage as twitch_coverage
from {{ ref('game_buckets') }} s
left join {{ ref('game_buckets') }} t
       on t.platform = 'twitch' and t.bucket = s.bucket and t.bucket_start = s.bucket_start and t.game_key = s.game_key
left join {{ ref('game_buckets') }} y
       on y.platform = 'youtube' and y.bucket = s.bucket and y.bucket_start = s.bucket_start and y.game_key = s.game_key
where s.platform = 'steam'
