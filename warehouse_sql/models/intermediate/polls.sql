-- gold_staging.polls: one row per closed poll: when it ran, its nominal interval, the share of the
-- platform it saw (coverage) and its total over all games (viewers, or players on Steam). The bucket
-- models weigh polls from here instead of re-reading every game row.
-- depends_on: {{ ref('stg_silver__game_poll_totals') }} (read by incremental loads only)
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key=['platform', 'poll_id'],
    indexes=indexes_where_used([{'columns': ['platform', 'poll_id'], 'unique': True}, {'columns': ['platform', 'scheduled_at']}]),
    dist='all', sort=['platform', 'scheduled_at'],
) }}

select t.platform, t.poll_id, min(t.scheduled_at) as scheduled_at, min(t.interval_seconds) as interval_seconds,
       min(t.coverage) as coverage, cast(sum(coalesce(t.viewers, t.players)) as bigint) as total,
       cast(count(*) as bigint) as games
from {{ ref('poll_totals') }} t
{% if is_incremental() %}
where exists (select 1 from {{ ref('stg_silver__game_poll_totals') }} s
              where s.platform = t.platform and s.poll_id = t.poll_id)
{% endif %}
group by t.platform, t.poll_id
