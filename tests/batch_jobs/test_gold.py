"""Gold loads on DuckDB and on the machine's PostgreSQL, checked against an independent pandas
computation of the metric definitions (DESIGN section 6), loaded in one go and incrementally."""

from datetime import UTC, datetime, timedelta

import pandas as pd
import pyarrow as pa
import pytest

from batch_jobs.gold import Warehouse, run_gold
from gamestream.settings import Settings
from streaming_jobs.job import TOTALS_KEY, TOTALS_SCHEMA
from streaming_jobs.lake import Lake

T0 = datetime(2026, 11, 26, 0, 0, tzinfo=UTC)
GAMES = {"dota 2": 900, "fortnite": 400, "minecraft": 120}


def totals(minutes, skip=(), partial=()):
    """Twitch polls every minute (a few missing), Steam every 5; games come and go."""
    rows = []
    for k in minutes:
        if k in skip:
            continue
        t = T0 + timedelta(minutes=k)
        for game, base in GAMES.items():
            if game == "minecraft" and k % 3 == 0:
                continue  # absent from this poll: counts as 0 viewers
            rows.append(dict(poll_date=t.date(), poll_id=f"twitch:twitch_head:{int(t.timestamp())}", platform="twitch",
                             game_key=game, game_name=game.title(), viewers=base + 7 * (k % 11), channels=3 + k % 4,
                             players=None, records=1, mature_channels=k % 2, observed_at=t,
                             status="partial" if k in partial else "complete", coverage=0.5 if k in partial else 1.0,
                             scheduled_at=t, interval_seconds=60.0, source="twitch", updated_batch_id=0))
            if k % 5 == 0:
                rows.append(dict(rows[-1], poll_id=f"steam:steam_players:{int(t.timestamp())}", platform="steam",
                                 viewers=None, channels=None, players=base * 10 + k, mature_channels=0,
                                 interval_seconds=300.0, status="complete", coverage=1.0))
    return pa.Table.from_pylist(rows, schema=TOTALS_SCHEMA)


def expected_game_buckets(table: pa.Table, bucket_seconds: int) -> pd.DataFrame:
    frame = table.to_pandas()
    out = []
    for platform, part in frame.groupby("platform"):
        polls = part.drop_duplicates("poll_id").sort_values("scheduled_at")[["poll_id", "scheduled_at", "interval_seconds", "coverage"]]
        gaps = polls.scheduled_at.shift(-1).sub(polls.scheduled_at).dt.total_seconds()
        polls["weight"] = gaps.fillna(polls.interval_seconds).clip(upper=polls.interval_seconds)
        polls["bucket_start"] = polls.scheduled_at.map(lambda t: int(t.timestamp()) // bucket_seconds * bucket_seconds)
        value = "players" if platform == "steam" else "viewers"
        merged = part.merge(polls[["poll_id", "weight", "bucket_start"]], on="poll_id")
        bucket_weight = polls.groupby("bucket_start").weight.sum()
        for (start, game), rows in merged.groupby(["bucket_start", "game_key"]):
            out.append({"platform": platform, "bucket_start": start, "game_key": game,
                        "avg": (rows[value] * rows.weight).sum() / bucket_weight[start],
                        "peak": rows[value].max(),  # hours watched: viewers only, none for players
                        "hours": (rows[value] * rows.weight).sum() / 3600 if value == "viewers" else 0.0})
    return pd.DataFrame(out).sort_values(["platform", "bucket_start", "game_key"]).reset_index(drop=True)


def gold(settings, bucket):
    warehouse = Warehouse(settings.warehouse)
    rows = warehouse.execute(
        "SELECT platform, bucket_start, game_key, COALESCE(avg_viewers, avg_players), COALESCE(peak_viewers, peak_players),"
        " COALESCE(hours_watched, 0), rank, growth, coverage, is_partial FROM gold.game_buckets WHERE bucket = ?"
        " ORDER BY platform, bucket_start, game_key", (bucket,))
    warehouse.close()
    frame = pd.DataFrame(rows, columns=["platform", "bucket_start", "game_key", "avg", "peak", "hours", "rank", "growth",
                                        "coverage", "is_partial"])
    frame["bucket_start"] = frame.bucket_start.map(lambda t: int(t.timestamp()))
    return frame


@pytest.fixture(params=["duckdb", "postgresql"])
def warehouse_settings(request, tmp_path):
    base = Settings(_env_file=None)
    if request.param == "duckdb":
        url = f"duckdb:///{tmp_path / 'warehouse.duckdb'}"
    else:
        url = base.test_postgres_url
        try:
            Warehouse(url).execute("DROP SCHEMA IF EXISTS gold CASCADE")
        except Exception as exc:  # the machine's PostgreSQL is a CI service; say so when it is missing
            pytest.skip(f"PostgreSQL at {url} is not reachable: {exc}")
    return base.model_copy(update={"lake_root": str(tmp_path / "lake"), "warehouse_url": url})


def test_gold_matches_an_independent_computation_and_loads_incrementally(warehouse_settings):
    lake = Lake(warehouse_settings.lake_path)
    first = totals(range(0, 40), skip={7, 8, 23})
    second = totals(range(40, 70), skip={52}, partial={61})
    lake.append("silver/game_poll_totals", first, 0, ["poll_date"])
    report = run_gold(warehouse_settings)
    assert report.rows == first.num_rows and report.to_version == 0
    lake.append("silver/game_poll_totals", second, 1, ["poll_date"])
    assert run_gold(warehouse_settings).rows == second.num_rows
    assert run_gold(warehouse_settings).rows == 0  # nothing new: nothing loaded, nothing changed

    everything = pa.concat_tables([first, second])
    for bucket, seconds in (("5m", 300), ("1h", 3600)):
        got = gold(warehouse_settings, bucket)
        want = expected_game_buckets(everything, seconds)
        assert len(got) == len(want)
        pd.testing.assert_series_equal(got["avg"].astype(float), want["avg"].astype(float), check_names=False, rtol=1e-9)
        pd.testing.assert_series_equal(got["peak"].astype(float), want["peak"].astype(float), check_names=False)
        pd.testing.assert_series_equal(got["hours"].astype(float), want["hours"].astype(float), check_names=False, rtol=1e-9)
    five = gold(warehouse_settings, "5m")
    twitch = five[five.platform == "twitch"]
    assert set(twitch[twitch.game_key == "dota 2"]["rank"]) == {1}
    hours = gold(warehouse_settings, "1h")
    assert hours[hours.platform == "twitch"].groupby("bucket_start").is_partial.first().tolist() == [False, True]
    assert not twitch.is_partial.any()  # polls ran to 01:10, the end of the last 5-minute bucket
    gap = twitch[twitch.bucket_start == int((T0 + timedelta(minutes=5)).timestamp())]
    assert gap.coverage.iloc[0] == pytest.approx(3 * 60 / 300)  # minutes 7 and 8 missing: 3 of 5 minutes covered
    assert gap.growth.isna().all()  # coverage 0.6 vs 1.0 before: not comparable
    steady = twitch[twitch.bucket_start == int((T0 + timedelta(minutes=15)).timestamp())]
    assert steady.growth.notna().all()

    warehouse = Warehouse(warehouse_settings.warehouse)
    pairs = warehouse.execute("SELECT game_key, avg_players, twitch_avg_viewers, viewers_per_player FROM gold.players_vs_viewers"
                              " WHERE bucket = '1h' ORDER BY bucket_start, game_key")
    warehouse.close()
    hour = gold(warehouse_settings, "1h")
    first_hour = hour[hour.bucket_start == hour.bucket_start.min()].set_index(["platform", "game_key"])["avg"]
    game, players, viewers, ratio = pairs[0]
    assert (game, players, viewers) == ("dota 2", pytest.approx(first_hour["steam", "dota 2"]),
                                        pytest.approx(first_hour["twitch", "dota 2"]))
    assert ratio == pytest.approx(viewers / players)


def test_incremental_loads_equal_one_full_load(tmp_path):
    parts = [totals(range(0, 25)), totals(range(25, 50), skip={30}), totals(range(50, 75))]
    stepwise = Settings(_env_file=None, lake_root=str(tmp_path / "a"), warehouse_url=f"duckdb:///{tmp_path / 'a.duckdb'}")
    at_once = Settings(_env_file=None, lake_root=str(tmp_path / "b"), warehouse_url=f"duckdb:///{tmp_path / 'b.duckdb'}")
    for batch, part in enumerate(parts):  # written as the streaming job writes them: Delta merges
        add = {c: f"s.{c}" for c in TOTALS_SCHEMA.names if c not in ("poll_date", "poll_id", "platform", "game_key")}
        Lake(stepwise.lake_path).upsert("silver/game_poll_totals", part, batch, TOTALS_KEY, add, ["poll_date"])
        run_gold(stepwise)
    Lake(at_once.lake_path).append("silver/game_poll_totals", pa.concat_tables(parts), 0, ["poll_date"])
    run_gold(at_once)
    for bucket in ("5m", "1h", "1d"):
        pd.testing.assert_frame_equal(gold(stepwise, bucket), gold(at_once, bucket))


def test_gst_gold_run_reports_the_load(tmp_path):
    import os
    import subprocess
    import sys

    Lake(str(tmp_path / "lake")).append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
    env = {k: v for k, v in os.environ.items() if not k.startswith("GST_")}
    env.update(GST_LAKE_ROOT=str(tmp_path / "lake"), GST_WAREHOUSE_URL=f"duckdb:///{tmp_path / 'w.duckdb'}", COLUMNS="200")
    out = subprocess.run([sys.executable, "-m", "gamestream", "gold", "run"], env=env, cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "Delta version None -> 0" in out.stdout and "rows loaded" in out.stdout
