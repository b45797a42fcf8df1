"""The gold dbt project, shipped as package data: `importlib.resources.files("warehouse_sql")` is the
project directory (dbt_project.yml, profiles.yml, models/, macros/, tests/). See docs/warehouse.md."""
