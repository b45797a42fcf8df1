-- gold.game_buckets: growth and change vs the previous bucket of the same size, and the change over
-- 4 hours (the seed's Twitch summary) for 5-minute and hourly buckets. Growth (relative) only when
-- both buckets are covered alike (coverage within 0.2 of each other), else NULL; change (absolute)
-- and views_change always. Rows 4 hours after a rebuilt bucket get their change_4h refreshed too.
-- `affected` carries each bucket's previous_start, four_hours_before and four_hours_after.
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
  AND prev.bucket_start = a.previous_start;

UPDATE gold.game_buckets AS cur
SET change_4h = COALESCE(cur.avg_viewers, cur.avg_players) - COALESCE(prev.avg_viewers, prev.avg_players)
FROM gold.game_buckets AS prev,
     (SELECT platform, bucket, bucket_start, four_hours_before FROM affected WHERE bucket IN ('5m', '1h')
      UNION
      SELECT platform, bucket, four_hours_after, bucket_start FROM affected WHERE bucket IN ('5m', '1h')) AS t
WHERE cur.platform = t.platform AND cur.bucket = t.bucket AND cur.bucket_start = t.bucket_start
  AND prev.platform = cur.platform AND prev.bucket = cur.bucket AND prev.game_key = cur.game_key
  AND prev.bucket_start = t.four_hours_before
