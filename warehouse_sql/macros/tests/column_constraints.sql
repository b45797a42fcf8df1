{#- The constraints declared on a model's columns (`constraints:` in its YAML: not_null, or check with
    an expression) that its rows break: one row per broken constraint (its text) with how many rows
    break it (a row counts for the first it breaks). No model enforces a contract, so the warehouses do not
    check them; this test checks them all in one pass over the table, where a test per column made
    a load run a query per column (most of a small load's time). -#}
{% test column_constraints(model) %}
{%- set rules = [] -%}
{%- if execute -%}
    {%- set node = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
                   | selectattr('alias', 'equalto', model.identifier)
                   | selectattr('schema', 'equalto', model.schema) | first -%}
    {%- for column in node.columns.values() -%}
        {%- for constraint in column.constraints -%}
            {%- if constraint.type == 'not_null' -%}
                {%- do rules.append({'sql': column.name ~ ' is null', 'text': column.name ~ ' not null'}) -%}
            {%- elif constraint.type == 'check' and constraint.expression -%}
                {%- do rules.append({'sql': 'not (' ~ constraint.expression ~ ')', 'text': constraint.expression}) -%}
            {%- else -%}
                {{ exceptions.raise_compiler_error("column_constraints on " ~ model.identifier ~ "." ~ column.name
                   ~ ": only not_null and check constraints with an expression are checked, not " ~ constraint.type) }}
            {%- endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- if not rules -%}
        {{ exceptions.raise_compiler_error("column_constraints on " ~ model.identifier ~ ": no column declares a constraint") }}
    {%- endif -%}
{%- endif %}
select broken, count(*) as breaking_rows
from (
    select case
        {%- for rule in rules %}
        when {{ rule.sql }} then '{{ rule.text | replace("'", "''") }}'
        {%- endfor %}
        {%- if not rules %} when false then '' {%- endif %}
    end as broken
    from {{ model }}
) checked
where broken is not null
group by broken
{% endtest %}
