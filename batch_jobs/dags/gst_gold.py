"""Airflow DAGs for production: incremental gold loads every 15 minutes and daily lake upkeep.

Each task runs the same `gst` command a person would (settings from the worker's GST_* environment,
e.g. GST_LAKE_ROOT=s3://..., GST_WAREHOUSE_URL=redshift://..., GST_REDSHIFT_IAM_ROLE=...). A gold
load is the two steps of `gst gold run`: stage what silver gained (by Delta version), then
`dbt build` the gold project that ships inside the package; a failed build is retried over the same
staged rows, and the load state advances only when it succeeds. Loads follow Delta versions, so a
retried or late run only loads what is still new; one run at a time keeps two loads from rebuilding
the same buckets at once.

Deploy: copy this file into the Airflow dags folder of an environment where this package is
installed (`pip install game-stream-trends`).
"""

from datetime import datetime, timedelta

from airflow import DAG

try:  # Airflow 3
    from airflow.providers.standard.operators.bash import BashOperator
except ImportError:  # Airflow 2
    from airflow.operators.bash import BashOperator

DEFAULTS = {
    "owner": "gamestream",
    "retries": 3,
    "retry_delay": timedelta(minutes=2),
    "retry_exponential_backoff": True,
    "execution_timeout": timedelta(minutes=30),
}

with DAG(
    dag_id="gst_gold_load",
    schedule="*/15 * * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["gamestream", "gold"],
    doc_md="Stages what silver gained since the last loaded Delta version, then builds gold with dbt.",
) as gold:
    stage = BashOperator(task_id="gold_stage", bash_command="gst gold stage")
    build = BashOperator(task_id="gold_build", bash_command="gst gold build")
    stage >> build

with DAG(
    dag_id="gst_lake_maintenance",
    schedule="30 3 * * *",
    start_date=datetime(2026, 1, 1),
    catchup=False,
    max_active_runs=1,
    default_args=DEFAULTS,
    tags=["gamestream", "lake"],
    doc_md="Compacts small files, vacuums past retention and reports table sizes.",
) as upkeep:
    BashOperator(task_id="lake_maintain", bash_command="gst lake maintain")
