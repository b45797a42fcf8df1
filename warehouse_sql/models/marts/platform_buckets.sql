-- gold.platform_buckets: per platform and bucket (5m, 1h, 1d), the time-weighted total over all games
-- (viewers on Twitch and YouTube, players on Steam), its peak, hours watched, the seconds the
-- platform was observed, coverage (observed seconds weighed by each poll's coverage / bucket
-- seconds, at most 1) and whether the bucket reaches past the platform's newest poll (is_partial).
-- A poll's total is the sum over the games it holds, so a total is over what was sampled: a Steam
-- app missing from a poll adds nothing to it (game_buckets' avg_players treats that poll as a gap
-- for the app instead; the platform's total is not rescaled for apps not sampled).
-- depends_on: {{ ref('affected_buckets') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'bucket', 'bucket_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'bucket', 'bucket_start'], 'unique': True}]),
    dist='all', sort=['bucket', 'bucket_start'],
) }}

with
{%- if is_incremental() %}
affected as (select * from {{ ref('affected_buckets') }}),
{%- endif %}
{{ bucketed_polls(ref('polls'), 'affected' if is_incremental() else none) }}
select b.platform, b.bucket, {{ from_epoch('b.start_epoch') }} as bucket_start,
       sum(b.total * b.weight) / sum(b.weight) as avg_total, max(b.total) as peak_total,
       sum(b.total * b.weight) / 3600.0 as hours_watched, max(b.games) as games, count(*) as samples,
       least(sum(b.weight * coalesce(b.coverage, 1.0)) / max(b.bucket_seconds), 1.0) as coverage,
       max(b.start_epoch + b.bucket_seconds) > max(r.covered_until) as is_partial,
       sum(b.weight) as observed_seconds
from bucketed b
join reach r on r.platform = b.platform
group by b.platform, b.bucket, b.start_epoch
