{#- The few places where DuckDB, PostgreSQL and Redshift spell things differently. -#}

{#- Seconds since 1970 as a double (PostgreSQL's EXTRACT gives NUMERIC). -#}
{% macro epoch(ts) -%}
    cast(extract(epoch from {{ ts }}) as double precision)
{%- endmacro %}

{#- The UTC instant `seconds` after 1970, as TIMESTAMPTZ. -#}
{% macro from_epoch(seconds) -%}
    {{ return(adapter.dispatch('from_epoch')(seconds)) }}
{%- endmacro %}

{% macro default__from_epoch(seconds) -%}
    to_timestamp({{ seconds }})
{%- endmacro %}

{% macro redshift__from_epoch(seconds) -%}
    cast(timestamp 'epoch' + {{ seconds }} * interval '1 second' as timestamptz)
{%- endmacro %}

{#- The start of the `bucket_seconds`-long bucket holding the instant `seconds` (both epochs). -#}
{% macro bucket_floor(seconds, bucket_seconds) -%}
    cast(floor({{ seconds }} / {{ bucket_seconds }}) * {{ bucket_seconds }} as bigint)
{%- endmacro %}

{#- The bucket sizes gold is built in (var `buckets`), as rows (bucket, bucket_seconds). -#}
{% macro bucket_sizes() -%}
    {%- for name, seconds in var('buckets').items() %}
    select cast('{{ name }}' as {{ text_type() }}) as bucket, {{ seconds }} as bucket_seconds
    {% if not loop.last %}union all{% endif %}
    {%- endfor %}
{%- endmacro %}

{% macro text_type() -%}
    {{ return(adapter.dispatch('text_type')()) }}
{%- endmacro %}

{% macro default__text_type() %}text{% endmacro %}

{#- Redshift's TEXT is VARCHAR(256) -#}
{% macro redshift__text_type() %}varchar(1024){% endmacro %}
