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


{#- The start of the calendar month (UTC) holding the TIMESTAMPTZ `ts`, as TIMESTAMPTZ. The
    truncation runs on the UTC wall time, so the session's time zone plays no part. -#}
{% macro month_floor(ts) -%}
    (date_trunc('month', {{ ts }} at time zone 'UTC') at time zone 'UTC')
{%- endmacro %}

{#- The TIMESTAMPTZ `ts` plus `months` calendar months, counted on the UTC wall time (adding a
    month to a TIMESTAMPTZ counts in the session's time zone and shifts across daylight saving). -#}
{% macro add_months(ts, months) -%}
    (({{ ts }} at time zone 'UTC') + {{ months }} * interval '1 month') at time zone 'UTC'
{%- endmacro %}

{#- Every match of the regular expression `pattern` in `text` replaced (Redshift replaces every
    match by default; DuckDB and PostgreSQL need the 'g' flag). -#}
{% macro replace_all(text, pattern, replacement) -%}
    {%- if sql_dialect() == 'redshift' -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }})
    {%- else -%}
    regexp_replace({{ text }}, {{ pattern }}, {{ replacement }}, 'g')
    {%- endif -%}
{%- endmacro %}

{#- The indexes a model declares (dbt's `indexes` config), where the warehouse uses them: PostgreSQL
    serves keys and the API's lookups from them. DuckDB's ART indexes serve neither the range nor
    the per-game scans (zone maps do), yet every build pays for them (a third of a first build) and
    every delete+insert for their upkeep, so DuckDB gets none; Redshift has none. -#}
{% macro indexes_where_used(declared) -%}
    {{ return([] if target.type == 'duckdb' else declared) }}
{%- endmacro %}

{#- Pre-hooks that keep PostgreSQL to hash joins for the model's statement. Its planner estimates a
    grouped CTE joined on four columns at one row (it has no statistics on them), picks nested
    loops and merge joins on that estimate, and then spends minutes on joins of hundreds of thousands
    of rows (channel_buckets of half a day: over 3 minutes, 9.6 s with hash joins). SET LOCAL ends
    with the model's transaction. DuckDB and Redshift plan these without help. -#}
{% macro hash_joins_on_postgres() -%}
    {{ return(["set local enable_nestloop = off", "set local enable_mergejoin = off"]
              if target.type == 'postgres' and sql_dialect() == 'postgres' else []) }}
{%- endmacro %}
