{#- Custom schemas are used as named (gold, gold_staging), not prefixed with the target's schema. -#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {{ (custom_schema_name or target.schema) | trim }}
{%- endmacro %}
