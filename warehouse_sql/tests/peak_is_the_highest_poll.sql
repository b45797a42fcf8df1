-- A bucket's peak is the highest single poll of the game in it.
with polled as (
    select t.platform, t.game_key, s.bucket, {{ bucket_floor(epoch('t.scheduled_at'), 's.bucket_seconds') }} as start_epoch,
           max(coalesce(t.viewers, t.players)) as peak
    from {{ ref('poll_totals') }} t
    cross join ({{ bucket_sizes() }}) s
    group by t.platform, t.game_key, s.bucket, {{ bucket_floor(epoch('t.scheduled_at'), 's.bucket_seconds') }}
)
select g.platform, g.bucket, g.bucket_start, g.game_key, coalesce(g.peak_viewers, g.peak_players) as peak, p.peak as polled
from {{ ref('game_buckets') }} g
left join polled p on p.platform = g.platform and p.game_key = g.game_key and p.bucket = g.bucket
                  and p.start_epoch = {{ epoch('g.bucket_start') }}
where p.peak is null or coalesce(g.peak_viewers, g.peak_players) <> p.peak
