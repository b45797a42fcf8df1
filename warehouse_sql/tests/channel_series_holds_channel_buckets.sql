-- channel_series holds channel_buckets' hourly and daily rows as they are (DuckDB only: the model is
-- DuckDB's): per platform, bucket size and bucket, the same number of rows and the same sum of the
-- rows' hashes over the columns it copies.
{{ config(enabled=target.type == 'duckdb', tags=['channels']) }}

{%- set columns = 'channel_id, avg_viewers, peak_viewers, hours_streamed, hours_watched, streams, rank, is_partial' %}
with buckets as (
    select platform, bucket, bucket_start, count(*) as row_count, sum(cast(hash({{ columns }}) as hugeint)) as fingerprint
    from {{ ref('channel_buckets') }}
    where bucket in ('1h', '1d')
    group by platform, bucket, bucket_start
),
series as (
    select platform, bucket, bucket_start, count(*) as row_count, sum(cast(hash({{ columns }}) as hugeint)) as fingerprint
    from {{ ref('channel_series') }}
    where channel_key = hash(channel_id)
    group by platform, bucket, bucket_start
)
select coalesce(b.platform, s.platform) as platform, coalesce(b.bucket, s.bucket) as bucket,
       coalesce(b.bucket_start, s.bucket_start) as bucket_start, b.row_count as in_channel_buckets,
       s.row_count as in_channel_series
from buckets b
full join series s on s.platform = b.platform and s.bucket = b.bucket and s.bucket_start = b.bucket_start
where b.row_count is distinct from s.row_count or b.fingerprint is distinct from s.fingerprint
