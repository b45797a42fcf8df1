{#- A CTE `name` holding, per `keys`, the non-null `column` value of most viewer-seconds in `rows`
    (rows with viewers and weight; ties go to the first value by name). -#}
{% macro main_value(rows, column, keys, name) -%}
{{ name }} as (
    select {{ keys | join(', ') }}, {{ column }}
    from (select {{ keys | join(', ') }}, {{ column }},
                 row_number() over (partition by {{ keys | join(', ') }}
                                    order by sum(viewers * weight) desc, {{ column }}) as position
          from {{ rows }}
          where {{ column }} is not null
          group by {{ keys | join(', ') }}, {{ column }}) ranked
    where position = 1
)
{%- endmacro %}
