-- gold.game_buckets: growth and change vs the previous bucket of the same size, and the change over
-- 4 hours (the seed's Twitch summary) for 5-minute and hourly buckets. Growth (relative) only when
-- both buckets are covered alike (coverage within 0.2 of each other), else NULL; change (absolute)
-- and views_change always. Rows 4 hours after a rebuilt bucket get their change_4h refreshed too.
UPDATE gold.game_buckets AS cur
SET growth = CASE
        WHEN COALESCE(prev.avg_viewers, prev.avg_players) > 0 AND ABS(cur.coverage - prev.coverage) <= 0.2
        THEN (COALESCE(cur.avg_viewers, cur.avg_players) - COALESCE(prev.avg_viewers, prev.avg_players))
             / COALESCE(prev.avg_viewers, prev.avg_players)
        END,
    change = COALESCE(cur.avg_viewers, cur.avg_players) - COALESCE(prev.avg_viewers, prev.avg_players),
    views_change = cur.views - prev.views
FROM gold.game_buckets AS prev, affected AS a
WHERE cur.platform = a.platform AND cur.bucket = a.bucket AND cur.bucket_start = a.bucket_start
  AND prev.platform = cur.platform AND prev.bucket = cur.bucket AND prev.game_key = cur.game_key
  AND EXTRACT(EPOCH FROM prev.bucket_start) = EXTRACT(EPOCH FROM cur.bucket_start) - a.bucket_seconds;

UPDATE gold.game_buckets AS cur
SET change_4h = COALESCE(cur.avg_viewers, cur.avg_players) - COALESCE(prev.avg_viewers, prev.avg_players)
FROM gold.game_buckets AS prev, affected AS a
WHERE a.bucket IN ('5m', '1h') AND cur.platform = a.platform AND cur.bucket = a.bucket
  AND (cur.bucket_start = a.bucket_start
       OR EXTRACT(EPOCH FROM cur.bucket_start) = EXTRACT(EPOCH FROM a.bucket_start) + 14400)
  AND prev.platform = cur.platform AND prev.bucket = cur.bucket AND prev.game_key = cur.game_key
  AND EXTRACT(EPOCH FROM prev.bucket_start) = EXTRACT(EPOCH FROM cur.bucket_start) - 14400
