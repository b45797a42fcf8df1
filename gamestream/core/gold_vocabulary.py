"""Gold's shared constants, defined once in the dbt project's vars (warehouse_sql/dbt_project.yml) and
read from there by the gold loader and the API, so the SQL and the Python cannot disagree."""

from __future__ import annotations

from functools import cache
from importlib import resources
from typing import Any

import yaml


@cache
def dbt_vars() -> dict[str, Any]:
    """The `vars` of the packaged dbt project."""
    text = resources.files("warehouse_sql").joinpath("dbt_project.yml").read_text(encoding="utf-8")
    return dict(yaml.safe_load(text)["vars"])


BUCKET_SECONDS: dict[str, int] = {name: int(seconds) for name, seconds in dbt_vars()["buckets"].items()}
# game_series' series_key codes of each platform and bucket size (macro series_key)
SERIES_PLATFORM_CODES: dict[str, int] = dict(dbt_vars()["series_key_codes"]["platforms"])
SERIES_BUCKET_CODES: dict[str, int] = dict(dbt_vars()["series_key_codes"]["buckets"])
# the gold the packaged project builds (a warehouse built for another is rebuilt: batch_jobs/gold)
GOLD_VERSION: int = int(dbt_vars()["gold_version"])
