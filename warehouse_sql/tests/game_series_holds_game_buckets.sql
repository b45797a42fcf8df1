-- game_series holds every game_buckets row as it is (DuckDB only: the model is DuckDB's): per
-- platform, bucket size and bucket, the same number of rows and the same sum of the rows' hashes
-- (a fingerprint of every column; one pass over each table, no row-by-row comparison).
{{ config(enabled=target.type == 'duckdb') }}

{%- set columns = adapter.get_columns_in_relation(ref('game_buckets')) | map(attribute='name') | join(', ') %}
with buckets as (
    select platform, bucket, bucket_start, count(*) as row_count, sum(cast(hash({{ columns }}) as hugeint)) as fingerprint
    from {{ ref('game_buckets') }}
    group by platform, bucket, bucket_start
),
series as (
    select platform, bucket, bucket_start, count(*) as row_count, sum(cast(hash({{ columns }}) as hugeint)) as fingerprint
    from {{ ref('game_series') }}
    group by platform, bucket, bucket_start
)
select coalesce(b.platform, s.platform) as platform, coalesce(b.bucket, s.bucket) as bucket,
       coalesce(b.bucket_start, s.bucket_start) as bucket_start, b.row_count as in_game_buckets,
       s.row_count as in_game_series
from buckets b
full join series s on s.platform = b.platform and s.bucket = b.bucket and s.bucket_start = b.bucket_start
where b.row_count is distinct from s.row_count or b.fingerprint is distinct from s.fingerprint
