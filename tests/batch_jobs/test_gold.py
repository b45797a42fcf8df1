"""Gold loads on DuckDB and on the machine's PostgreSQL, checked against an independent pandas
computation of the metric definitions (docs/warehouse.md, Metric definitions), loaded in one go and
incrementally. A game absent from a poll counts 0 viewers there; a Steam app absent from a poll was not
sampled there: its average is over the polls that sampled it."""

from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from batch_jobs.gold.loads import run_gold
from gamestream.core.lake import GAMES_SCHEMA, Lake
from gamestream.core.settings import Settings
from gamestream.core.warehouse import Warehouse
from tests.support.cli import run_gst
from tests.support.postgres import fresh_database
from tests.support.silver import (
    SAMPLED_START,
    T0,
    built_models,
    colliding_games,
    monthly_totals,
    review_summaries,
    sampled_totals,
    seed_parity_totals,
    totals,
)


def weighed_polls(part: pd.DataFrame) -> pd.DataFrame:
    """One platform's polls, each weighing the gap to the next poll, at most its interval."""
    polls = part.drop_duplicates("poll_id").sort_values("scheduled_at")[
        ["poll_id", "scheduled_at", "interval_seconds", "coverage"]
    ]
    gaps = polls.scheduled_at.shift(-1).sub(polls.scheduled_at).dt.total_seconds()
    polls["weight"] = gaps.fillna(polls.interval_seconds).clip(upper=polls.interval_seconds)
    return polls


def average(rows: pd.DataFrame, value: str, observed: float) -> float:
    """Viewers: value-seconds over the platform's observed seconds (a poll without the game counts 0).
    Players: over the seconds of the polls that sampled the app (a poll without it is a gap)."""
    seconds = (rows[value] * rows.weight).sum()
    return seconds / (rows.weight[rows[value].notna()].sum() if value == "players" else observed)


def expected_game_buckets(table: pa.Table, bucket_seconds: int) -> pd.DataFrame:
    frame = table.to_pandas()
    out = []
    for platform, part in frame.groupby("platform"):
        polls = weighed_polls(part)
        polls["bucket_start"] = polls.scheduled_at.map(lambda t: int(t.timestamp()) // bucket_seconds * bucket_seconds)
        value = "players" if platform == "steam" else "viewers"
        merged = part.merge(polls[["poll_id", "weight", "bucket_start"]], on="poll_id")
        bucket_weight = polls.groupby("bucket_start").weight.sum()
        for (start, game), rows in merged.groupby(["bucket_start", "game_key"]):
            out.append(
                {
                    "platform": platform,
                    "bucket_start": start,
                    "game_key": game,
                    "avg": average(rows, value, bucket_weight[start]),
                    "peak": rows[value].max(),  # hours watched: viewers only, none for players
                    "hours": (rows[value] * rows.weight).sum() / 3600 if value == "viewers" else 0.0,
                }
            )
    return pd.DataFrame(out).sort_values(["platform", "bucket_start", "game_key"]).reset_index(drop=True)


def gold(settings, bucket):
    warehouse = Warehouse(settings.warehouse)
    rows = warehouse.execute(
        "SELECT platform, bucket_start, game_key, COALESCE(avg_viewers, avg_players), COALESCE(peak_viewers, peak_players),"
        " COALESCE(hours_watched, 0), rank, growth, coverage, is_partial FROM gold.game_buckets WHERE bucket = :bucket"
        " ORDER BY platform, bucket_start, game_key",
        {"bucket": bucket},
    )
    warehouse.close()
    frame = pd.DataFrame(
        rows,
        columns=[
            "platform",
            "bucket_start",
            "game_key",
            "avg",
            "peak",
            "hours",
            "rank",
            "growth",
            "coverage",
            "is_partial",
        ],
    )
    frame["bucket_start"] = frame.bucket_start.map(lambda t: int(t.timestamp()))
    return frame


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
        pd.testing.assert_series_equal(
            got["avg"].astype(float), want["avg"].astype(float), check_names=False, rtol=1e-9
        )
        pd.testing.assert_series_equal(got["peak"].astype(float), want["peak"].astype(float), check_names=False)
        pd.testing.assert_series_equal(
            got["hours"].astype(float), want["hours"].astype(float), check_names=False, rtol=1e-9
        )
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
    pairs = warehouse.execute(
        "SELECT game_key, avg_players, twitch_avg_viewers, viewers_per_player FROM gold.players_vs_viewers"
        " WHERE bucket = '1h' ORDER BY bucket_start, game_key"
    )
    warehouse.close()
    hour = gold(warehouse_settings, "1h")
    first_hour = hour[hour.bucket_start == hour.bucket_start.min()].set_index(["platform", "game_key"])["avg"]
    game, players, viewers, ratio = pairs[0]
    assert (game, players, viewers) == (
        "dota 2",
        pytest.approx(first_hour["steam", "dota 2"]),
        pytest.approx(first_hour["twitch", "dota 2"]),
    )
    assert ratio == pytest.approx(viewers / players)


def test_incremental_loads_equal_one_full_load(tmp_path):
    parts = [totals(range(0, 35)), totals(range(35, 70), skip={50})]
    stepwise = Settings(
        _env_file=None,
        lake_root=str(tmp_path / "a"),
        data_dir=tmp_path / "a-data",
        warehouse_url=f"duckdb:///{tmp_path / 'a.duckdb'}",
    )
    at_once = Settings(
        _env_file=None,
        lake_root=str(tmp_path / "b"),
        data_dir=tmp_path / "b-data",
        warehouse_url=f"duckdb:///{tmp_path / 'b.duckdb'}",
    )
    for batch, part in enumerate(parts):  # written as the poll query writes them: one append per batch
        Lake(stepwise.lake_path).append("silver/game_poll_totals", part, batch, ["poll_date"])
        run_gold(stepwise)
        # the first load (a full build) makes every table; the next, with no channel data staged or
        # in gold, leaves the channel models out (docs/warehouse.md, How a load runs)
        built = built_models(stepwise)
        assert "game_buckets" in built
        assert ("channel_buckets" in built, "channels" in built, "game_languages" in built) == (batch == 0,) * 3
    Lake(at_once.lake_path).append("silver/game_poll_totals", pa.concat_tables(parts), 0, ["poll_date"])
    run_gold(at_once)
    for bucket in ("5m", "1h", "1d"):
        pd.testing.assert_frame_equal(gold(stepwise, bucket), gold(at_once, bucket))
    pd.testing.assert_frame_equal(gold_months(stepwise), gold_months(at_once))


def test_gst_gold_run_reports_the_load(tmp_path):
    Lake(str(tmp_path / "lake")).append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
    env = {"GST_LAKE_ROOT": str(tmp_path / "lake"), "GST_WAREHOUSE_URL": f"duckdb:///{tmp_path / 'w.duckdb'}"}
    out = run_gst("gold", "run", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "Delta version None -> 0" in out.stdout and "rows loaded" in out.stdout


@pytest.mark.parametrize("warehouse_settings", ["duckdb"], indirect=True)  # PostgreSQL: the identical-gold test
def test_seed_parity_columns_top_channel_views_and_four_hour_change(warehouse_settings):
    data = seed_parity_totals(hours=7)
    Lake(warehouse_settings.lake_path).append("silver/game_poll_totals", data, 0, ["poll_date"])
    run_gold(warehouse_settings)
    frame = data.to_pandas()
    frame["hour"] = frame.scheduled_at.map(lambda t: int(t.timestamp()) // 3600 * 3600)
    warehouse = Warehouse(warehouse_settings.warehouse)
    got = warehouse.execute(
        "SELECT platform, bucket_start, game_key, avg_viewers, top_channel, top_channel_viewers, views, views_change,"
        " change, change_4h FROM gold.game_buckets WHERE bucket = '1h' ORDER BY platform, game_key, bucket_start"
    )
    warehouse.close()
    got = pd.DataFrame(
        got,
        columns=[
            "platform",
            "hour",
            "game_key",
            "avg",
            "top",
            "top_viewers",
            "views",
            "views_change",
            "change",
            "change_4h",
        ],
    )
    got["hour"] = got.hour.map(lambda t: int(t.timestamp()))
    for (platform, game), rows in frame.groupby(["platform", "game_key"]):
        per_hour = rows.groupby("hour")
        best = rows.sort_values(["top_channel_viewers", "top_channel"], ascending=[False, True]).groupby("hour").first()
        mine = got[(got.platform == platform) & (got.game_key == game)].set_index("hour")
        avg = per_hour.viewers.mean()  # 5-minute polls, none missing: equal weights
        assert mine["avg"].tolist() == pytest.approx(avg.tolist())
        assert mine["top"].tolist() == best.top_channel.tolist()
        assert mine["top_viewers"].tolist() == best.top_channel_viewers.tolist()
        assert mine["change"].iloc[1:].tolist() == pytest.approx(avg.diff().iloc[1:].tolist())
        assert mine["change_4h"].iloc[:4].isna().all()
        assert mine["change_4h"].iloc[4:].tolist() == pytest.approx(avg.diff(4).iloc[4:].tolist())
        if platform == "youtube":
            views = per_hour.views.max()
            assert mine["views"].tolist() == views.tolist()
            assert mine["views_change"].iloc[1:].tolist() == views.diff().iloc[1:].tolist()
        else:
            assert mine["views"].isna().all()


@pytest.mark.parametrize("warehouse_settings", ["duckdb"], indirect=True)  # PostgreSQL: the identical-gold test
def test_games_flag_non_game_categories_and_reviews_keep_the_latest(warehouse_settings):
    lake = Lake(warehouse_settings.lake_path)
    lake.append("silver/game_poll_totals", seed_parity_totals(hours=1), 0, ["poll_date"])
    games = pa.Table.from_pylist(
        [
            {
                "game_key": "dota 2",
                "name": "Dota 2",
                "steam_app_id": 570,
                "is_game": True,
                "aliases": ["Dota 2"],
                "first_seen_at": T0,
                "last_seen_at": T0,
            },
            {
                "game_key": "just chatting",
                "name": "Just Chatting",
                "steam_app_id": None,
                "is_game": False,
                "aliases": ["Just Chatting"],
                "first_seen_at": T0,
                "last_seen_at": T0,
            },
        ]
    )
    lake.append(
        "silver/games",
        pa.concat_tables([games.cast(GAMES_SCHEMA), colliding_games("notepad++", "notepad plus plus")]),
        0,
        [],
    )

    lake.append(
        "silver/review_summaries",
        review_summaries((570, 8, 800, 1000, T0), (570, 9, 900, 1000, T0 + timedelta(hours=1))),
        0,
        ["poll_date"],
    )
    run_gold(warehouse_settings)
    lake.append(
        "silver/review_summaries",
        review_summaries((570, 5, 1, 2, T0 - timedelta(days=1))),
        1,
        ["poll_date"],
    )  # a late, older summary must not replace the newer one
    lake.append("silver/games", colliding_games("notepad+ +", "notepad++"), 1, [])  # a newcomer, and a game seen again
    run_gold(warehouse_settings)
    warehouse = Warehouse(warehouse_settings.warehouse)
    slugs = dict(warehouse.execute("SELECT game_key, slug FROM gold.games"))
    flags = dict(warehouse.execute("SELECT DISTINCT game_key, is_game FROM gold.game_buckets"))
    reviews = warehouse.execute("SELECT app_id, review_score, positive_ratio FROM gold.game_reviews")
    ranked = warehouse.execute(
        "SELECT game_key FROM gold.game_buckets WHERE platform = 'twitch' AND bucket = '1h' AND is_game ORDER BY rank"
    )
    warehouse.close()
    assert flags == {"dota 2": True, "just chatting": False}
    assert reviews == [(570, 9, pytest.approx(0.9))]
    assert [r[0] for r in ranked] == ["dota 2"]  # Just Chatting has more viewers, and is left out
    assert slugs == {
        "dota 2": "dota-2",
        "just chatting": "just-chatting",
        "notepad++": "notepad-plus-plus",  # first seen: the natural slug, kept when the game is seen again
        "notepad plus plus": "notepad-plus-plus--2",
        "notepad+ +": "notepad-plus-plus--3",
    }


def test_a_gold_schema_from_an_older_version_is_rebuilt(tmp_path):
    settings = Settings(
        _env_file=None,
        lake_root=str(tmp_path / "lake"),
        data_dir=tmp_path / "data",
        warehouse_url=f"duckdb:///{tmp_path / 'w.duckdb'}",
    )
    warehouse = Warehouse(settings.warehouse)
    warehouse.execute("CREATE SCHEMA gold")
    warehouse.execute(
        "CREATE TABLE gold.game_buckets (platform TEXT, bucket TEXT, bucket_start TIMESTAMPTZ, game_key TEXT)"
    )
    warehouse.execute("CREATE TABLE gold.load_state (source_table TEXT, delta_version BIGINT, loaded_at TIMESTAMPTZ)")
    warehouse.execute("INSERT INTO gold.load_state VALUES ('silver/game_poll_totals', 99, now())")
    warehouse.close()
    Lake(settings.lake_path).append("silver/game_poll_totals", totals(range(0, 10)), 0, ["poll_date"])
    report = run_gold(settings)
    assert report.from_version is None and report.rows > 0  # old load state dropped with the old tables
    warehouse = Warehouse(settings.warehouse)
    assert "change_4h" in warehouse.columns("gold.game_buckets")
    # gold built for another gold_version (another tag in the load state), from before
    # game_buckets had players_observed_seconds: the next load rebuilds it all, where an incremental
    # build would stop on the missing column (on_schema_change: fail)
    warehouse.execute("ALTER TABLE gold.game_buckets DROP COLUMN players_observed_seconds")
    warehouse.execute("UPDATE gold.load_state SET project = 'an older project'")
    warehouse.close()
    Lake(settings.lake_path).append("silver/game_poll_totals", totals(range(10, 20)), 1, ["poll_date"])
    report = run_gold(settings)
    assert report.from_version is None and report.rows == totals(range(0, 20)).num_rows
    warehouse = Warehouse(settings.warehouse)
    assert "players_observed_seconds" in warehouse.columns("gold.game_buckets")
    warehouse.close()


TABLE_ORDER = {
    "poll_totals": "platform, poll_id, game_key",
    "game_buckets": "platform, bucket, bucket_start, game_key",
    "platform_buckets": "platform, bucket, bucket_start",
    "game_months": "platform, month_start, game_key",
    "platform_months": "platform, month_start",
    "game_windows": "platform, time_window, game_key",
    "game_latest_hours": "platform, game_key",
    "players_vs_viewers": "bucket, bucket_start, game_key",
    "games": "game_key",
    "game_reviews": "app_id",
}


def test_duckdb_and_postgresql_build_identical_gold(tmp_path, postgres_url):
    """Every gold table alike on both warehouses, loaded in two steps: polls of all three platforms
    (YouTube's views, Steam apps absent from polls, a poll that saw half of Steam, a Twitch game
    absent from polls), games with colliding slugs and a newcomer, and reviews with a late, older
    one. The other tests here check these figures on DuckDB against independent computations."""
    base = Settings(_env_file=None)
    postgres = fresh_database(postgres_url, "gst_gold_equal")
    polls = pa.concat_tables([seed_parity_totals(hours=6), sampled_totals(days=3)])
    split = pc.less(polls["scheduled_at"], pa.scalar(SAMPLED_START + timedelta(days=1.5), polls["scheduled_at"].type))
    games = colliding_games("notepad++", "notepad plus plus")
    steps = [
        {
            "silver/game_poll_totals": polls.filter(split),
            "silver/games": games,
            "silver/review_summaries": review_summaries(
                (570, 8, 800, 1000, T0), (570, 9, 900, 1000, T0 + timedelta(hours=1))
            ),
        },
        {
            "silver/game_poll_totals": polls.filter(pc.invert(split)),
            "silver/games": colliding_games("notepad+ +", "notepad++"),
            "silver/review_summaries": review_summaries((570, 5, 1, 2, T0 - timedelta(days=1))),
        },
    ]
    tables = {}
    for kind, url in (("duckdb", f"duckdb:///{tmp_path / 'w.duckdb'}"), ("postgresql", postgres)):
        settings = base.model_copy(
            update={"lake_root": str(tmp_path / kind), "data_dir": tmp_path / f"{kind}-data", "warehouse_url": url}
        )
        for batch, step in enumerate(steps):
            for name, rows in step.items():
                Lake(settings.lake_path).append(name, rows, batch, [] if name == "silver/games" else ["poll_date"])
            run_gold(settings)
        warehouse = Warehouse(url)
        for table, order in TABLE_ORDER.items():
            rows = warehouse.execute(f"SELECT * FROM gold.{table} ORDER BY {order}")
            columns = warehouse.columns(f"gold.{table}")
            tables[kind, table] = pd.DataFrame(rows, columns=columns)
        warehouse.close()
    for table in TABLE_ORDER:
        duck, postgres = tables["duckdb", table], tables["postgresql", table]
        assert len(duck) >= (100 if "buckets" in table else 1), table
        pd.testing.assert_frame_equal(duck, postgres, check_dtype=False, rtol=1e-9, obj=table)
    assert len(tables["duckdb", "games"]) == 3 and tables["duckdb", "game_reviews"].review_score.tolist() == [9]


def expected_game_months(table: pa.Table) -> pd.DataFrame:
    """The monthly columns straight from the polls (not from days): per platform and calendar month
    (UTC), each poll weighing the seconds it stands for, a game absent from a poll counting 0 viewers,
    a Steam app absent from a poll not sampled there (its average over the polls that sampled it)."""
    frame = table.to_pandas()
    out = []
    for platform, part in frame.groupby("platform"):
        polls = weighed_polls(part)
        polls["month"] = polls.scheduled_at.map(lambda t: pd.Timestamp(t.year, t.month, 1, tz="UTC"))
        value = "players" if platform == "steam" else "viewers"
        merged = part.merge(polls[["poll_id", "weight", "month"]], on="poll_id")
        month_weight = polls.groupby("month").weight.sum()
        month_covered = (polls.weight * polls.coverage).groupby(polls.month).sum()
        for (month, game), rows in merged.groupby(["month", "game_key"]):
            watched = (rows[value] * rows.weight).sum()
            channels = (rows.channels * rows.weight).sum() if value == "viewers" else None
            seconds = ((month + pd.offsets.MonthBegin(1)) - month).total_seconds()
            out.append(
                {
                    "platform": platform,
                    "month_start": month,
                    "game_key": game,
                    "avg": average(rows, value, month_weight[month]),
                    "peak": rows[value].max(),
                    "hours": watched / 3600 if value == "viewers" else 0.0,
                    "avg_channels": channels / month_weight[month] if channels is not None else None,
                    "ratio": watched / channels if channels else None,
                    "coverage": min(month_covered[month] / seconds, 1.0),
                }
            )
    months = pd.DataFrame(out).sort_values(["platform", "month_start", "game_key"]).reset_index(drop=True)
    months["rank"] = months.groupby(["platform", "month_start"]).avg.rank(method="min", ascending=False).astype(int)
    previous = months.assign(month_start=months.month_start + pd.offsets.MonthBegin(1))
    joined = months.merge(
        previous[["platform", "month_start", "game_key", "avg"]],
        on=["platform", "month_start", "game_key"],
        how="left",
        suffixes=("", "_previous"),
    )
    months["gain"] = joined.avg - joined.avg_previous
    months["growth"] = months.gain / joined.avg_previous
    return months


def gold_months(settings) -> pd.DataFrame:
    warehouse = Warehouse(settings.warehouse)
    columns = "platform, month_start, game_key, avg, peak, hours, avg_channels, ratio, coverage, rank, gain, growth"
    rows = warehouse.execute(
        "SELECT platform, month_start, game_key, COALESCE(avg_viewers, avg_players), COALESCE(peak_viewers, peak_players),"
        " COALESCE(hours_watched, 0), avg_channels, avg_viewer_ratio, coverage, rank, gain, growth"
        " FROM gold.game_months ORDER BY platform, month_start, game_key"
    )
    warehouse.close()
    frame = pd.DataFrame(rows, columns=columns.split(", "))
    frame["month_start"] = frame.month_start.map(lambda t: pd.Timestamp(t).tz_convert("UTC"))
    return frame


def test_monthly_gold_matches_an_independent_computation_loaded_incrementally(warehouse_settings):
    lake = Lake(warehouse_settings.lake_path)
    parts = [monthly_totals(range(0, 150), skip=set(range(88, 96))), monthly_totals(range(150, 280), partial={150})]
    for batch, part in enumerate(parts):  # the second load rebuilds November and crosses into December
        lake.append("silver/game_poll_totals", part, batch, ["poll_date"])
        run_gold(warehouse_settings)
    got = gold_months(warehouse_settings)
    want = expected_game_months(pa.concat_tables(parts))
    assert got.month_start.dt.month.unique().tolist() == [10, 11, 12]
    pd.testing.assert_frame_equal(
        got[["platform", "month_start", "game_key", "rank"]], want[["platform", "month_start", "game_key", "rank"]]
    )
    for column in ("avg", "peak", "hours", "avg_channels", "ratio", "coverage", "gain", "growth"):
        pd.testing.assert_series_equal(
            got[column].astype(float), want[column].astype(float), check_names=False, rtol=1e-9, obj=column
        )
    first_months = got.sort_values("month_start").groupby(["platform", "game_key"]).head(1)
    assert first_months.gain.isna().all() and got.drop(first_months.index).gain.notna().all()  # fortnite: November
    warehouse = Warehouse(warehouse_settings.warehouse)
    platform = warehouse.execute(
        "SELECT month_start, is_partial, observed_seconds, covered_seconds FROM gold.platform_months"
        " WHERE platform = 'twitch' ORDER BY month_start"
    )
    warehouse.close()
    assert [p[1] for p in platform] == [False, False, True]  # December runs past the newest poll
    assert platform[1][2] == (30 - 1) * 86400  # November without its gap day
    assert platform[1][3] == pytest.approx((30 - 1) * 86400 - 10800 / 2)  # one poll saw half the platform


@pytest.mark.parametrize("warehouse_settings", ["duckdb"], indirect=True)  # PostgreSQL: the identical-gold test
def test_a_steam_app_absent_from_a_poll_is_a_gap_and_a_twitch_game_counts_zero(warehouse_settings):
    data = sampled_totals(days=3)
    Lake(warehouse_settings.lake_path).append("silver/game_poll_totals", data, 0, ["poll_date"])
    run_gold(warehouse_settings)
    frame = data.to_pandas()
    polls = pd.concat([weighed_polls(part).assign(platform=platform) for platform, part in frame.groupby("platform")])
    polls["epoch"] = polls.scheduled_at.map(lambda t: int(t.timestamp()))
    polls["month"] = polls.scheduled_at.map(lambda t: pd.Timestamp(t.year, t.month, 1, tz="UTC"))
    rows = frame.merge(polls[["poll_id", "weight", "epoch", "month"]], on="poll_id")
    value = {"steam": "players", "twitch": "viewers"}

    def expected(period: str, rows: pd.DataFrame, polls: pd.DataFrame) -> pd.DataFrame:
        observed = polls.groupby(["platform", period]).weight.sum()
        out = [
            {
                "platform": platform,
                period: start,
                "game_key": game,
                "avg": average(part, value[platform], observed[platform, start]),
                "peak": part[value[platform]].max(),
                "sampled": part.weight.sum() if platform == "steam" else float("nan"),
            }
            for (platform, start, game), part in rows.groupby(["platform", period, "game_key"])
        ]
        want = pd.DataFrame(out).sort_values(["platform", period, "game_key"]).reset_index(drop=True)
        want["rank"] = want.groupby(["platform", period]).avg.rank(method="min", ascending=False).astype(int)
        return want

    def compare(got: pd.DataFrame, want: pd.DataFrame, what: str) -> None:
        assert got[["platform", "game_key"]].values.tolist() == want[["platform", "game_key"]].values.tolist(), what
        for column in ("avg", "peak", "sampled", "rank"):
            pd.testing.assert_series_equal(
                got[column].astype(float),
                want[column].astype(float),
                check_names=False,
                rtol=1e-9,
                obj=f"{what} {column}",
            )

    warehouse = Warehouse(warehouse_settings.warehouse)
    figures = (
        "platform, game_key, COALESCE(avg_viewers, avg_players), COALESCE(peak_viewers, peak_players),"
        " players_observed_seconds, rank"
    )
    for bucket, seconds in (("1h", 3600), ("1d", 86400)):
        got = pd.DataFrame(
            warehouse.execute(
                f"SELECT {figures}, bucket_start FROM gold.game_buckets WHERE bucket = :bucket"
                " ORDER BY platform, bucket_start, game_key",
                {"bucket": bucket},
            ),
            columns=["platform", "game_key", "avg", "peak", "sampled", "rank", "start"],
        )
        rows["start"], polls["start"] = rows.epoch // seconds * seconds, polls.epoch // seconds * seconds
        want = expected("start", rows, polls)
        assert got.start.map(lambda t: int(t.timestamp())).tolist() == want.start.tolist()
        compare(got, want, bucket)
        if bucket == "1h":  # sampled in one poll an hour: the hour's average is that sample
            tail = rows[rows.game_key == "long tail"].sort_values("start")
            assert got[got.game_key == "long tail"].avg.tolist() == tail.players.astype(float).tolist()
            assert got[got.game_key == "long tail"].sampled.tolist() == tail.weight.tolist()
        assert got[got.platform == "twitch"].sampled.isna().all()
    got = pd.DataFrame(
        warehouse.execute(
            f"SELECT {figures}, month_start FROM gold.game_months ORDER BY platform, month_start, game_key"
        ),
        columns=["platform", "game_key", "avg", "peak", "sampled", "rank", "month"],
    )
    want = expected("month", rows, polls)
    assert got.month.map(lambda t: pd.Timestamp(t).tz_convert("UTC")).tolist() == want.month.tolist()
    compare(got, want, "month")
    window = dict(
        ((platform, game), avg)
        for platform, game, avg in warehouse.execute(
            "SELECT platform, game_key, COALESCE(avg_viewers, avg_players) FROM gold.game_windows"
            " WHERE time_window = '30d'"
        )
    )
    warehouse.close()

    # the 30-day window (all three days): a day weighs its covered seconds, an app's day the share of
    # them that sampled it (covered / observed x the seconds that sampled it)
    rows["day"], polls["day"] = rows.epoch // 86400, polls.epoch // 86400
    days = expected("day", rows, polls)
    observed = polls.groupby(["platform", "day"]).weight.sum()
    covered = (polls.weight * polls.coverage).groupby([polls.platform, polls.day]).sum().clip(upper=86400)
    assert covered["steam"].sum() < observed["steam"].sum()  # the poll that saw half the platform
    keys = list(zip(days.platform, days.day, strict=True))
    days["covered"] = covered.loc[keys].values
    days["weight"] = days.covered.where(
        days.platform != "steam", days.sampled * days.covered / observed.loc[keys].values
    )
    want = {
        (platform, game): (part.avg * part.weight).sum()
        / (part.weight.sum() if platform == "steam" else covered[platform].sum())
        for (platform, game), part in days.groupby(["platform", "game_key"])
    }
    assert window == pytest.approx(want, rel=1e-9)
    # dota 2 missed a third of Steam's polls: averaging them as 0 players would put it a third lower
    dota = rows[(rows.platform == "steam") & (rows.game_key == "dota 2")]
    assert (
        window["steam", "dota 2"]
        > 1.4 * (dota.players * dota.weight).sum() / polls[polls.platform == "steam"].weight.sum()
    )
