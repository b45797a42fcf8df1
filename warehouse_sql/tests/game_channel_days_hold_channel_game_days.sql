-- game_channel_days holds channel_game_days' rows as they are, keyed by the channel's hash (DuckDB
-- only: the model is DuckDB's): per platform and day, the same number of rows and the same sum of
-- the rows' hashes over the columns it copies.
{{ config(enabled=target.type == 'duckdb', tags=['channels']) }}

with days as (
    select platform, day_start, count(*) as row_count,
           sum(cast(hash(game_key, hash(channel_id), hours_streamed, hours_watched, peak_viewers) as hugeint)) as fingerprint
    from {{ ref('channel_game_days') }}
    group by platform, day_start
),
keyed as (
    select platform, day_start, count(*) as row_count,
           sum(cast(hash(game_key, channel_key, hours_streamed, hours_watched, peak_viewers) as hugeint)) as fingerprint
    from {{ ref('game_channel_days') }}
    group by platform, day_start
)
select coalesce(d.platform, k.platform) as platform, coalesce(d.day_start, k.day_start) as day_start,
       d.row_count as in_channel_game_days, k.row_count as in_game_channel_days
from days d
full join keyed k on k.platform = d.platform and k.day_start = d.day_start
where d.row_count is distinct from k.row_count or d.fingerprint is distinct from k.fingerprint
