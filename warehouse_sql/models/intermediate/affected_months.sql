-- The calendar months (UTC) a load can change: those holding a day it rebuilds and the month after
-- each (its gain is measured against them). The month models add the months they hold as partial
-- (a later poll completes them, even after a gap). Whole months are rebuilt from their days.
{{ config(materialized='ephemeral') }}

with changed as (
    select distinct platform, {{ month_floor(from_epoch('start_epoch')) }} as month_start
    from {{ ref('affected_buckets') }}
    where bucket = '1d'
)
select platform, month_start from changed
union
select platform, {{ add_months('month_start', 1) }} from changed
