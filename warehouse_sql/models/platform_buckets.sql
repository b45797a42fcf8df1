-- gold.platform_buckets: per platform x bucket, the time-weighted total over all games (viewers on
-- Twitch/YouTube, players on Steam), rebuilt for the buckets in `affected` (staged like game_buckets').
INSERT INTO gold.platform_buckets (platform, bucket, bucket_start, avg_total, peak_total, hours_watched, games, samples,
    coverage, is_partial)
WITH poll_sums AS (
    SELECT t.platform, t.poll_id, MIN(t.scheduled_at) AS scheduled_at, MIN(t.interval_seconds) AS interval_seconds,
           MIN(t.coverage) AS coverage, SUM(COALESCE(t.viewers, t.players)) AS total, COUNT(*) AS games
    FROM gold.poll_totals t, load_window w
    WHERE t.scheduled_at >= w.window_start AND t.scheduled_at < w.window_end
    GROUP BY t.platform, t.poll_id
),
polls AS (
    SELECT ps.*, LEAST(COALESCE(EXTRACT(EPOCH FROM LEAD(scheduled_at) OVER (PARTITION BY platform ORDER BY scheduled_at))
                                - EXTRACT(EPOCH FROM scheduled_at), interval_seconds), interval_seconds) AS weight
    FROM poll_sums ps
),
sizes AS (SELECT DISTINCT bucket, bucket_seconds FROM affected)
SELECT a.platform, a.bucket, a.bucket_start, SUM(p.total * p.weight) / SUM(p.weight), MAX(p.total),
       SUM(p.total * p.weight) / 3600.0, MAX(p.games), COUNT(*),
       LEAST(SUM(p.weight * COALESCE(p.coverage, 1.0)) / MAX(a.bucket_seconds), 1.0),
       MAX(EXTRACT(EPOCH FROM a.bucket_start) + a.bucket_seconds) > MAX(l.covered_until)
FROM polls p
CROSS JOIN sizes s
JOIN affected a ON a.platform = p.platform AND a.bucket = s.bucket
 AND a.start_epoch = FLOOR(EXTRACT(EPOCH FROM p.scheduled_at) / s.bucket_seconds) * s.bucket_seconds
JOIN latest l ON l.platform = p.platform
GROUP BY a.platform, a.bucket, a.bucket_start
