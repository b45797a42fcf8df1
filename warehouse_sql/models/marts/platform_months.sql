-- gold.platform_months: per platform and calendar month (UTC), rolled up from the month's daily
-- buckets (UTC days tile UTC months, so the roll-up is exact): the time-weighted total (viewers, or
-- players on Steam), its peak, hours watched, the seconds observed and covered (a day's coverage x
-- its seconds), coverage = covered / the month's seconds, and the gain and growth of the average
-- vs the month before. is_partial: the month reaches past the platform's newest day, or holds a
-- partial day. Like platform_buckets', a total is over what each poll sampled (a Steam app missing
-- from a poll adds nothing to it; it is not a gap here as it is in game_months' avg_players).
-- depends_on: {{ ref('affected_buckets') }} {{ ref('affected_months') }}
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'month_start'],
    indexes=indexes_where_used([{'columns': ['platform', 'month_start'], 'unique': True}]),
    dist='all', sort=['platform', 'month_start'],
) }}

with
{%- if is_incremental() %}
affected as (
    select platform, month_start from {{ ref('affected_months') }}
    union
    select platform, month_start from {{ this }} where is_partial
),
needed as (  -- the affected months and those their gains are measured against
    select platform, month_start from affected
    union
    select platform, {{ add_months('month_start', -1) }} from affected
),
{%- endif %}
latest as (
    select platform, max(bucket_start) as bucket_start from {{ ref('platform_buckets') }} where bucket = '1d'
    group by platform
),
days as (
    select d.platform, {{ month_floor('d.bucket_start') }} as month_start, d.avg_total, d.peak_total,
           d.hours_watched, d.games, d.samples, d.coverage, d.is_partial, d.observed_seconds
    from {{ ref('platform_buckets') }} d
    where d.bucket = '1d'
    {%- if is_incremental() %}
      and exists (select 1 from needed n where n.platform = d.platform
                  and n.month_start = {{ month_floor('d.bucket_start') }})
    {%- endif %}
),
months as (
    select d.platform, d.month_start, {{ add_months('d.month_start', 1) }} as month_end,
           sum(d.hours_watched) * 3600.0 / sum(d.observed_seconds) as avg_total, max(d.peak_total) as peak_total,
           sum(d.hours_watched) as hours_watched, max(d.games) as games, sum(d.samples) as samples,
           sum(d.observed_seconds) as observed_seconds, sum(d.coverage * 86400) as covered_seconds,
           max(case when d.is_partial then 1 else 0 end) as partial_days
    from days d
    group by d.platform, d.month_start
),
measured as (
    select m.platform, m.month_start, m.month_end, m.avg_total, m.peak_total, m.hours_watched, m.games, m.samples,
           m.observed_seconds, m.covered_seconds,
           least(m.covered_seconds / ({{ epoch('m.month_end') }} - {{ epoch('m.month_start') }}), 1.0) as coverage,
           (m.partial_days = 1 or {{ epoch('m.month_end') }} > {{ epoch('l.bucket_start') }} + 86400) as is_partial
    from months m
    join latest l on l.platform = m.platform
)
select c.platform, c.month_start, c.month_end, c.avg_total, c.peak_total, c.hours_watched, c.games, c.samples,
       c.observed_seconds, c.covered_seconds, c.coverage, c.is_partial,
       c.avg_total - p.avg_total as gain,
       case when p.avg_total > 0 then (c.avg_total - p.avg_total) / p.avg_total end as growth
from measured c
left join measured p on p.platform = c.platform and p.month_end = c.month_start
{%- if is_incremental() %}
where exists (select 1 from affected a where a.platform = c.platform and a.month_start = c.month_start)
{%- endif %}
