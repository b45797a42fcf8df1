-- The buckets a load can change (epoch starts): those holding a staged poll, the one before (its
-- last poll's weight reaches the new poll) and the one after (its growth is measured against them),
-- and, for buckets shorter than the change span, the buckets one span later (their change_4h).
{{ config(materialized='ephemeral') }}

{% set span = var('change_span_seconds') %}
with times as (
    select distinct platform, {{ epoch('scheduled_at') }} as at_epoch
    from {{ ref('stg_silver__game_poll_totals') }}
    where status in ('complete', 'partial')
),
starts as (
    select t.platform, s.bucket, s.bucket_seconds, {{ bucket_floor('t.at_epoch', 's.bucket_seconds') }} as start_epoch
    from times t cross join ({{ bucket_sizes() }}) s
),
neighbours as (
    select st.platform, st.bucket, st.bucket_seconds, st.start_epoch + n.step * st.bucket_seconds as start_epoch
    from starts st cross join (select -1 as step union all select 0 union all select 1) n
)
select platform, bucket, bucket_seconds, start_epoch from neighbours
union
select platform, bucket, bucket_seconds, start_epoch + {{ span }} from neighbours where bucket_seconds < {{ span }}
