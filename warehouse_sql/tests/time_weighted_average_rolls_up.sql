-- A bucket's average is time-weighted: it equals the observed-time-weighted mean of the averages of
-- the smaller buckets inside it, a game missing from a smaller bucket counting 0 there.
{% for fine, coarse, seconds in [('5m', '1h', 3600), ('1h', '1d', 86400)] %}
select '{{ coarse }}' as bucket, c.platform, c.bucket_start, c.game_key, c.average,
       coalesce(s.weighted, 0) / w.observed as rolled_up
from (select platform, bucket_start, game_key, coalesce(avg_viewers, avg_players) as average
      from {{ ref('game_buckets') }} where bucket = '{{ coarse }}') c
join (select platform, {{ bucket_floor(epoch('bucket_start'), seconds) }} as start_epoch,
             sum(observed_seconds) as observed
      from {{ ref('platform_buckets') }} where bucket = '{{ fine }}'
      group by platform, {{ bucket_floor(epoch('bucket_start'), seconds) }}) w
  on w.platform = c.platform and w.start_epoch = {{ epoch('c.bucket_start') }}
left join (select g.platform, g.game_key, {{ bucket_floor(epoch('g.bucket_start'), seconds) }} as start_epoch,
                  sum(coalesce(g.avg_viewers, g.avg_players) * p.observed_seconds) as weighted
           from {{ ref('game_buckets') }} g
           join {{ ref('platform_buckets') }} p
             on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
           where g.bucket = '{{ fine }}'
           group by g.platform, g.game_key, {{ bucket_floor(epoch('g.bucket_start'), seconds) }}) s
  on s.platform = c.platform and s.game_key = c.game_key and s.start_epoch = w.start_epoch
where c.average is not null and w.observed > 0
  and abs(c.average - coalesce(s.weighted, 0) / w.observed) > 1e-6 * (1 + abs(c.average))
{% if not loop.last %}union all{% endif %}
{% endfor %}
