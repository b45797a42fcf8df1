"""Gold build benchmark (prints figures; not a test).

Builds gold from N silver.game_poll_totals rows (default 10M: 2,000 Twitch games x 5,000 polls every
5 minutes, ~17 days) into the embedded DuckDB warehouse with `run_gold`, then, in the same run, has
DuckDB alone compute the same models (the same SQL files, every bucket) over the same Parquet
files, and prints both times and the ratio (target: gold load within 2x of DuckDB alone).

Run: .venv/bin/python bench/gold.py [--games 2000] [--polls 5000]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402
import pyarrow as pa  # noqa: E402
import pyarrow.compute as pc  # noqa: E402
from deltalake import write_deltalake  # noqa: E402

from batch_jobs.gold import BUCKETS, SQL, TOTALS_SOURCE, Warehouse, _stage_buckets, model, run_gold, statements  # noqa: E402
from gamestream.settings import Settings  # noqa: E402
from streaming_jobs import lake as L  # noqa: E402
from streaming_jobs.lake import TOTALS_SCHEMA, Lake  # noqa: E402

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


def duckdb_alone(files: list[str]) -> float:
    """The same models over the same files in DuckDB, every bucket, no incremental bookkeeping:
    the table straight from Parquet, no primary keys, no deletes."""
    warehouse = Warehouse("duckdb:///:memory:")
    conn = warehouse.conn
    started = time.perf_counter()
    conn.execute("CREATE SCHEMA gold")
    listed = ", ".join(f"'{f}'" for f in files)
    conn.execute(
        f"CREATE TABLE gold.poll_totals AS SELECT {', '.join(TOTALS_SOURCE.columns)} "
        f"FROM read_parquet([{listed}]) WHERE status IN ('complete', 'partial')"
    )
    for statement in statements((SQL / "ddl" / "duckdb.sql").read_text()):  # the gold tables without keys
        if any(f"gold.{t} (" in statement for t in ("game_buckets", "platform_buckets", "games")):
            conn.execute(statement.split(",\n    PRIMARY KEY")[0] + "\n)")
    times = conn.execute("SELECT DISTINCT platform, EXTRACT(EPOCH FROM scheduled_at) FROM gold.poll_totals").fetchall()
    _stage_buckets(warehouse, {(p, b, s, int(e) // s * s) for b, s in BUCKETS.items() for p, e in times})
    for name in ("game_buckets", "platform_buckets"):
        conn.execute(model(name))
    for statement in statements(model("game_buckets_growth")):
        conn.execute(statement)
    rows = conn.execute("SELECT COUNT(*) FROM gold.game_buckets").fetchone()[0]
    elapsed = time.perf_counter() - started
    warehouse.close()
    print(f"  duckdb alone built {rows:,} game_buckets rows")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--games", type=int, default=2000)
    parser.add_argument("--polls", type=int, default=5000)
    args = parser.parse_args()
    shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True)
    settings = Settings(
        _env_file=None, lake_root=str(DATA / "lake"), warehouse_url=f"duckdb:///{(DATA / 'w.duckdb').resolve()}"
    )
    began = time.perf_counter()
    data = totals(args.games, args.polls)
    write_deltalake(f"{settings.lake_path}/{L.TOTALS}", data, partition_by=["poll_date"])
    print(
        f"silver.game_poll_totals: {data.num_rows:,} rows ({args.games:,} games x {args.polls:,} polls, 5-minute "
        f"polls over {timedelta(seconds=300 * args.polls)}), written in {time.perf_counter() - began:.1f} s"
    )
    files = Lake(settings.lake_path).table(L.TOTALS).file_uris()
    del data

    started = time.perf_counter()
    report = run_gold(settings)
    ours = time.perf_counter() - started
    warehouse = Warehouse(settings.warehouse)
    built = warehouse.execute("SELECT COUNT(*) FROM gold.game_buckets")[0][0]
    warehouse.close()
    print(
        f"  gst gold run: {report.rows:,} rows loaded, {report.buckets:,} buckets rebuilt, {built:,} game_buckets rows"
    )
    alone = duckdb_alone(files)
    print(f"gold load (run_gold into DuckDB): {ours:.1f} s")
    print(f"DuckDB alone, same models over the same files: {alone:.1f} s")
    print(f"ratio: {ours / alone:.2f}x (target <= 2x)")


if __name__ == "__main__":
    main()
