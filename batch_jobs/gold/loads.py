"""A gold load's two steps, stage and build, and both in one (`gst gold run`, the Airflow DAG)."""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from batch_jobs.dbt import build
from batch_jobs.gold.loader import Loader
from batch_jobs.gold.lookup_indexes import make_lookup_indexes
from batch_jobs.gold.project import GoldProject
from batch_jobs.gold.silver_changes import changed_files
from batch_jobs.gold.sources import SOURCES, TOTALS_SOURCE
from gamestream.core import lake as L
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings

log = structlog.get_logger(__name__)

# DuckDB runs each statement on every core, so a large load builds fastest one model at a time
# (bench/gold.py, 20M rows staged: 119.5 s on one dbt thread, 144.6 s on the profile's 4, whose
# concurrent models contend), and a small one with its models overlapped (dbt's own time per model
# dominates: a 500-row incremental load takes 3.5 s on 4 threads, 5.7 s on one).
ONE_MODEL_AT_A_TIME_ROWS = 1_000_000


def dbt_threads(warehouse_kind: str, staged_rows: int) -> int | None:
    """dbt's threads for a build of this many staged rows (None: the profile's)."""
    return 1 if warehouse_kind == "duckdb" and staged_rows >= ONE_MODEL_AT_A_TIME_ROWS else None


@dataclass(frozen=True)
class LoadReport:
    from_version: int | None
    to_version: int | None
    rows: int
    buckets: int


@dataclass(frozen=True)
class Staged:
    from_version: int | None
    to_version: int | None
    rows: int
    buckets: int
    tables: tuple[str, ...]


def stage_gold(settings: Settings, lake: Lake | None = None, project: GoldProject | None = None) -> Staged:
    """Step 1: stage what silver gained since the load state into gold_staging (every active file when
    gold is missing or is not the gold the project builds), and record it as pending."""
    lake = lake or Lake(settings.lake_path)
    project = project or GoldProject.packaged()
    loader = Loader(settings)
    try:
        loaded = loader.loaded(project)
        full = loaded is None
        loaded = loaded or {}
        pending = {}
        tables = project.silver_tables()
        read = [s for s in SOURCES if s.staged_as in tables]
        for source in read:
            changes = changed_files(lake, source.table, loaded.get(source.table))
            if changes is not None and changes.version != loaded.get(source.table):
                pending[source] = changes
        since = loaded.get(L.TOTALS)
        for source in read:
            loader.stage(source, pending.get(source), lake)
        loader.set_pending({s.table: c.version for s, c in pending.items()}, project.tag, full and bool(pending))
        rows, buckets = loader.affected()
    finally:
        loader.close()  # dbt opens its own connections
    totals = pending.get(TOTALS_SOURCE)
    staged = Staged(since, totals.version if totals else since, rows, buckets, tuple(sorted(s.table for s in pending)))
    log.info("gold_staged", **staged.__dict__, full_refresh=full and bool(pending))
    return staged


def build_gold(settings: Settings, project: GoldProject | None = None) -> bool:
    """Step 2: `dbt build` over what is staged, then advance the load state (False: nothing staged).
    An incremental load with no channel data staged or in gold skips the channel models (tag:channels):
    their tables are empty and stay so."""
    project = project or GoldProject.packaged()
    loader = Loader(settings)
    try:
        versions, staged_for, full = loader.pending()
        if not versions:
            return False
        channels = full or loader.has_channel_work()
        threads = dbt_threads(loader.kind, loader.staged_rows())
    finally:
        loader.close()
    if not project.built(staged_for):
        raise ValueError("gold was staged for another version of the dbt project: run `gst gold stage` again")
    build(
        settings,
        full_refresh=full,
        project=project.path,
        exclude=() if channels else ("tag:channels",),
        threads=threads,
    )
    loader = Loader(settings)
    try:
        make_lookup_indexes(loader.warehouse)
        loader.advance(versions, project.tag, full)
    finally:
        loader.close()
    log.info("gold_built", tables=sorted(versions), full_refresh=full, channel_models=channels, threads=threads)
    return True


def run_gold(settings: Settings, lake: Lake | None = None, project: GoldProject | None = None) -> LoadReport:
    """One incremental load: stage, then build (what `gst gold run` and the Airflow DAG do)."""
    staged = stage_gold(settings, lake, project)
    build_gold(settings, project)
    return LoadReport(staged.from_version, staged.to_version, staged.rows, staged.buckets)
