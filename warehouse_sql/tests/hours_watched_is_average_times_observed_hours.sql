-- Hours watched = the time-weighted average viewers x the hours the platform was observed in the
-- bucket (the same weights for every game of a platform's bucket and for the platform's total).
select g.platform, g.bucket, g.bucket_start, g.game_key, g.hours_watched, g.avg_viewers, p.observed_seconds
from {{ ref('game_buckets') }} g
join {{ ref('platform_buckets') }} p
  on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
where abs(coalesce(g.hours_watched, 0) - coalesce(g.avg_viewers, 0) * p.observed_seconds / 3600.0)
      > 1e-6 * (1 + abs(coalesce(g.hours_watched, 0)))
   or abs(p.hours_watched - p.avg_total * p.observed_seconds / 3600.0) > 1e-6 * (1 + abs(p.hours_watched))
