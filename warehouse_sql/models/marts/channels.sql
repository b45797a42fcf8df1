-- gold.channels: per platform and channel (its platform id: Helix user_id, YouTube's UC... id),
-- its names as its newest snapshot has them (user_login, the name in its URL; channel_name, its
-- display name or title), its language there, and when it was first and last seen live. A load
-- replaces the rows of the channels it staged snapshots of; gold.channel_names keeps every name a
-- channel had.
{{ config(
    materialized='incremental',
    tags=['channels'],
    incremental_strategy='delete+insert',
    unique_key=['platform', 'channel_id'],
    indexes=indexes_where_used([{'columns': ['platform', 'channel_id'], 'unique': True},
                                {'columns': ['lower(user_login)']}, {'columns': ['lower(channel_name)']}]),
    dist='all',
) }}

with staged as (
    select platform, channel_id, channel_name, user_login, language, observed_at
    from {{ ref('stg_silver__stream_snapshots') }}
    union all
    select 'youtube', channel_id, channel_title, cast(null as {{ text_type() }}), cast(null as {{ text_type() }}),
           observed_at
    from {{ ref('stg_silver__video_snapshots') }}
    {%- if is_incremental() %}
    union all  -- the rows kept so far, as their newest snapshot and their first
    select platform, channel_id, channel_name, user_login, language, last_seen_at from {{ this }} t
    where exists (select 1 from {{ ref('stg_silver__stream_snapshots') }} s
                  where s.platform = t.platform and s.channel_id = t.channel_id)
       or exists (select 1 from {{ ref('stg_silver__video_snapshots') }} v
                  where t.platform = 'youtube' and v.channel_id = t.channel_id)
    union all
    select platform, channel_id, channel_name, user_login, language, first_seen_at from {{ this }} t
    where exists (select 1 from {{ ref('stg_silver__stream_snapshots') }} s
                  where s.platform = t.platform and s.channel_id = t.channel_id)
       or exists (select 1 from {{ ref('stg_silver__video_snapshots') }} v
                  where t.platform = 'youtube' and v.channel_id = t.channel_id)
    {%- endif %}
),
newest as (
    select platform, channel_id, channel_name, user_login, language,
           row_number() over (partition by platform, channel_id order by observed_at desc, channel_name) as position
    from staged
),
seen as (
    select platform, channel_id, min(observed_at) as first_seen_at, max(observed_at) as last_seen_at
    from staged
    group by platform, channel_id
)
select n.platform, n.channel_id, n.user_login, n.channel_name, n.language, s.first_seen_at, s.last_seen_at
from newest n
join seen s on s.platform = n.platform and s.channel_id = n.channel_id
where n.position = 1
