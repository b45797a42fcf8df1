-- gold.channel_series (DuckDB only): channel_buckets' hourly and daily rows again, apart from the
-- 5-minute ones and with channel_key, a 64-bit hash of channel_id, for one channel's series over
-- days and weeks. DuckDB has no index a range read can use: comparing channel_id over the hourly
-- rows of 30 days of 100,000 channels (and the 5-minute rows between them) took 43 ms, comparing
-- the hash over these rows alone 7 ms (bench/api.py; reading channel_id at all costs 10 ms, as
-- DuckDB decompresses it for every vector holding a match). A day of 5-minute rows is read from
-- channel_buckets, whose zone maps on bucket_start find it. PostgreSQL and Redshift read
-- channel_buckets through their indexes and sort keys; neither builds this model.
-- Incremental loads replace the buckets channel_buckets rebuilt (affected_channel_buckets).
-- depends_on: {{ ref('affected_channel_buckets') }}
{{ config(
    enabled=target.type == 'duckdb',
    materialized='incremental',
    tags=['channels'],
    incremental_strategy='delete+insert',
    unique_key=['platform', 'bucket', 'bucket_start'],
) }}

select hash(b.channel_id) as channel_key, b.platform, b.bucket, b.bucket_start, b.channel_id, b.avg_viewers,
       b.peak_viewers, b.hours_streamed, b.hours_watched, b.streams, b.rank, b.is_partial
from {{ ref('channel_buckets') }} b
where b.bucket in ('1h', '1d')
{%- if is_incremental() %}
  and exists (select 1 from {{ ref('affected_channel_buckets') }} a
              where a.platform = b.platform and a.bucket = b.bucket and {{ from_epoch('a.start_epoch') }} = b.bucket_start)
{%- endif %}
order by b.bucket_start, b.bucket, b.platform
