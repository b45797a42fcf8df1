-- gold.game_latest_hour: each game's latest hourly bucket on every platform it was seen on (the
-- game page's current figures).
{{ config(materialized='view') }}

select g.*
from {{ ref('game_buckets') }} g
join (select platform, game_key, max(bucket_start) as bucket_start
      from {{ ref('game_buckets') }}
      where bucket = '1h'
      group by platform, game_key) l
  on l.platform = g.platform and l.game_key = g.game_key and l.bucket_start = g.bucket_start
where g.bucket = '1h'
