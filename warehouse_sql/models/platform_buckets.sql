-- gold.platform_buckets: per platform x bucket, the time-weighted total over all games (viewers on
-- Twitch/YouTube, players on Steam), rebuilt for the buckets in `affected`.
INSERT INTO gold.platform_buckets (platform, bucket, bucket_start, avg_total, peak_total, hours_watched, games, samples,
    coverage, is_partial)
WITH poll_sums AS (
    SELECT platform, poll_id, MIN(scheduled_at) AS scheduled_at, MIN(interval_seconds) AS interval_seconds,
           MIN(coverage) AS coverage, SUM(COALESCE(viewers, players)) AS total, COUNT(*) AS games
    FROM gold.poll_totals GROUP BY platform, poll_id
),
polls AS (
    SELECT ps.*, LEAST(COALESCE(EXTRACT(EPOCH FROM LEAD(scheduled_at) OVER (PARTITION BY platform ORDER BY scheduled_at))
                                - EXTRACT(EPOCH FROM scheduled_at), interval_seconds), interval_seconds) AS weight
    FROM poll_sums ps
),
latest AS (
    SELECT platform, MAX(EXTRACT(EPOCH FROM scheduled_at) + interval_seconds) AS covered_until FROM polls GROUP BY platform
)
SELECT a.platform, a.bucket, a.bucket_start, SUM(p.total * p.weight) / SUM(p.weight), MAX(p.total),
       SUM(p.total * p.weight) / 3600.0, MAX(p.games), COUNT(*),
       LEAST(SUM(p.weight * COALESCE(p.coverage, 1.0)) / MAX(a.bucket_seconds), 1.0),
       MAX(EXTRACT(EPOCH FROM a.bucket_start) + a.bucket_seconds) > MAX(l.covered_until)
FROM polls p
JOIN affected a ON a.platform = p.platform
 AND EXTRACT(EPOCH FROM p.scheduled_at) >= EXTRACT(EPOCH FROM a.bucket_start)
 AND EXTRACT(EPOCH FROM p.scheduled_at) < EXTRACT(EPOCH FROM a.bucket_start) + a.bucket_seconds
JOIN latest l ON l.platform = p.platform
GROUP BY a.platform, a.bucket, a.bucket_start
