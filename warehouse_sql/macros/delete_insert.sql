{#- DuckDB's delete+insert, with each key of the new rows matched once. dbt-duckdb deletes a
    composite key's rows with `delete ... using <new rows> where <keys equal>`: a join of every old
    row with every new row of its key. Our keys are periods and buckets, each holding thousands of
    rows (a day of 5-minute buckets of every game), so the join was quadratic: game_series' delete
    took 25.6 s for 207k rows where matching the distinct keys takes 0.01 s (an incremental load of
    the demo's data, 38 s -> 13 s). The other warehouses' delete+insert (dbt's default) already
    deletes `where (keys) in (select distinct keys ...)`. An incremental predicate names the table
    as DBT_INCREMENTAL_TARGET and its columns qualified; a unique_key is a column or a list of them. -#}
{% macro duckdb__get_delete_insert_merge_sql(target, source, unique_key, dest_columns, incremental_predicates) -%}
    {%- set dest_cols_csv = get_quoted_csv(dest_columns | map(attribute="name")) -%}
    {%- if unique_key %}
        {%- set keys = [unique_key] if unique_key is string else unique_key %}
    delete from {{ target }} as DBT_INCREMENTAL_TARGET
    using (select distinct {{ keys | join(', ') }} from {{ source }}) as DBT_INCREMENTAL_KEYS
    where (
        {%- for key in keys %}
        DBT_INCREMENTAL_KEYS.{{ key }} = DBT_INCREMENTAL_TARGET.{{ key }}{{ " and" if not loop.last }}
        {%- endfor %}
        {%- for predicate in incremental_predicates or [] %}
        and ({{ predicate }})
        {%- endfor %}
    );
    {%- endif %}

    insert into {{ target }} ({{ dest_cols_csv }})
    (
        select {{ dest_cols_csv }}
        from {{ source }}
    )
{%- endmacro %}
