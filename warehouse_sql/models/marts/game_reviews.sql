-- gold.game_reviews: the latest Steam review summary per app, with the positive ratio; an older
-- summary never replaces a newer one.
{{ config(
    materialized='incremental',
    incremental_strategy='delete+insert',
    unique_key='app_id',
    indexes=indexes_where_used([{'columns': ['app_id'], 'unique': True}]),
    dist='all',
) }}

with ranked as (
    select r.*, row_number() over (partition by app_id order by observed_at desc, event_id) as position
    from {{ ref('stg_silver__review_summaries') }} r
)
select app_id, review_score, review_score_desc, total_positive, total_negative, total_reviews,
       case when total_reviews > 0 then cast(total_positive as double precision) / total_reviews end as positive_ratio,
       observed_at
from ranked l
where position = 1
{%- if is_incremental() %}
  and not exists (select 1 from {{ this }} g where g.app_id = l.app_id and g.observed_at > l.observed_at)
{%- endif %}
