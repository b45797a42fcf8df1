-- gold.game_buckets: per platform x game x bucket (5m, 1h, 1d), rebuilt for the buckets in `affected`.
-- A poll counts for the smaller of the gap to the platform's next poll and its nominal interval;
-- a game absent from a poll counts as 0 for it; coverage = covered seconds / bucket seconds.
-- The top channel is the one with the most viewers in any single poll of the bucket; views is the
-- highest summed view count of a game's live YouTube videos in the bucket.
INSERT INTO gold.game_buckets (platform, bucket, bucket_start, game_key, game_name, is_game, avg_viewers, peak_viewers,
    hours_watched, avg_channels, peak_channels, avg_viewer_ratio, avg_players, peak_players, mature_share, top_channel,
    top_channel_viewers, views, samples, coverage, is_partial, rank)
WITH polls AS (
    SELECT platform, poll_id, scheduled_at, interval_seconds, coverage,
           LEAST(COALESCE(EXTRACT(EPOCH FROM LEAD(scheduled_at) OVER (PARTITION BY platform ORDER BY scheduled_at))
                          - EXTRACT(EPOCH FROM scheduled_at), interval_seconds), interval_seconds) AS weight
    FROM (SELECT DISTINCT platform, poll_id, scheduled_at, interval_seconds, coverage FROM gold.poll_totals) p
),
bucketed AS (
    SELECT a.bucket, a.bucket_start, a.bucket_seconds, p.platform, p.poll_id, p.weight, p.coverage
    FROM polls p
    JOIN affected a ON a.platform = p.platform
     AND EXTRACT(EPOCH FROM p.scheduled_at) >= EXTRACT(EPOCH FROM a.bucket_start)
     AND EXTRACT(EPOCH FROM p.scheduled_at) < EXTRACT(EPOCH FROM a.bucket_start) + a.bucket_seconds
),
bucket_weights AS (
    SELECT platform, bucket, bucket_start, MAX(bucket_seconds) AS bucket_seconds, SUM(weight) AS weight,
           COUNT(*) AS samples, SUM(weight * COALESCE(coverage, 1.0)) AS covered
    FROM bucketed GROUP BY platform, bucket, bucket_start
),
game_values AS (
    SELECT b.platform, b.bucket, b.bucket_start, t.game_key, MAX(t.game_name) AS game_name,
           SUM(t.viewers * b.weight) AS viewer_seconds, MAX(t.viewers) AS peak_viewers,
           SUM(t.channels * b.weight) AS channel_seconds, MAX(t.channels) AS peak_channels,
           SUM(t.players * b.weight) AS player_seconds, MAX(t.players) AS peak_players,
           SUM(t.mature_channels * b.weight) AS mature_seconds, MAX(t.views) AS views
    FROM bucketed b JOIN gold.poll_totals t ON t.platform = b.platform AND t.poll_id = b.poll_id
    GROUP BY b.platform, b.bucket, b.bucket_start, t.game_key
),
top_channels AS (
    SELECT platform, bucket, bucket_start, game_key, top_channel, top_channel_viewers
    FROM (SELECT b.platform, b.bucket, b.bucket_start, t.game_key, t.top_channel, t.top_channel_viewers,
                 ROW_NUMBER() OVER (PARTITION BY b.platform, b.bucket, b.bucket_start, t.game_key
                                    ORDER BY t.top_channel_viewers DESC, t.top_channel) AS position
          FROM bucketed b JOIN gold.poll_totals t ON t.platform = b.platform AND t.poll_id = b.poll_id
          WHERE t.top_channel_viewers IS NOT NULL) ranked
    WHERE position = 1
),
latest AS (
    SELECT platform, MAX(EXTRACT(EPOCH FROM scheduled_at) + interval_seconds) AS covered_until
    FROM gold.poll_totals GROUP BY platform
)
SELECT g.platform, g.bucket, g.bucket_start, g.game_key, COALESCE(gm.name, g.game_name), COALESCE(gm.is_game, TRUE),
       g.viewer_seconds / w.weight, g.peak_viewers, g.viewer_seconds / 3600.0,
       g.channel_seconds / w.weight, g.peak_channels,
       CASE WHEN g.channel_seconds > 0 THEN g.viewer_seconds / g.channel_seconds END,
       g.player_seconds / w.weight, g.peak_players,
       CASE WHEN g.channel_seconds > 0 THEN g.mature_seconds / g.channel_seconds END,
       tc.top_channel, tc.top_channel_viewers, g.views,
       w.samples, LEAST(w.covered / w.bucket_seconds, 1.0),
       EXTRACT(EPOCH FROM w.bucket_start) + w.bucket_seconds > l.covered_until,
       RANK() OVER (PARTITION BY g.platform, g.bucket, g.bucket_start
                    ORDER BY COALESCE(g.viewer_seconds, g.player_seconds) DESC)
FROM game_values g
JOIN bucket_weights w ON w.platform = g.platform AND w.bucket = g.bucket AND w.bucket_start = g.bucket_start
JOIN latest l ON l.platform = g.platform
LEFT JOIN top_channels tc ON tc.platform = g.platform AND tc.bucket = g.bucket AND tc.bucket_start = g.bucket_start
     AND tc.game_key = g.game_key
LEFT JOIN gold.games gm ON gm.game_key = g.game_key
