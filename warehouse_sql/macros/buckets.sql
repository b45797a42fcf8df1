{#- Polls weighed and put in buckets, shared by game_buckets and platform_buckets.

    A poll counts for the smaller of the gap to the platform's next poll and its nominal interval.
    `needed` names a CTE of (platform, bucket, bucket_seconds, start_epoch) to build, or none for
    every bucket; the polls read then span those buckets plus a day after (for the next poll). -#}
{% macro bucketed_polls(polls, needed=none) %}
{%- if needed %}
bounds as (
    select platform, min(start_epoch) as first_epoch, max(start_epoch + bucket_seconds) + 86400 as last_epoch
    from {{ needed }} group by platform
),
{%- endif %}
weighed as (
    select p.platform, p.poll_id, p.coverage, p.total, p.games, {{ epoch('p.scheduled_at') }} as at_epoch,
           least(coalesce({{ epoch('lead(p.scheduled_at) over (partition by p.platform order by p.scheduled_at)') }}
                          - {{ epoch('p.scheduled_at') }}, p.interval_seconds), p.interval_seconds) as weight
    from {{ polls }} p
    {%- if needed %}
    join bounds b on b.platform = p.platform
     and p.scheduled_at >= {{ from_epoch('b.first_epoch') }} and p.scheduled_at < {{ from_epoch('b.last_epoch') }}
    {%- endif %}
),
bucketed as (
    select w.platform, w.poll_id, w.coverage, w.total, w.games, w.weight, s.bucket, s.bucket_seconds,
           {{ bucket_floor('w.at_epoch', 's.bucket_seconds') }} as start_epoch
    from weighed w cross join ({{ bucket_sizes() }}) s
    {%- if needed %}
    where exists (select 1 from {{ needed }} n where n.platform = w.platform and n.bucket = s.bucket
                  and n.start_epoch = {{ bucket_floor('w.at_epoch', 's.bucket_seconds') }})
    {%- endif %}
),
reach as (  -- how far each platform's polls reach: its newest poll's time plus that poll's interval
    select platform, max({{ epoch('scheduled_at') }} + interval_seconds) as covered_until
    from (select platform, scheduled_at, interval_seconds,
                 rank() over (partition by platform order by scheduled_at desc) as newest
          from {{ polls }}) r
    where newest = 1
    group by platform
)
{% endmacro %}

{#- The period game_series writes a bucket in (`ts` its start): its UTC day for 5-minute buckets, its
    UTC month for hourly and daily ones. -#}
{% macro series_period(bucket, ts) -%}
    (date_trunc(case {{ bucket }} when '5m' then 'day' else 'month' end,
                {{ ts }} at time zone 'UTC') at time zone 'UTC')
{%- endmacro %}

{#- game_series' clustering key (DuckDB): the row's period, platform and bucket size (their codes are
    var series_key_codes, 3 for any other), then the first 8 bytes of its game_key (UTF-8,
    zero-padded) as a number, so that sorting by it keeps each period's games in game_key order. Its
    zone maps are exact where game_key's are not: a row group where two periods meet spans every
    game_key, not every key. The API (realtime_api/queries/series_keys.py) computes the same numbers
    from the same var. -#}
{% macro series_key(period_start, platform, bucket, game_key) -%}
    {%- set codes = var('series_key_codes') -%}
    cast((cast(epoch({{ period_start }}) as bigint) // 86400) * 16
         + {{ code_of(platform, codes['platforms']) }} * 4
         + {{ code_of(bucket, codes['buckets']) }} as hugeint)
    * cast(18446744073709551616 as hugeint)
    + cast(cast('0x' || left(hex({{ game_key }}) || '0000000000000000', 16) as ubigint) as hugeint)
{%- endmacro %}

{#- `value`'s code in `codes` (a name -> number mapping), 3 for a name not listed. -#}
{% macro code_of(value, codes) -%}
    (case {{ value }}{% for name, code in codes.items() %} when '{{ name }}' then {{ code }}{% endfor %} else 3 end)
{%- endmacro %}

{#- Joins `rows` (a table alias of {{ this }} with game_key, game_name and is_game) to gold.games and
    keeps the rows of games this load renamed or recategorised: game_buckets relabels their rows, so
    the models derived from them rewrite them too. A model calling it in an incremental block names
    stg_silver__games in a depends_on hint (dbt sees no ref in a block it does not render). -#}
{% macro relabelled_by_this_load(rows) -%}
    join {{ ref('games') }} gm on gm.game_key = {{ rows }}.game_key
    where gm.game_key in (select game_key from {{ ref('stg_silver__games') }})
      and ({{ rows }}.is_game <> gm.is_game or {{ rows }}.game_name <> coalesce(gm.name, {{ rows }}.game_name))
{%- endmacro %}
