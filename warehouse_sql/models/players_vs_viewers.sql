-- gold.players_vs_viewers: per game and bucket, Steam players beside Twitch and YouTube viewers
-- (games meet by their normalised key), with viewers per player where both are known.
CREATE OR REPLACE VIEW gold.players_vs_viewers AS
SELECT s.bucket, s.bucket_start, s.game_key, COALESCE(t.game_name, s.game_name) AS game_name,
       s.avg_players, s.peak_players, t.avg_viewers AS twitch_avg_viewers, t.peak_viewers AS twitch_peak_viewers,
       y.avg_viewers AS youtube_avg_viewers,
       CASE WHEN s.avg_players > 0 THEN (COALESCE(t.avg_viewers, 0) + COALESCE(y.avg_viewers, 0)) / s.avg_players END
           AS viewers_per_player,
       s.coverage AS steam_coverage, t.coverage AS twitch_coverage
FROM gold.game_buckets s
LEFT JOIN gold.game_buckets t
       ON t.platform = 'twitch' AND t.bucket = s.bucket AND t.bucket_start = s.bucket_start AND t.game_key = s.game_key
LEFT JOIN gold.game_buckets y
       ON y.platform = 'youtube' AND y.bucket = s.bucket AND y.bucket_start = s.bucket_start AND y.game_key = s.game_key
WHERE s.platform = 'steam'
