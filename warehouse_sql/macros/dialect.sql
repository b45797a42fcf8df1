{#- The few places where DuckDB, PostgreSQL and Redshift spell things differently. The dialect is the
    target's, or var `sql_dialect` (the tests render Redshift's spelling through a PostgreSQL target). -#}

{% macro sql_dialect() -%}
    {{ return(var('sql_dialect', target.type)) }}
{%- endmacro %}

{#- Seconds since 1970 as a double (PostgreSQL's EXTRACT gives NUMERIC). -#}
{% macro epoch(ts) -%}
    cast(extract(epoch from {{ ts }}) as double precision)
{%- endmacro %}

{#- The UTC instant `seconds` after 1970, as TIMESTAMPTZ. -#}
{% macro from_epoch(seconds) -%}
    {%- if sql_dialect() == 'redshift' -%}
    cast(timestamp 'epoch' + {{ seconds }} * interval '1 second' as timestamptz)
    {%- else -%}
    to_timestamp({{ seconds }})
    {%- endif -%}
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

{#- Redshift's TEXT is VARCHAR(256). -#}
{% macro text_type() -%}
    {{ 'varchar(1024)' if sql_dialect() == 'redshift' else 'text' }}
{%- endmacro %}

