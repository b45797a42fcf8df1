-- Coverage = the seconds observed, each poll's weighted by the share of the platform it saw, over the
-- bucket's seconds, at most 1: never above the plain observed share, equal to it where every poll
-- saw the whole platform; every game of a platform's bucket carries the bucket's coverage.
with sizes as ({{ bucket_sizes() }}),
polled as (
    select pl.platform, s.bucket, {{ bucket_floor(epoch('pl.scheduled_at'), 's.bucket_seconds') }} as start_epoch,
           min(coalesce(pl.coverage, 1.0)) as least_coverage
    from {{ ref('polls') }} pl
    cross join sizes s
    group by pl.platform, s.bucket, {{ bucket_floor(epoch('pl.scheduled_at'), 's.bucket_seconds') }}
)
select p.platform, p.bucket, p.bucket_start, p.coverage
from {{ ref('platform_buckets') }} p
join sizes s on s.bucket = p.bucket
join polled c on c.platform = p.platform and c.bucket = p.bucket and c.start_epoch = {{ epoch('p.bucket_start') }}
where p.coverage > least(p.observed_seconds / s.bucket_seconds, 1.0) + 1e-9
   or (c.least_coverage >= 1 and abs(p.coverage - least(p.observed_seconds / s.bucket_seconds, 1.0)) > 1e-9)
union all
select g.platform, g.bucket, g.bucket_start, g.coverage
from {{ ref('game_buckets') }} g
join {{ ref('platform_buckets') }} p
  on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
where abs(g.coverage - p.coverage) > 1e-9
