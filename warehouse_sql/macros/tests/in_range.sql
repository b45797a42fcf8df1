{#- Rows where `column_name` lies outside [min_value, max_value] (either bound optional; NULLs pass:
    not_null says whether a column may be empty). -#}
{% test in_range(model, column_name, min_value=none, max_value=none) %}
select {{ column_name }} as value
from {{ model }}
where {{ column_name }} is not null
  and (false
       {% if min_value is not none %} or {{ column_name }} < {{ min_value }} {% endif %}
       {% if max_value is not none %} or {{ column_name }} > {{ max_value }} {% endif %})
{% endtest %}
