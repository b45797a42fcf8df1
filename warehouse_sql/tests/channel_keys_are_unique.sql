-- No two channels of a platform share a channel_key (DuckDB only: channel_series' hash of the
-- channel id, by which the API reads a channel's hours and days without comparing the id).
{{ config(enabled=target.type == 'duckdb', tags=['channels']) }}

select platform, hash(channel_id) as channel_key, count(*) as channels
from {{ ref('channels') }}
group by platform, hash(channel_id)
having count(*) > 1
