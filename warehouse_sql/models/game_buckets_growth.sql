-- gold.game_buckets.growth: change of the average vs the previous bucket of the same size, only
-- when both buckets are covered alike (coverage within 0.2 of each other); else NULL.
UPDATE gold.game_buckets AS cur
SET growth = CASE
    WHEN COALESCE(prev.avg_viewers, prev.avg_players) > 0 AND ABS(cur.coverage - prev.coverage) <= 0.2
    THEN (COALESCE(cur.avg_viewers, cur.avg_players) - COALESCE(prev.avg_viewers, prev.avg_players))
         / COALESCE(prev.avg_viewers, prev.avg_players)
    END
FROM gold.game_buckets AS prev, affected AS a
WHERE cur.platform = a.platform AND cur.bucket = a.bucket AND cur.bucket_start = a.bucket_start
  AND prev.platform = cur.platform AND prev.bucket = cur.bucket AND prev.game_key = cur.game_key
  AND EXTRACT(EPOCH FROM prev.bucket_start) = EXTRACT(EPOCH FROM cur.bucket_start) - a.bucket_seconds
