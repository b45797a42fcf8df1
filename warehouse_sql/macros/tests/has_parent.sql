{#- Rows whose `columns` have no matching row in `to` (dbt's `relationships` for keys of several columns). -#}
{% test has_parent(model, columns, to) %}
select {% for c in columns %}child.{{ c }}{% if not loop.last %}, {% endif %}{% endfor %}
from {{ model }} child
where not exists (
    select 1 from {{ to }} parent
    where {% for c in columns %}parent.{{ c }} = child.{{ c }}{% if not loop.last %} and {% endif %}{% endfor %}
)
{% endtest %}
