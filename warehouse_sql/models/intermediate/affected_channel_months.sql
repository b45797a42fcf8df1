-- The calendar months (UTC) a load can change for the channel models: those holding a channel day it
-- rebuilds (the 1d buckets of affected_channel_buckets). Whole months are rebuilt from their days.
{{ config(materialized='ephemeral') }}

select distinct platform, {{ month_floor(from_epoch('start_epoch')) }} as month_start
from {{ ref('affected_channel_buckets') }}
where bucket = '1d'
