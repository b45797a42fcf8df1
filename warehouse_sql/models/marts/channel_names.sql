-- gold.channel_names: every name a channel has had (its user_login and channel_name pair, as the
-- platform gave them), with when snapshots first and last carried it: how a channel is found by a
-- name it no longer has. A load rebuilds the rows of the channels it staged snapshots of.
{{ config(
    materialized='incremental',
    tags=['channels'],
    incremental_strategy='delete+insert',
    unique_key=['platform', 'channel_id'],
    indexes=indexes_where_used([{'columns': ['platform', 'channel_id']},
                                {'columns': ['lower(user_login)']}, {'columns': ['lower(channel_name)']}]),
    dist='all',
) }}

with staged as (
    select platform, channel_id, channel_name, user_login, observed_at as first_seen_at, observed_at as last_seen_at
    from {{ ref('stg_silver__stream_snapshots') }}
    union all
    select 'youtube', channel_id, channel_title, cast(null as {{ text_type() }}), observed_at, observed_at
    from {{ ref('stg_silver__video_snapshots') }}
    {%- if is_incremental() %}
    union all
    select platform, channel_id, channel_name, user_login, first_seen_at, last_seen_at from {{ this }} t
    where exists (select 1 from {{ ref('stg_silver__stream_snapshots') }} s
                  where s.platform = t.platform and s.channel_id = t.channel_id)
       or exists (select 1 from {{ ref('stg_silver__video_snapshots') }} v
                  where t.platform = 'youtube' and v.channel_id = t.channel_id)
    {%- endif %}
)
select platform, channel_id, user_login, channel_name, min(first_seen_at) as first_seen_at,
       max(last_seen_at) as last_seen_at
from staged
group by platform, channel_id, user_login, channel_name
