-- players_observed_seconds is the seconds of the bucket's polls that sampled the app (a players
-- value): never more than the platform's observed seconds, all of them when every poll of the
-- bucket sampled the app, and set exactly where some poll of the bucket had a players value.
with sampled as (
    select t.platform, t.game_key, s.bucket, {{ bucket_floor(epoch('t.scheduled_at'), 's.bucket_seconds') }} as start_epoch,
           count(*) as polls
    from {{ ref('poll_totals') }} t
    cross join ({{ bucket_sizes() }}) s
    where t.players is not null
    group by t.platform, t.game_key, s.bucket, {{ bucket_floor(epoch('t.scheduled_at'), 's.bucket_seconds') }}
)
select g.platform, g.bucket, g.bucket_start, g.game_key, g.players_observed_seconds, p.observed_seconds,
       c.polls, g.samples
from {{ ref('game_buckets') }} g
join {{ ref('platform_buckets') }} p
  on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
left join sampled c on c.platform = g.platform and c.game_key = g.game_key and c.bucket = g.bucket
                   and c.start_epoch = {{ epoch('g.bucket_start') }}
where g.players_observed_seconds > p.observed_seconds + 1e-6 * (1 + p.observed_seconds)
   or (g.players_observed_seconds is null and c.polls is not null)
   or (g.players_observed_seconds is not null and c.polls is null)
   or (c.polls = g.samples and abs(g.players_observed_seconds - p.observed_seconds) > 1e-6 * (1 + p.observed_seconds))
