"""Gold build benchmark (prints figures; not a test).

Builds gold from N silver.game_poll_totals rows (default 10M: 2,000 Twitch games x 5,000 polls every
5 minutes, ~17 days) and the stream snapshots of the same polls (default 16,000 channels, each live
3 hours a day at its own hour: 2,000 streams a poll, 10M rows) into the embedded DuckDB warehouse the
way `gst gold run` does: stage the active files, then `dbt run` in-process (the first build: every
bucket, every channel model). The project's data tests are then timed apart (`dbt test`). In the
same run DuckDB alone executes the same SQL (every model `dbt run` builds, as dbt compiled it, in
dependency order, each as CREATE TABLE AS, or CREATE VIEW for a view) over the same Parquet files,
read directly. Prints both times, the row counts of the largest tables, and ends with `ratio=`
(target: at most 1.1).

Run: .venv/bin/python bench/gold.py [--games 2000] [--polls 5000] [--channels 16000] [--threads N]
"""

from __future__ import annotations

import argparse
import graphlib
import json
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from deltalake import write_deltalake  # noqa: E402

from batch_jobs.dbt import invoke, work_dir  # noqa: E402
from batch_jobs.gold.loader import Loader  # noqa: E402
from batch_jobs.gold.loads import dbt_threads, stage_gold  # noqa: E402
from batch_jobs.gold.sources import (  # noqa: E402
    GAMES_SOURCE,
    REVIEWS_SOURCE,
    STREAMS_SOURCE,
    TOTALS_SOURCE,
    VIDEOS_SOURCE,
)
from batch_jobs.gold.sql_types import sql_type  # noqa: E402
from bench.common import gold_rows  # noqa: E402
from gamestream.core import lake as L  # noqa: E402
from gamestream.core.lake import STREAMS_SCHEMA, TOTALS_SCHEMA, Lake  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402

DATA = Path(".gst-bench/gold")
START = datetime(2026, 11, 1, tzinfo=UTC)


def totals(games: int, polls: int, seed: int = 7) -> pa.Table:
    rng = np.random.default_rng(seed)
    n = games * polls
    poll = np.repeat(np.arange(polls), games)
    game = np.tile(np.arange(games), polls)
    epochs = int(START.timestamp()) + poll * 300
    popularity = (1_000_000 / (1 + np.arange(games)) ** 1.1)[game]
    viewers = popularity * (0.65 + 0.35 * np.sin(2 * np.pi * (epochs % 86400) / 86400)) * rng.uniform(0.9, 1.1, n)
    names = pa.array([f"game {g}" for g in range(games)])
    poll_ids = pa.array([f"twitch:twitch_streams:{int(START.timestamp()) + p * 300}" for p in range(polls)])
    scheduled = pa.array(epochs * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    columns = {
        "poll_date": pc.cast(scheduled, pa.date32()),
        "poll_id": pc.take(poll_ids, pa.array(poll)),
        "platform": pa.array(np.full(n, "twitch")),
        "game_key": pc.take(names, pa.array(game)),
        "game_name": pc.take(names, pa.array(game)),
        "viewers": pa.array(viewers.astype(np.int64)),
        "channels": pa.array((viewers / 40 + 1).astype(np.int64)),
        "players": pa.nulls(n, pa.int64()),
        "records": pa.array((viewers / 40 + 1).astype(np.int64)),
        "mature_channels": pa.array(np.zeros(n, np.int64)),
        "observed_at": scheduled,
        "top_channel": pc.take(pa.array([f"streamer {k}" for k in range(50)]), pa.array(game % 50)),
        "top_channel_viewers": pa.array((viewers / 5).astype(np.int64)),
        "views": pa.nulls(n, pa.int64()),
        "status": pa.array(np.full(n, "complete")),
        "coverage": pa.array(np.ones(n)),
        "scheduled_at": scheduled,
        "interval_seconds": pa.array(np.full(n, 300.0)),
        "source": pa.array(np.full(n, "twitch")),
    }
    return pa.table(columns).cast(TOTALS_SCHEMA)


LANGUAGES = np.array(["en", "en", "en", "es", "de", "pt", "fr", "ja", "ko", "ru"])
SESSION_POLLS = 36  # a channel streams 3 hours (36 polls of 5 minutes) a day, from its own time of day
DAY_POLLS = 288


def streams(games: int, polls: int, channels: int, seed: int = 11) -> pa.Table:
    """The stream snapshots of `totals`' polls: channel c is live in poll p when (p + c) mod 288 < 36,
    one stream a day; its game is skewed to the top games (as audiences are), viewers fall with c."""
    rng = np.random.default_rng(seed)
    per_residue = -(-channels // DAY_POLLS)
    poll = np.repeat(np.arange(polls), SESSION_POLLS * per_residue)
    position = np.tile(np.repeat(np.arange(SESSION_POLLS), per_residue), polls)  # polls since the stream began
    k = np.tile(np.arange(per_residue), polls * SESSION_POLLS)
    channel = (position - poll) % DAY_POLLS + DAY_POLLS * k
    live = channel < channels
    poll, position, channel = poll[live], position[live], channel[live]
    n = len(poll)
    channel_game = np.minimum(games - 1, (rng.random(channels) ** 3 * games).astype(np.int64))
    base = 20_000 / (1 + np.arange(channels)) ** 0.8 + 2
    epochs = int(START.timestamp()) + poll * 300
    scheduled = pa.array(epochs * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    started = pa.array((epochs - position * 300) * 1_000_000, pa.int64()).cast(pa.timestamp("us", tz="UTC"))
    ids = pa.array([str(100_000_000 + c) for c in range(channels)])
    poll_ids = pc.take(
        pa.array([f"twitch:twitch_streams:{int(START.timestamp()) + p * 300}" for p in range(polls)]), pa.array(poll)
    )
    stream_ids = pc.cast(pa.array(channel * 10_000 + (poll + channel) // DAY_POLLS), pa.string())
    game_names = pc.take(pa.array([f"game {g}" for g in range(games)]), pa.array(channel_game[channel]))
    columns = {
        "poll_date": pc.cast(scheduled, pa.date32()),
        "event_id": pc.binary_join_element_wise(poll_ids, stream_ids, ":"),
        "schema_version": pa.array(np.full(n, 2)),
        "source": pa.array(np.full(n, "twitch")),
        "kind": pa.array(np.full(n, "stream_snapshot")),
        "observed_at": scheduled,
        "observed_date": pc.cast(scheduled, pa.date32()),
        "poll_id": poll_ids,
        "platform": pa.array(np.full(n, "twitch")),
        "stream_id": stream_ids,
        "channel_id": pc.take(ids, pa.array(channel)),
        "channel_name": pc.take(pa.array([f"Streamer_{c}" for c in range(channels)]), pa.array(channel)),
        "user_login": pc.take(pa.array([f"streamer_{c}" for c in range(channels)]), pa.array(channel)),
        "game_id": pc.cast(pa.array(channel_game[channel]), pa.string()),
        "game_name": game_names,
        "viewer_count": pa.array((base[channel] * rng.uniform(0.9, 1.1, n)).astype(np.int64)),
        "started_at": started,
        "language": pa.array(LANGUAGES[channel % len(LANGUAGES)]),
        "is_mature": pa.array(np.zeros(n, bool)),
        "title": pa.nulls(n, pa.string()),
        "game_key": game_names,
    }
    return pa.table(columns).cast(STREAMS_SCHEMA)


def duckdb_alone(files: dict[str, list[str]], models: list[tuple[str, str, str, str]], path: Path) -> float:
    """The same compiled model SQL in DuckDB alone over the same files: the staged sources are views
    over read_parquet (the other sources empty tables, as staging leaves them), each model a CREATE
    TABLE AS (a view a CREATE VIEW), no dbt, no tests."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = duckdb.connect(str(path))  # the same database name as the warehouse's: compiled names match
    started = time.perf_counter()
    conn.execute("CREATE SCHEMA gold_staging")
    conn.execute("CREATE SCHEMA gold")
    for source in (TOTALS_SOURCE, STREAMS_SOURCE):
        listed = ", ".join(f"'{f}'" for f in files[source.table])
        conn.execute(
            f"CREATE VIEW gold_staging.{source.staged_as} AS SELECT {', '.join(source.columns)} "
            f"FROM read_parquet([{listed}])"
        )
    for source in (GAMES_SOURCE, REVIEWS_SOURCE, VIDEOS_SOURCE):
        columns = ", ".join(f"{f.name} {sql_type(f.type, 'duckdb')}" for f in source.schema)
        conn.execute(f"CREATE TABLE gold_staging.{source.staged_as} ({columns})")
    for schema, name, materialized, sql in models:
        conn.execute(f"CREATE {'VIEW' if materialized == 'view' else 'TABLE'} {schema}.{name} AS {sql}")
    rows = conn.execute("SELECT COUNT(*) FROM gold.game_buckets").fetchone()[0]
    channel_rows = conn.execute("SELECT COUNT(*) FROM gold.channel_buckets").fetchone()[0]
    conn.close()  # as dbt closes its connection when the build ends (its checkpoint included)
    elapsed = time.perf_counter() - started
    print(
        f"  duckdb alone built {rows:,} game_buckets and {channel_rows:,} channel_buckets rows ({len(models)} models)"
    )
    return elapsed


def compiled_models(settings: Settings) -> list[tuple[str, str, str, str]]:
    """Every model `dbt run` builds, in dependency order: (schema, name, materialization, compiled SQL)."""
    target = work_dir(settings) / "target"
    nodes = json.loads((target / "manifest.json").read_text())["nodes"]
    models = {
        k: n for k, n in nodes.items() if n["resource_type"] == "model" and n["config"]["materialized"] != "ephemeral"
    }
    order = graphlib.TopologicalSorter(
        {k: [d for d in n["depends_on"]["nodes"] if d in models] for k, n in models.items()}
    )
    folder = target / "compiled" / "gamestream"
    return [
        (
            models[k]["schema"],
            models[k]["name"],
            models[k]["config"]["materialized"],
            (folder / models[k]["original_file_path"]).read_text(),
        )
        for k in order.static_order()
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=5000)
    parser.add_argument("--channels", type=int, default=16000)
    parser.add_argument("--threads", type=int, help="dbt's threads for the build (default: as `gst gold run` picks)")
    args = parser.parse_args()
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    settings = Settings(
        _env_file=None,
        lake_root=str(DATA / "lake"),
        data_dir=DATA / "data",
        warehouse_url=f"duckdb:///{(DATA / 'w.duckdb').resolve()}",
    )
    began = time.perf_counter()
    data = totals(args.games, args.polls)
    write_deltalake(f"{settings.lake_path}/{L.TOTALS}", data, partition_by=["poll_date"])
    print(
        f"silver.game_poll_totals: {data.num_rows:,} rows ({args.games:,} games x {args.polls:,} polls, 5-minute "
        f"polls over {timedelta(seconds=300 * args.polls)}), written in {time.perf_counter() - began:.1f} s"
    )
    del data
    began = time.perf_counter()
    snapshots = streams(args.games, args.polls, args.channels)
    write_deltalake(f"{settings.lake_path}/{L.STREAMS}", snapshots, partition_by=["poll_date"])
    print(
        f"silver.stream_snapshots: {snapshots.num_rows:,} rows ({args.channels:,} channels, each live 3 hours a day: "
        f"{snapshots.num_rows / args.polls:,.0f} streams a poll), written in {time.perf_counter() - began:.1f} s"
    )
    del snapshots
    lake = Lake(settings.lake_path)
    files = {table: lake.table(table).file_uris() for table in (L.TOTALS, L.STREAMS)}
    invoke(settings, ["parse"])  # dbt's project parse is paid once per project version, not per build

    started = time.perf_counter()
    staged = stage_gold(settings)
    staging = time.perf_counter() - started
    loader = Loader(settings)
    threads = args.threads or dbt_threads("duckdb", loader.staged_rows())  # as `gst gold run` picks them
    loader.close()
    invoke(settings, ["run", "--full-refresh", *(["--threads", str(threads)] if threads else [])])
    ours = time.perf_counter() - started
    started = time.perf_counter()
    invoke(settings, ["test"])
    tests = time.perf_counter() - started
    built = duckdb.connect(str(DATA / "w.duckdb"), read_only=True)
    counts = gold_rows(
        built,
        ("game_buckets", "channel_snapshots", "channel_buckets", "channel_game_days", "channel_months",
         "channel_game_months", "game_languages", "channels"),
    )  # fmt: skip
    built.close()
    print(
        f"  gst gold run: {staged.rows:,} poll totals rows (and their stream snapshots) staged in {staging:.1f} s; "
        + ", ".join(f"{table} {rows:,}" for table, rows in counts.items())
    )
    alone = duckdb_alone(files, compiled_models(settings), DATA / "alone" / "w.duckdb")
    on = f"{threads} dbt thread(s)" if threads else "the profile's dbt threads"
    print(f"gold rebuild (stage + dbt run on {on}, DuckDB): {ours:.1f} s")
    print(f"dbt test (timed apart): {tests:.1f} s")
    print(f"DuckDB alone, the same compiled SQL over the same files: {alone:.1f} s")
    print(f"ratio={ours / alone:.2f}")


if __name__ == "__main__":
    main()
