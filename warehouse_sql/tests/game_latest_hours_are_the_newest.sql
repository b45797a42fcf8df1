-- game_latest_hours holds, per platform and game in game_buckets' hours, exactly that game's newest
-- hourly row, with the name and category game_buckets holds for it.
with newest as (
    select platform, game_key, max(bucket_start) as bucket_start
    from {{ ref('game_buckets') }}
    where bucket = '1h'
    group by platform, game_key
),
expected as (
    select b.platform, b.game_key, b.bucket_start, b.game_name, b.is_game
    from {{ ref('game_buckets') }} b
    join newest n on n.platform = b.platform and n.game_key = b.game_key and n.bucket_start = b.bucket_start
    where b.bucket = '1h'
)
select coalesce(e.platform, l.platform) as platform, coalesce(e.game_key, l.game_key) as game_key,
       e.bucket_start as newest_in_game_buckets, l.bucket_start as in_game_latest_hours
from expected e
full join {{ ref('game_latest_hours') }} l on l.platform = e.platform and l.game_key = e.game_key
where e.bucket_start is null or l.bucket_start is null or e.bucket_start <> l.bucket_start
   or e.game_name <> l.game_name or e.is_game <> l.is_game or l.bucket <> '1h'
