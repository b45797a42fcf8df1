{#- A game's URL slug from its normalised key: lower case, '+' spelt 'plus', every run of other
    characters one '-' ('counter strike 2' -> 'counter-strike-2', 'notepad++' -> 'notepad-plus-plus').
    A natural slug never holds '--', so the suffix games.sql gives a colliding slug ('--2') is never
    another game's natural slug. -#}
{% macro game_slug(key) -%}
    coalesce(nullif({{ replace_all(replace_all("replace(lower(" ~ key ~ "), '+', ' plus ')", "'[^a-z0-9]+'", "'-'"),
                                   "'^-+|-+$'", "''") }}, ''), 'game')
{%- endmacro %}
