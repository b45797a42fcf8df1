-- A month's figures follow the metric definitions, checked by another path than the model's
-- (which rolls up days): avg_viewers equals the observed-time-weighted mean of the month's hourly
-- averages (a game missing from an hour counting 0 there); avg_players the mean of the month's hourly
-- avg_players weighted by their players_observed_seconds (an hour without a sample of the app is a
-- gap), and players_observed_seconds their sum; the peak is the highest single poll in the month;
-- hours watched = average x the month's observed hours; gain = the average minus the month before's.
with hours as (
    select g.platform, g.game_key, {{ month_floor('g.bucket_start') }} as month_start,
           sum(g.avg_viewers * p.observed_seconds) as weighted,
           sum(g.avg_players * g.players_observed_seconds) as player_seconds,
           sum(g.players_observed_seconds) as sampled
    from {{ ref('game_buckets') }} g
    join {{ ref('platform_buckets') }} p
      on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
    where g.bucket = '1h'
    group by g.platform, g.game_key, {{ month_floor('g.bucket_start') }}
),
observed as (
    select platform, {{ month_floor('bucket_start') }} as month_start, sum(observed_seconds) as observed
    from {{ ref('platform_buckets') }} where bucket = '1h'
    group by platform, {{ month_floor('bucket_start') }}
),
peaks as (
    select platform, game_key, {{ month_floor('scheduled_at') }} as month_start,
           max(coalesce(viewers, players)) as peak
    from {{ ref('poll_totals') }}
    group by platform, game_key, {{ month_floor('scheduled_at') }}
)
select m.platform, m.month_start, m.game_key, 'average' as figure
from {{ ref('game_months') }} m
join observed o on o.platform = m.platform and o.month_start = m.month_start
left join hours h on h.platform = m.platform and h.game_key = m.game_key and h.month_start = m.month_start
where (m.avg_viewers is not null
       and abs(m.avg_viewers - coalesce(h.weighted, 0) / o.observed) > 1e-6 * (1 + abs(m.avg_viewers)))
   or (m.avg_players is not null
       and (coalesce(h.sampled, 0) <= 0
            or abs(m.avg_players - h.player_seconds / h.sampled) > 1e-6 * (1 + abs(m.avg_players))
            or abs(m.players_observed_seconds - h.sampled) > 1e-6 * (1 + h.sampled)))
union all
select m.platform, m.month_start, m.game_key, 'peak'
from {{ ref('game_months') }} m
left join peaks p on p.platform = m.platform and p.game_key = m.game_key and p.month_start = m.month_start
where p.peak is null or coalesce(m.peak_viewers, m.peak_players) <> p.peak
union all
select m.platform, m.month_start, m.game_key, 'hours watched'
from {{ ref('game_months') }} m
join {{ ref('platform_months') }} pm on pm.platform = m.platform and pm.month_start = m.month_start
where abs(coalesce(m.hours_watched, 0) - coalesce(m.avg_viewers, 0) * pm.observed_seconds / 3600.0)
      > 1e-6 * (1 + abs(coalesce(m.hours_watched, 0)))
union all
select m.platform, m.month_start, m.game_key, 'gain'
from {{ ref('game_months') }} m
left join {{ ref('game_months') }} p
  on p.platform = m.platform and p.game_key = m.game_key and p.month_start = {{ add_months('m.month_start', -1) }}
where (p.game_key is null and m.gain is not null)
   or (p.game_key is not null and abs(coalesce(m.gain, 1e300) - (coalesce(m.avg_viewers, m.avg_players)
       - coalesce(p.avg_viewers, p.avg_players))) > 1e-6 * (1 + abs(coalesce(m.avg_viewers, m.avg_players))))
