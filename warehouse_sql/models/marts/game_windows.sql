-- gold.game_windows: per platform, ranking window and game, what the rankings and movers read:
-- over the window ending at the platform's latest bucket of the window's size, time-weighted
-- averages, peaks, hours watched and the covered seconds, and the same for the window just before
-- it (prev_*). Rebuilt by every build, so it follows the newest bucket.
--   avg_viewers, avg_channels: a bucket weighs its covered seconds (coverage x its seconds); a game
--          absent from a covered bucket counts 0; the sum over the game's buckets is divided by the
--          window's covered seconds (covered_seconds).
--   avg_players: a bucket weighs the share of its covered seconds that sampled the app:
--          players_observed_seconds x covered / observed seconds (all its covered seconds when every
--          poll sampled the app); the sum is divided by the sum of those weights over the app's
--          buckets, so polls and buckets that did not sample it are gaps, not 0 players (game_buckets).
{{ config(
    materialized='table',
    indexes=indexes_where_used([{'columns': ['platform', 'time_window', 'game_key'], 'unique': True}]),
    dist='all', sort=['platform', 'time_window'],
) }}

{%- set windows = [('now', '5m', 300, 300), ('1h', '5m', 300, 3600), ('24h', '1h', 3600, 86400),
                   ('7d', '1h', 3600, 604800), ('30d', '1d', 86400, 2592000)] %}
{%- set averaged = ['avg_viewers', 'avg_channels', 'avg_players'] %}
{%- set zero_filled = ['avg_viewers', 'avg_channels'] %}
{%- set peaks = ['peak_viewers', 'peak_channels', 'peak_players'] %}
with spans as (
    {%- for name, bucket, seconds, span in windows %}
    select cast('{{ name }}' as {{ text_type() }}) as time_window, cast('{{ bucket }}' as {{ text_type() }}) as bucket,
           {{ seconds }} as bucket_seconds, {{ span }} as span_seconds
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
),
bounds as (  -- where each platform's windows end: after its latest bucket of the window's size
    select l.platform, s.time_window, s.bucket, s.bucket_seconds, s.span_seconds,
           {{ epoch('l.latest') }} + s.bucket_seconds as end_epoch
    from (select platform, bucket, max(bucket_start) as latest from {{ ref('platform_buckets') }}
          group by platform, bucket) l
    join spans s on s.bucket = l.bucket
),
weights as (  -- the platform's buckets in the window ('cur') and in the one before it ('prev')
    select b.platform, b.time_window, b.bucket, p.bucket_start, p.coverage * b.bucket_seconds as weight,
           p.coverage * b.bucket_seconds / nullif(p.observed_seconds, 0) as covered_per_observed,
           case when {{ epoch('p.bucket_start') }} >= b.end_epoch - b.span_seconds then 'cur' else 'prev' end as period
    from bounds b
    join {{ ref('platform_buckets') }} p
      on p.platform = b.platform and p.bucket = b.bucket
     and p.bucket_start >= {{ from_epoch('b.end_epoch - 2 * b.span_seconds') }}
     and p.bucket_start < {{ from_epoch('b.end_epoch') }}
),
totals as (
    select platform, time_window, period, sum(weight) as weight from weights group by platform, time_window, period
),
per_game as (
    select w.platform, w.time_window, w.period, g.game_key, max(g.game_name) as name,
           max(case when g.is_game then 1 else 0 end) as is_game,
           {%- for c in zero_filled %}
           sum(g.{{ c }} * w.weight) / max(t.weight) as {{ c }},
           {%- endfor %}
           sum(g.avg_players * g.players_observed_seconds * w.covered_per_observed)
               / nullif(sum(g.players_observed_seconds * w.covered_per_observed), 0) as avg_players,
           {%- for c in peaks %}
           max(g.{{ c }}) as {{ c }},
           {%- endfor %}
           sum(g.hours_watched) as hours_watched, max(t.weight) as covered_seconds
    from weights w
    join totals t on t.platform = w.platform and t.time_window = w.time_window and t.period = w.period
    join {{ ref('game_buckets') }} g
      on g.platform = w.platform and g.bucket = w.bucket and g.bucket_start = w.bucket_start
    group by w.platform, w.time_window, w.period, g.game_key
)
select c.platform, c.time_window, c.game_key, c.name, c.is_game,
       {%- for c in averaged + peaks + ['hours_watched', 'covered_seconds'] %}
       c.{{ c }}, p.{{ c }} as prev_{{ c }}{% if not loop.last %},{% endif %}
       {%- endfor %}
from per_game c
left join per_game p
  on p.platform = c.platform and p.time_window = c.time_window and p.game_key = c.game_key and p.period = 'prev'
where c.period = 'cur'
