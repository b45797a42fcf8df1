-- A bucket's average is time-weighted: avg_viewers equals the observed-time-weighted mean of the
-- averages of the smaller buckets inside it, a game missing from a smaller bucket counting 0 there;
-- avg_players equals the mean of the smaller buckets' avg_players weighted by their
-- players_observed_seconds (the seconds that sampled the app), a smaller bucket without the app
-- being a gap, and players_observed_seconds is the smaller buckets' sum.
{% for fine, coarse, seconds in [('5m', '1h', 3600), ('1h', '1d', 86400)] %}
select '{{ coarse }}' as bucket, c.platform, c.bucket_start, c.game_key, 'viewers' as figure, c.avg_viewers as value,
       coalesce(s.viewer_seconds, 0) / w.observed as rolled_up
from (select platform, bucket_start, game_key, avg_viewers, avg_players, players_observed_seconds
      from {{ ref('game_buckets') }} where bucket = '{{ coarse }}') c
join (select platform, {{ bucket_floor(epoch('bucket_start'), seconds) }} as start_epoch,
             sum(observed_seconds) as observed
      from {{ ref('platform_buckets') }} where bucket = '{{ fine }}'
      group by platform, {{ bucket_floor(epoch('bucket_start'), seconds) }}) w
  on w.platform = c.platform and w.start_epoch = {{ epoch('c.bucket_start') }}
left join (select g.platform, g.game_key, {{ bucket_floor(epoch('g.bucket_start'), seconds) }} as start_epoch,
                  sum(g.avg_viewers * p.observed_seconds) as viewer_seconds
           from {{ ref('game_buckets') }} g
           join {{ ref('platform_buckets') }} p
             on p.platform = g.platform and p.bucket = g.bucket and p.bucket_start = g.bucket_start
           where g.bucket = '{{ fine }}'
           group by g.platform, g.game_key, {{ bucket_floor(epoch('g.bucket_start'), seconds) }}) s
  on s.platform = c.platform and s.game_key = c.game_key and s.start_epoch = w.start_epoch
where c.avg_viewers is not null and w.observed > 0
  and abs(c.avg_viewers - coalesce(s.viewer_seconds, 0) / w.observed) > 1e-6 * (1 + abs(c.avg_viewers))
union all
select '{{ coarse }}', c.platform, c.bucket_start, c.game_key, 'players', c.avg_players,
       s.player_seconds / s.sampled
from {{ ref('game_buckets') }} c
left join (select platform, game_key, {{ bucket_floor(epoch('bucket_start'), seconds) }} as start_epoch,
                  sum(avg_players * players_observed_seconds) as player_seconds,
                  sum(players_observed_seconds) as sampled
           from {{ ref('game_buckets') }}
           where bucket = '{{ fine }}' and players_observed_seconds > 0
           group by platform, game_key, {{ bucket_floor(epoch('bucket_start'), seconds) }}) s
  on s.platform = c.platform and s.game_key = c.game_key and s.start_epoch = {{ epoch('c.bucket_start') }}
where c.bucket = '{{ coarse }}' and c.avg_players is not null
  and (s.sampled is null
       or abs(c.avg_players - s.player_seconds / s.sampled) > 1e-6 * (1 + abs(c.avg_players))
       or abs(c.players_observed_seconds - s.sampled) > 1e-6 * (1 + s.sampled))
{% if not loop.last %}union all{% endif %}
{% endfor %}
