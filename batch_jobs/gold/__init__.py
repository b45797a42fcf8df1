"""Gold loads: stage what silver gained since the last loaded Delta version, then `dbt build` the gold
dbt project (warehouse_sql, docs/warehouse.md) in this process.

"What it gained" is read from the files the Delta log lists as active now and not at the last
loaded version: removed files are never read, and a file rewritten by a merge carries the current
state of every row in it (the models replace rows by key, so seeing a row again changes nothing).
Three silver tables feed gold: game_poll_totals (the buckets), games (identity, the non-game flag)
and review_summaries (Steam review score). Each lands in gold_staging, replaced on every load.

Two steps (`gst gold stage`, `gst gold build`; `gst gold run` does both, as the Airflow DAG does):
staging records the Delta versions it staged in gold_staging.pending, and the build makes them the
load state (gold.load_state) only after `dbt build` succeeds, so a failed build is retried over
the same rows. The state also records which gold the dbt project builds (its gold_version): gold
built for another version is rebuilt from all of silver (`--full-refresh`); a reshaped project that
builds the same rows loads on incrementally (batch_jobs/gold/project.py).

Warehouses by URL: duckdb:///path (embedded default), postgresql://... and
redshift://user:password@host:5439/db (the changed files are loaded with COPY from a manifest listing
exactly those files).
"""
