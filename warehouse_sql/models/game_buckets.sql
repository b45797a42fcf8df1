-- gold.game_buckets: per platform x game x bucket (5m, 1h, 1d), rebuilt for the buckets in `affected`.
-- A poll counts for the smaller of the gap to the platform's next poll and its nominal interval;
-- a game absent from a poll counts as 0 for it; coverage = covered seconds / bucket seconds.
-- The top channel is the one with the most viewers in any single poll of the bucket; views is the
-- highest summed view count of a game's live YouTube videos in the bucket.
-- Staged by the loader: `affected` (the buckets, with start_epoch), `load_window` (the time span the
-- affected buckets and their next polls lie in) and `latest` (each platform's covered_until).
INSERT INTO gold.game_buckets (platform, bucket, bucket_start, game_key, game_name, is_game, avg_viewers, peak_viewers,
    hours_watched, avg_channels, peak_channels, avg_viewer_ratio, avg_players, peak_players, mature_share, top_channel,
    top_channel_viewers, views, samples, coverage, is_partial, rank)
WITH polls AS (
    SELECT platform, poll_id, scheduled_at, interval_seconds, coverage,
           LEAST(COALESCE(EXTRACT(EPOCH FROM LEAD(scheduled_at) OVER (PARTITION BY platform ORDER BY scheduled_at))
                          - EXTRACT(EPOCH FROM scheduled_at), interval_seconds), interval_seconds) AS weight
    FROM (SELECT DISTINCT t.platform, t.poll_id, t.scheduled_at, t.interval_seconds, t.coverage
          FROM gold.poll_totals t, load_window w
          WHERE t.scheduled_at >= w.window_start AND t.scheduled_at < w.window_end) p
),
sizes AS (SELECT DISTINCT bucket, bucket_seconds FROM affected),
bucketed AS (
    SELECT a.bucket, a.bucket_start, a.bucket_seconds, p.platform, p.poll_id, p.weight, p.coverage
    FROM polls p
    CROSS JOIN sizes s
    JOIN affected a ON a.platform = p.platform AND a.bucket = s.bucket
     AND a.start_epoch = FLOOR(EXTRACT(EPOCH FROM p.scheduled_at) / s.bucket_seconds) * s.bucket_seconds
),
bucket_weights AS (
    SELECT platform, bucket, bucket_start, MAX(bucket_seconds) AS bucket_seconds, SUM(weight) AS weight,
           COUNT(*) AS samples, SUM(weight * COALESCE(coverage, 1.0)) AS covered
    FROM bucketed GROUP BY platform, bucket, bucket_start
),
game_polls AS (
    SELECT b.platform, b.bucket, b.bucket_start, b.weight, t.game_key, t.game_name, t.viewers, t.channels, t.players,
           t.mature_channels, t.views, t.top_channel_viewers,
           FIRST_VALUE(t.top_channel) OVER (PARTITION BY b.platform, b.bucket, b.bucket_start, t.game_key
                                            ORDER BY t.top_channel_viewers DESC NULLS LAST, t.top_channel
                                            ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING) AS top_channel
    FROM bucketed b JOIN gold.poll_totals t ON t.platform = b.platform AND t.poll_id = b.poll_id
),
game_values AS (
    SELECT platform, bucket, bucket_start, game_key, MAX(game_name) AS game_name,
           SUM(viewers * weight) AS viewer_seconds, MAX(viewers) AS peak_viewers,
           SUM(channels * weight) AS channel_seconds, MAX(channels) AS peak_channels,
           SUM(players * weight) AS player_seconds, MAX(players) AS peak_players,
           SUM(mature_channels * weight) AS mature_seconds, MAX(views) AS views,
           MAX(top_channel) AS top_channel, MAX(top_channel_viewers) AS top_channel_viewers
    FROM game_polls GROUP BY platform, bucket, bucket_start, game_key
)
SELECT g.platform, g.bucket, g.bucket_start, g.game_key, COALESCE(gm.name, g.game_name), COALESCE(gm.is_game, TRUE),
       g.viewer_seconds / w.weight, g.peak_viewers, g.viewer_seconds / 3600.0,
       g.channel_seconds / w.weight, g.peak_channels,
       CASE WHEN g.channel_seconds > 0 THEN g.viewer_seconds / g.channel_seconds END,
       g.player_seconds / w.weight, g.peak_players,
       CASE WHEN g.channel_seconds > 0 THEN g.mature_seconds / g.channel_seconds END,
       g.top_channel, g.top_channel_viewers, g.views,
       w.samples, LEAST(w.covered / w.bucket_seconds, 1.0),
       EXTRACT(EPOCH FROM w.bucket_start) + w.bucket_seconds > l.covered_until,
       RANK() OVER (PARTITION BY g.platform, g.bucket, g.bucket_start
                    ORDER BY COALESCE(g.viewer_seconds, g.player_seconds) DESC)
FROM game_values g
JOIN bucket_weights w ON w.platform = g.platform AND w.bucket = g.bucket AND w.bucket_start = g.bucket_start
JOIN latest l ON l.platform = g.platform
LEFT JOIN gold.games gm ON gm.game_key = g.game_key
