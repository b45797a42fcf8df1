-- The channel buckets a load can change (epoch starts): the game buckets it changes (affected_buckets:
-- a new poll reweighs the one before it, a poll closed) and the buckets of the closed polls whose
-- stream snapshots this load staged (the lake query can land a poll's streams after the poll query
-- closed it).
{{ config(materialized='ephemeral') }}

with staged as (
    select distinct platform, poll_id from {{ ref('stg_silver__stream_snapshots') }}
    union
    select distinct 'youtube', poll_id from {{ ref('stg_silver__video_snapshots') }}
),
times as (
    select distinct p.platform, {{ epoch('p.scheduled_at') }} as at_epoch
    from {{ ref('polls') }} p
    join staged s on s.platform = p.platform and s.poll_id = p.poll_id
)
select platform, bucket, bucket_seconds, start_epoch from {{ ref('affected_buckets') }}
union
select t.platform, s.bucket, s.bucket_seconds, {{ bucket_floor('t.at_epoch', 's.bucket_seconds') }}
from times t cross join ({{ bucket_sizes() }}) s
