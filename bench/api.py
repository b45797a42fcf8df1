"""Realtime API benchmarks (prints figures; not a test).

1. REST latency: 30 days of gold for 5,000 Twitch games (+1,000 Steam games) and 100,000 Twitch
   channels in the embedded DuckDB warehouse (5-minute, hourly and daily buckets of games and
   channels, inserted in time order as the loads do, and the channels' game days, the calendar
   months and the games' languages rolled up from them; then game_series, game_windows,
   channel_series and game_channel_days built by `dbt run`, as a build writes them; the row counts
   are printed),
   served by `gst api`'s app over real HTTP; p50/p95/max per endpoint over a request mix, after the
   API has warmed DuckDB's cache (/readyz). Range rankings and movers repeat their from/to, so they are
   answered from the API's range cache after their first request, which is printed apart.
   Target: every endpoint's p95 at most 25 ms; the run ends with `rest_p95_max_ms=` (the slowest one)
   and `channels_p95_max_ms=` (the slowest of the channel and language endpoints).
2. WebSocket fan-out: N clients (default 1,000; each a bare asyncio protocol, see FeedClient) on
   /ws/live of a separate `gst api` process; the streaming job's own Redis script publishes polls;
   latency = receipt - publish, per message.
   Target: p95 at most 250 ms.
3. A crowd: five polite clients, each from its own loopback address, alone and then beside one that
   floods REST and opens three times the per-address cap of live connections, against `gst api` with
   its default limits (a small gold: 500 games, 3 days). Target: the polite clients' p95 at most
   25 ms and every answer they get a 200.

Run: .venv/bin/python bench/api.py [--part rest|ws|crowd|all] [--games 5000] [--days 30] [--channel-count 100000]
     [--requests 2000] [--clients 1000] [--channels]
     [--reuse: keep the gold built by an earlier run at the same scale with the same dbt project]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import duckdb  # noqa: E402
import httpx  # noqa: E402
from websockets.client import ClientProtocol  # noqa: E402
from websockets.frames import Frame, Opcode  # noqa: E402
from websockets.http11 import Response  # noqa: E402
from websockets.typing import Origin  # noqa: E402
from websockets.uri import parse_uri  # noqa: E402

from batch_jobs.dbt import invoke  # noqa: E402
from batch_jobs.gold.loads import run_gold  # noqa: E402
from batch_jobs.gold.project import GoldProject, project_digest  # noqa: E402
from bench.common import children, cpu_seconds, gold_rows, gst_api, percentile  # noqa: E402
from gamestream.core.lake import Lake  # noqa: E402
from gamestream.core.settings import Settings  # noqa: E402
from gamestream.embedded.ports import free_port  # noqa: E402
from gamestream.embedded.redis_server import redis_server  # noqa: E402
from realtime_api.queries.vocabulary import ChannelMetric  # noqa: E402
from streaming_jobs.live import LiveWriter, PollUpdate  # noqa: E402

DATA = Path(".gst-bench/api").resolve()
END = datetime(2026, 11, 26, tzinfo=UTC)


def build_gold(path: Path, games: int, days: int, channels: int) -> None:
    """Gold's tables and views as `gst gold run` creates them (from one staged poll), then filled
    with synthetic buckets and channels, and the models derived from those rebuilt by dbt."""
    settings = Settings(
        _env_file=None, lake_root=str(DATA / "lake"), data_dir=DATA / "data", warehouse_url=f"duckdb:///{path}"
    )
    shutil.rmtree(DATA / "lake", ignore_errors=True)
    Lake(settings.lake_path).append("silver/game_poll_totals", seed_totals(), 0, ["poll_date"])
    run_gold(settings)
    conn = duckdb.connect(str(path), config={"custom_user_agent": "gamestream"})
    for table in ("game_buckets", "platform_buckets", "game_months", "platform_months", "poll_totals", "games"):
        conn.execute(f"DELETE FROM gold.{table}")
    conn.execute(f"""INSERT INTO gold.games SELECT 'game ' || g, 'Game ' || g, CASE WHEN g < 1000 THEN 100000 + g END,
                     g % 97 <> 5, TIMESTAMPTZ '{(END - timedelta(days=days)).isoformat()}', TIMESTAMPTZ '{END.isoformat()}',
                     'game-' || g
                     FROM range({games}) r(g)""")
    start = int((END - timedelta(days=days)).timestamp())
    for platform, count in (("twitch", games), ("steam", min(1000, games))):
        value = "avg_viewers" if platform == "twitch" else "avg_players"
        for bucket, seconds in (("5m", 300), ("1h", 3600), ("1d", 86400)):
            per_day = 86400 // seconds
            for day in range(days):  # one load per day, in time order, like the incremental loads
                first = start + day * 86400
                base = f"(200000.0 / POW(g + 1, 1.1)) * (1 + 0.3 * SIN((t * {seconds} % 86400) / 86400.0 * 6.283))"
                viewers = platform == "twitch"
                conn.execute(f"""
                    INSERT INTO gold.game_buckets (platform, bucket, bucket_start, game_key, game_name, is_game,
                        {value}, {"peak_viewers" if viewers else "peak_players"}, hours_watched, avg_channels,
                        peak_channels, samples, coverage, is_partial, rank, growth, change, change_4h, top_channel,
                        top_channel_viewers, players_observed_seconds)
                    SELECT '{platform}', '{bucket}', to_timestamp({first} + t * {seconds}), 'game ' || g, 'Game ' || g,
                           g % 97 <> 5, {base}, CAST({base} * 1.2 AS BIGINT),
                           {f"{base} * {seconds} / 3600.0" if viewers else "NULL"}, {base} / 40, CAST({base} / 30 AS BIGINT),
                           {max(1, seconds // 300)}, 1.0, FALSE, g + 1, 0.01, 1.0, 2.0, 'streamer ' || (g % 50),
                           CAST({base} / 5 AS BIGINT), {"NULL" if viewers else seconds}
                    FROM range({per_day}) s(t) CROSS JOIN range({count}) r(g) ORDER BY t, g""")
                conn.execute(f"""
                    INSERT INTO gold.platform_buckets
                    SELECT '{platform}', '{bucket}', to_timestamp({first} + t * {seconds}), 1e6, 1200000, 1e6 * {seconds} / 3600.0,
                           {count}, {max(1, seconds // 300)}, 1.0, FALSE, {seconds} FROM range({per_day}) s(t)""")
    month = "(date_trunc('month', bucket_start AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    conn.execute(f"""
        INSERT INTO gold.platform_months (platform, month_start, month_end, avg_total, peak_total, hours_watched, games,
            samples, observed_seconds, covered_seconds, coverage, is_partial)
        SELECT platform, {month}, ({month} AT TIME ZONE 'UTC' + INTERVAL 1 MONTH) AT TIME ZONE 'UTC', AVG(avg_total),
               MAX(peak_total), SUM(hours_watched), MAX(games), SUM(samples), SUM(observed_seconds),
               SUM(coverage * 86400), SUM(coverage * 86400) / (31 * 86400), FALSE
        FROM gold.platform_buckets WHERE bucket = '1d' GROUP BY ALL ORDER BY 2, 1""")
    conn.execute(f"""
        INSERT INTO gold.game_months (platform, month_start, game_key, game_name, is_game, avg_viewers, peak_viewers,
            hours_watched, avg_channels, peak_channels, avg_viewer_ratio, avg_players, peak_players,
            players_observed_seconds, coverage, is_partial, rank, gain, growth)
        SELECT platform, {month}, game_key, MAX(game_name), BOOL_AND(is_game), AVG(avg_viewers), MAX(peak_viewers),
               SUM(hours_watched), AVG(avg_channels), MAX(peak_channels), AVG(avg_viewers) / AVG(avg_channels),
               AVG(avg_players), MAX(peak_players), SUM(players_observed_seconds), 1.0, FALSE, MIN(rank), 1.0, 0.01
        FROM gold.game_buckets WHERE bucket = '1d' GROUP BY platform, {month}, game_key ORDER BY 2, 1, 3""")
    rows = conn.execute("SELECT COUNT(*) FROM gold.game_buckets").fetchone()[0]
    started = time.perf_counter()
    counts = fill_channels(conn, channels, games, days)
    conn.close()
    print(
        f"gold: {channels:,} Twitch channels over {days} days in {time.perf_counter() - started:.0f} s: "
        + ", ".join(f"{table} {count:,}" for table, count in counts.items())
    )
    # the models a build derives from those tables, as a build writes them (game_series, DuckDB's
    # by-game layout; game_windows, the ranking windows; game_latest_hours, each game's newest hour;
    # channel_series and game_channel_days, the channels' hours and game days keyed by their hash)
    invoke(
        settings,
        [
            "run",
            "--select",
            "game_series",
            "game_windows",
            "game_latest_hours",
            "channel_series",
            "game_channel_days",
            "--full-refresh",
        ],
    )
    print(
        f"gold: {rows:,} game_buckets rows ({games:,} Twitch + {min(1000, games):,} Steam games, {days} days, "
        f"5m/1h/1d), {path.stat().st_size / 2**30:.2f} GiB"
    )


LANGUAGES = ["en", "en", "en", "en", "es", "de", "pt", "fr", "ja", "ko", "ru", "zh"]


def fill_channels(conn: duckdb.DuckDBPyConnection, channels: int, games: int, days: int) -> dict[str, int]:
    """Twitch channels over the days, written into the channel tables the way loads leave them: each
    channel streams on about 40 % of days (and at least one), one 3-hour stream from its own hour, its main game for two
    hours (games skewed to the top, as audiences are) and, every other day, another game for the
    third; viewers fall with the channel's number; a channel in 50 had another name before. The 5m,
    1h and 1d buckets and the channel's game days are written a day at a time in time order (as the
    incremental loads append them); months and languages are rolled up from those."""
    for table in ("channel_buckets", "channel_game_days", "channel_months", "channel_game_months", "game_languages",
                  "channels", "channel_names", "channel_snapshots"):  # fmt: skip
        conn.execute(f"DELETE FROM gold.{table}")
    languages = "[" + ", ".join(f"'{code}'" for code in LANGUAGES) + "]"
    conn.execute(f"""
        CREATE TEMP TABLE bench_channels AS
        SELECT c, CAST(100000000 + c AS VARCHAR) AS channel_id, 'streamer_' || c AS user_login,
               'Streamer_' || c AS channel_name, {languages}[1 + c % {len(LANGUAGES)}] AS language,
               CAST(FLOOR(POW((hash(c) % 1000003) / 1000003.0, 3) * {games}) AS INTEGER) AS game,
               20000.0 / POW(c + 1, 0.8) + 2 AS viewers, (c * 7) % 21 AS start_hour
        FROM range({channels}) r(c)""")
    start = int((END - timedelta(days=days)).timestamp())
    for day in range(days):
        first = start + day * 86400
        conn.execute(f"""
            CREATE OR REPLACE TEMP TABLE bench_day AS
            SELECT c.channel_id, c.user_login, c.channel_name, c.language, s,
                   to_timestamp({first} + c.start_hour * 3600 + s * 300) AS bucket_start,
                   'game ' || CASE WHEN s >= 24 AND hash(c.c, {day}, 'second') % 2 = 0
                                   THEN (c.game + 1 + {day} % 3) % {games} ELSE c.game END AS game_key,
                   c.viewers * (0.9 + 0.2 * ((s * 37 + c.c) % 10) / 10.0) AS viewers
            FROM bench_channels c CROSS JOIN range(36) t(s)
            WHERE hash(c.c, {day}) % 100 < 40 OR c.c % {days} = {day}""")
        rollups = {"5m": "bucket_start", "1h": "date_trunc('hour', bucket_start)", "1d": f"to_timestamp({first})"}
        for bucket, start_of in rollups.items():
            conn.execute(f"""
                INSERT INTO gold.channel_buckets (platform, bucket, bucket_start, channel_id, channel_name, user_login,
                    avg_viewers, peak_viewers, hours_streamed, hours_watched, streams, streams_started, games,
                    main_game_key, main_language, rank, is_partial)
                SELECT 'twitch', '{bucket}', {start_of} AS b, channel_id, MAX(channel_name), MAX(user_login),
                       AVG(viewers), CAST(MAX(viewers) * 1.1 AS BIGINT), COUNT(*) / 12.0, SUM(viewers) / 12.0, 1,
                       MAX(CASE WHEN s = 0 THEN 1 ELSE 0 END), COUNT(DISTINCT game_key), arg_max(game_key, viewers),
                       MAX(language), rank() OVER (PARTITION BY b ORDER BY SUM(viewers) DESC), FALSE
                FROM bench_day GROUP BY b, channel_id ORDER BY b, channel_id""")
        conn.execute(f"""
            INSERT INTO gold.channel_game_days (platform, day_start, channel_id, game_key, game_name, hours_streamed,
                hours_watched, avg_viewers, peak_viewers, language)
            SELECT 'twitch', to_timestamp({first}), channel_id, game_key, 'Game ' || substr(game_key, 6), COUNT(*) / 12.0,
                   SUM(viewers) / 12.0, AVG(viewers), CAST(MAX(viewers) * 1.1 AS BIGINT), MAX(language)
            FROM bench_day GROUP BY channel_id, game_key ORDER BY game_key, channel_id""")
    month = "(date_trunc('month', {0} AT TIME ZONE 'UTC') AT TIME ZONE 'UTC')"
    conn.execute(f"""
        INSERT INTO gold.channel_months (platform, month_start, channel_id, channel_name, user_login, hours_streamed,
            hours_watched, avg_viewers, peak_viewers, streams, games, main_language, rank, is_partial)
        SELECT 'twitch', {month.format("b.bucket_start")} AS m, b.channel_id, MAX(b.channel_name), MAX(b.user_login),
               SUM(b.hours_streamed), SUM(b.hours_watched), SUM(b.hours_watched) / SUM(b.hours_streamed),
               MAX(b.peak_viewers), SUM(b.streams_started), MAX(g.games), MAX(b.main_language),
               rank() OVER (PARTITION BY {month.format("b.bucket_start")} ORDER BY SUM(b.hours_watched) DESC), FALSE
        FROM gold.channel_buckets b
        JOIN (SELECT channel_id, {month.format("day_start")} AS m, COUNT(DISTINCT game_key) AS games
              FROM gold.channel_game_days GROUP BY ALL) g ON g.channel_id = b.channel_id AND g.m = {month.format("b.bucket_start")}
        WHERE b.bucket = '1d' GROUP BY 2, 3 ORDER BY 2, 3""")
    conn.execute(f"""
        INSERT INTO gold.channel_game_months (platform, month_start, channel_id, game_key, game_name, hours_streamed,
            hours_watched, avg_viewers, peak_viewers, language)
        SELECT 'twitch', {month.format("day_start")} AS m, channel_id, game_key, MAX(game_name), SUM(hours_streamed),
               SUM(hours_watched), SUM(hours_watched) / SUM(hours_streamed), MAX(peak_viewers), MAX(language)
        FROM gold.channel_game_days GROUP BY 2, 3, 4 ORDER BY 2, 3, 4""")
    for period, table, start_of in (
        ("1d", "channel_game_days", "day_start"),
        ("1mo", "channel_game_months", "month_start"),
    ):
        conn.execute(f"""
            INSERT INTO gold.game_languages (platform, period, period_start, game_key, language, hours_watched, channels,
                share_hours_watched, share_channels)
            SELECT 'twitch', '{period}', {start_of}, game_key, language, SUM(hours_watched), COUNT(DISTINCT channel_id),
                   SUM(hours_watched) / SUM(SUM(hours_watched)) OVER (PARTITION BY {start_of}, game_key),
                   COUNT(DISTINCT channel_id) / SUM(COUNT(DISTINCT channel_id)) OVER (PARTITION BY {start_of}, game_key)
            FROM gold.{table} GROUP BY {start_of}, game_key, language ORDER BY {start_of}, game_key, language""")
    conn.execute("""
        INSERT INTO gold.channels (platform, channel_id, user_login, channel_name, language, first_seen_at, last_seen_at)
        SELECT 'twitch', channel_id, MAX(user_login), MAX(channel_name), MAX(main_language), MIN(bucket_start),
               MAX(bucket_start) + INTERVAL 1 DAY
        FROM gold.channel_buckets WHERE bucket = '1d' GROUP BY channel_id ORDER BY channel_id""")
    conn.execute("""
        INSERT INTO gold.channel_names (platform, channel_id, user_login, channel_name, first_seen_at, last_seen_at)
        SELECT platform, channel_id, user_login, channel_name, first_seen_at, last_seen_at FROM gold.channels
        UNION ALL
        SELECT platform, channel_id, 'old_' || user_login, 'Old_' || channel_name, first_seen_at - INTERVAL 90 DAY,
               first_seen_at - INTERVAL 1 DAY
        FROM gold.channels WHERE CAST(channel_id AS BIGINT) % 50 = 0 ORDER BY 2, 5""")
    counts = gold_rows(
        conn,
        ("channel_buckets", "channel_game_days", "channel_months", "channel_game_months", "game_languages", "channels",
         "channel_names"),
    )  # fmt: skip
    counts |= {
        f"channel_buckets {bucket}": conn.execute(
            "SELECT COUNT(*) FROM gold.channel_buckets WHERE bucket = ?", [bucket]
        ).fetchone()[0]
        for bucket in ("5m", "1h", "1d")
    }
    return counts


def seed_totals():
    """One closed Twitch poll: enough for the first build to create every gold table and view."""
    import pyarrow as pa

    from gamestream.core.lake import TOTALS_SCHEMA

    row = {name: None for name in TOTALS_SCHEMA.names}
    row.update(
        poll_date=END.date(),
        poll_id="twitch:seed:0",
        platform="twitch",
        game_key="game 0",
        game_name="Game 0",
        viewers=1,
        status="complete",
        coverage=1.0,
        scheduled_at=END,
        interval_seconds=300.0,
        source="twitch",
    )
    return pa.Table.from_pylist([row], schema=TOTALS_SCHEMA)


def twitch_poll(poll_id: str, at: datetime, values: list[tuple[float, int]]) -> PollUpdate:
    """A closed Twitch poll for the live state: games 0, 1, ... with these (value, viewers), each with
    its top 5 channels as the poll query sends them (ids, logins and names of Twitch's lengths)."""
    games = [
        {
            "key": f"game {g}",
            "name": f"Game {g}",
            "value": value,
            "viewers": viewers,
            "channels": 1,
            "players": 0,
            "top": json.dumps(
                [
                    {
                        "viewers": viewers // (c + 2),
                        "id": f"{123456789 + 100 * g + c}",
                        "login": f"streamer_{g}_{c}",
                        "name": f"Streamer_{g}_{c}",
                    }  # fmt: skip
                    for c in range(5)
                ]
            ),
        }
        for g, (value, viewers) in enumerate(values)
    ]
    return PollUpdate("twitch", poll_id, at.isoformat(), at.timestamp(), True, games)


def rest(games: int, days: int, channels: int, requests: int, reuse: bool) -> dict[str, str]:
    DATA.mkdir(parents=True, exist_ok=True)
    warehouse = DATA / "warehouse.duckdb"  # not gold.duckdb: the catalog would shadow the gold schema
    built = DATA / "warehouse.json"  # what the warehouse holds: its scale and the dbt project it was built by
    wanted = {
        "games": games,
        "days": days,
        "channels": channels,
        "project": project_digest(GoldProject.packaged().path),
    }
    if reuse and warehouse.exists() and built.exists() and json.loads(built.read_text()) == wanted:
        print(
            f"gold: reusing {warehouse} ({games:,} games, {channels:,} channels, {days} days, built by this dbt project)"
        )
    else:
        warehouse.unlink(missing_ok=True)
        built.unlink(missing_ok=True)
        started = time.perf_counter()
        build_gold(warehouse, games, days, channels)
        built.write_text(json.dumps(wanted))
        print(f"  built in {time.perf_counter() - started:.0f} s")
    redis_port = free_port()
    with redis_server(redis_port, DATA / "redis"):
        settings = Settings(
            _env_file=None,
            warehouse_url=f"duckdb:///{warehouse.resolve()}",
            api_port=free_port(),
            redis_url=f"redis://127.0.0.1:{redis_port}/0",
            # one client asks as fast as it can: the limiter runs on every request (its cost is
            # measured) but never refuses
            api_rate_per_second=1_000_000,
            api_rate_burst=1_000_000,
        )
        LiveWriter(settings.redis_url).apply(
            "bench", 0, [twitch_poll("p", END, [(1000 - g, 1000 - g) for g in range(200)])]
        )
        with gst_api(settings.env(), settings.api_port, ready="/readyz") as base:
            client = httpx.Client(base_url=base, timeout=30)
            rng = random.Random(7)

            def game() -> str:
                return f"game {min(games - 1, int(rng.paretovariate(1.2)) - 1)}"

            def channel() -> str:
                """A channel as people name it: mostly by login, else display name (any case) or id."""
                c = min(channels - 1, int(rng.paretovariate(0.8)) - 1)
                return rng.choice([f"streamer_{c}", f"streamer_{c}", f"STREAMER_{c}", f"{100000000 + c}"])

            last_month = (END - timedelta(days=1)).strftime("%Y-%m")

            mix = {
                "top now": lambda: ("/api/games/top", {"window": "now", "offset": rng.choice([0, 0, 20, 100])}),
                "top 24h": lambda: ("/api/games/top", {"window": "24h"}),
                "top 7d": lambda: ("/api/games/top", {"window": "7d"}),
                "top 30d": lambda: ("/api/games/top", {"window": "30d", "platform": rng.choice(["twitch", "steam"])}),
                "game": lambda: (f"/api/games/{game()}", {}),
                "series 24h (5m)": lambda: (f"/api/games/{game()}/series", {"platform": "twitch"}),
                "series 30d (1h)": lambda: (
                    f"/api/games/{game()}/series",
                    {"from": (END - timedelta(days=30)).isoformat(), "to": END.isoformat()},
                ),
                "players vs viewers 7d": lambda: (
                    f"/api/games/game {rng.randrange(min(1000, games))}/players-vs-viewers",
                    {"from": (END - timedelta(days=7)).isoformat(), "to": END.isoformat()},
                ),
                "search": lambda: ("/api/games/search", {"q": f"game {rng.randrange(games)}"}),
                "movers 24h": lambda: (
                    "/api/movers",
                    {"window": "24h", "direction": rng.choice(["risers", "fallers"])},
                ),
                "overview": lambda: ("/api/platforms/twitch/overview", {}),
                "game by slug": lambda: (f"/api/games/{game().replace(' ', '-')}", {}),
                "top range 7d (1d)": lambda: (
                    "/api/games/top",
                    {"from": (END - timedelta(days=7)).date().isoformat(), "to": END.date().isoformat()},
                ),
                "top range month": lambda: ("/api/games/top", {"from": "2026-10-01", "to": "2026-11-01"}),
                "movers range 48h (1h)": lambda: (
                    "/api/movers",
                    {"from": (END - timedelta(hours=48)).isoformat(), "to": END.isoformat()},
                ),
                "month table": lambda: (
                    f"/api/platforms/{rng.choice(['twitch', 'steam'])}/months/2026-11",
                    {"offset": rng.choice([0, 0, 50])},
                ),
                "platform months": lambda: ("/api/platforms/twitch/months", {}),
                "game months": lambda: (f"/api/games/{game()}/months", {}),
                "series 2 months (1mo)": lambda: (
                    f"/api/games/{game()}/series",
                    {"from": "2026-10-01", "to": "2026-12-01", "resolution": "1mo"},
                ),
                "channels month": lambda: (
                    f"/api/platforms/twitch/channels/{last_month}",
                    {"metric": rng.choice(list(ChannelMetric)).value, "offset": rng.choice([0, 0, 50])},
                ),
                "channels month language": lambda: (
                    f"/api/platforms/twitch/channels/{last_month}",
                    {"language": rng.choice(sorted(set(LANGUAGES)))},
                ),
                "channel": lambda: (f"/api/channels/twitch/{channel()}", {}),
                "channel series 24h (5m)": lambda: (f"/api/channels/twitch/{channel()}/series", {}),
                "channel series 30d (1h)": lambda: (
                    f"/api/channels/twitch/{channel()}/series",
                    {"from": (END - timedelta(days=30)).isoformat(), "to": END.isoformat()},
                ),
                "channel series months": lambda: (
                    f"/api/channels/twitch/{channel()}/series",
                    {"from": "2026-10-01", "to": "2026-12-01", "resolution": "1mo"},
                ),
                "game channels 30d": lambda: (
                    f"/api/games/{game()}/channels",
                    {"to": END.date().isoformat(), "offset": rng.choice([0, 0, 20])},
                ),
                "game languages 30d (1d)": lambda: (f"/api/games/{game()}/languages", {"to": END.date().isoformat()}),
                "game languages months": lambda: (
                    f"/api/games/{game()}/languages",
                    {"period": "1mo", "to": END.date().isoformat()},
                ),
            }
            first: dict[str, float] = {}
            for name, make in mix.items():  # warm up each query shape once (a range ranking's uncached answer)
                path, params = make()
                t = time.perf_counter()
                warm = client.get(path, params=params)
                first[name] = (time.perf_counter() - t) * 1000
                if warm.status_code != 200:
                    raise RuntimeError(f"{path}: {warm.status_code} {warm.text[:300]}")
            uncached = ("top range 7d (1d)", "top range month", "movers range 48h (1h)")
            print(
                "first request, uncached (range answers are kept until gold's next load): "
                + ", ".join(f"{name} {first[name]:.1f} ms" for name in uncached)
            )
            timings: dict[str, list[float]] = {name: [] for name in mix}
            for _ in range(requests):
                name = rng.choice(list(mix))
                path, params = mix[name]()
                t = time.perf_counter()
                response = client.get(path, params=params)
                timings[name].append((time.perf_counter() - t) * 1000)
                response.raise_for_status()
            every = [v for values in timings.values() for v in values]
            print(f"REST over HTTP, {len(every)} requests, one client (2 cores shared by client and server):")
            for name, values in timings.items():
                print(
                    f"  {name:24s} n={len(values):4d}  p50 {statistics.median(values):6.1f} ms  "
                    f"p95 {percentile(values, 0.95):6.1f} ms  max {max(values):6.1f} ms"
                )
            print(f"  all: p50 {statistics.median(every):.1f} ms, p95 {percentile(every, 0.95):.1f} ms")
            slowest = max(timings, key=lambda name: percentile(timings[name], 0.95))
            print(f"slowest endpoint by p95: {slowest} (target: every endpoint's p95 <= 25 ms)")
            of_channels = [name for name in timings if "channel" in name or "languages" in name]
            slowest_channels = max(of_channels, key=lambda name: percentile(timings[name], 0.95))
            print(f"slowest channel or language endpoint by p95: {slowest_channels}")
            return {
                "rest_p95_max_ms": f"{percentile(timings[slowest], 0.95):.1f}",
                "channels_p95_max_ms": f"{percentile(timings[slowest_channels], 0.95):.1f}",
            }


class FeedClient(asyncio.Protocol):
    """One live-feed client as a bare asyncio protocol over websockets' sans-I/O client: no task and
    no queue per connection, a message handled in the callback that read it. The bench's clients
    share one process with the publisher; with a task and a queue per connection (websockets'
    asyncio client) they spent ~40 us per message, so 5,000 receipts of one poll took ~200 ms of
    this process's time and the bench measured its own clients as much as the API.

    `on_message(data)` returns the changes a message held; `on_done()` is called once this client
    has `expected` of them, `on_failure(exc)` when anything goes wrong after its snapshot (an error
    handling a message, a connection closed under it): the run fails at once instead of waiting."""

    def __init__(self, url: str, expected: int, on_message: Any, on_done: Any, on_failure: Any) -> None:
        self.ws = ClientProtocol(parse_uri(url), origin=Origin("http://127.0.0.1:8000"), max_size=None)
        self.expected, self.received = expected, 0
        self.on_message, self.on_done, self.on_failure = on_message, on_done, on_failure
        self.opened: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self.transport: Any = None
        self.closing = False

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        self.ws.send_request(self.ws.connect())
        self.transport.write(b"".join(self.ws.data_to_send()))

    def data_received(self, data: bytes) -> None:
        self.ws.receive_data(data)
        for event in self.ws.events_received():
            if isinstance(event, Response):
                if self.ws.handshake_exc is not None:
                    self.opened.set_exception(self.ws.handshake_exc)
            elif isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                if not self.opened.done():
                    self.opened.set_result(event.data)  # the snapshot
                    continue
                try:
                    if not event.fin:  # the API sends every message in one frame
                        raise RuntimeError("a fragmented message: this bench client reads whole frames only")
                    before, self.received = self.received, self.received + self.on_message(event.data)
                except Exception as exc:  # any error here fails the run, loudly
                    self.on_failure(exc)
                    return
                if before < self.expected <= self.received:
                    self.on_done()
        if out := self.ws.data_to_send():  # pongs, close replies
            self.transport.write(b"".join(out))

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.opened.done():
            self.opened.set_exception(exc or ConnectionError("closed before its snapshot"))
        elif not self.closing:
            self.on_failure(exc or ConnectionError(f"a client's connection closed after {self.received} changes"))

    def close(self) -> None:
        self.closing = True
        if self.transport is not None and not self.transport.is_closing():
            self.ws.send_close()
            self.transport.write(b"".join(self.ws.data_to_send()))
            self.transport.close()


async def fan_out(clients: int, polls: int, every: float, channels: bool) -> dict[str, str]:
    redis_port = free_port()
    with redis_server(redis_port, DATA / "redis-ws"):
        settings = Settings(
            _env_file=None,
            redis_url=f"redis://127.0.0.1:{redis_port}/0",
            api_port=free_port(),
            warehouse_url=f"duckdb:///{(DATA / 'none.duckdb').resolve()}",
            api_ws_max_clients=clients + 10,
            api_ws_max_per_address=clients + 10,  # every client comes from 127.0.0.1
        )
        writer = LiveWriter(settings.redis_url)
        try:
            with gst_api(settings.env(), settings.api_port):
                path = f"/ws/live?platforms=twitch&limit=10&channels={str(channels).lower()}"
                loop = asyncio.get_running_loop()
                published: dict[int, float] = {}
                latencies: list[float] = []
                by_poll: dict[int, list[float]] = {}
                expected = polls * 5
                finished = loop.create_future()
                done: list[float] = []  # when each client had every change

                def on_message(data: bytes) -> int:
                    at = time.time()
                    message = json.loads(data)
                    if message["type"] != "changes":
                        return 0
                    for change in message["changes"]:
                        batch = int(change["id"].split("-")[0]) - 1
                        latencies.append((at - published[batch]) * 1000)
                        by_poll.setdefault(batch, []).append(latencies[-1])
                    return len(message["changes"])

                def on_done() -> None:
                    done.append(time.monotonic())
                    if len(done) == clients and not finished.done():
                        finished.set_result(None)

                def on_failure(exc: BaseException) -> None:
                    if not finished.done():
                        finished.set_exception(exc)

                host, port = "127.0.0.1", settings.api_port
                sockets: list[FeedClient] = []
                for _ in range(clients):
                    _, client = await loop.create_connection(
                        lambda: FeedClient(f"ws://{host}:{port}{path}", expected, on_message, on_done, on_failure),
                        host,
                        port,
                    )
                    await asyncio.wait_for(client.opened, timeout=10)  # the snapshot
                    sockets.append(client)
                # the clients' objects (thousands of connections) stay out of the collector's full passes,
                # which otherwise pause this process, and so every client's receipt, for hundreds of ms
                gc.freeze()
                [api] = [pid for pid in children(os.getpid()) if b"gamestream\x00api" in command_line(pid)]
                api_cpu, client_cpu, started = cpu_seconds(api, with_reaped=True), time.process_time(), time.monotonic()
                for batch in range(1, polls + 1):
                    t = END + timedelta(minutes=batch)
                    poll = twitch_poll(f"p{batch}", t, [(1000 + batch * g, 1000) for g in range(4)])
                    published[batch] = time.time()
                    await asyncio.to_thread(writer.apply, "bench", batch, [poll])
                    await asyncio.sleep(every)
                try:
                    await asyncio.wait_for(asyncio.shield(finished), timeout=120)
                except TimeoutError:
                    print(f"  TIMED OUT: {len(done)} of {clients} clients got all {expected} changes within 120 s")
                received = sum(client.received for client in sockets)
                seconds = (done[-1] if len(done) == clients else time.monotonic()) - started
                api_cores = (cpu_seconds(api, with_reaped=True) - api_cpu) / seconds
                client_cores = (time.process_time() - client_cpu) / seconds
                print(
                    f"WebSocket fan-out: {clients} clients{' with top channels' if channels else ''}, "
                    f"{polls} polls x 5 changes every {every:g} s, "
                    f"{received:,} changes received (expected {clients * expected:,})"
                )
                print(
                    f"  publish -> receipt: p50 {statistics.median(latencies):.1f} ms, p95 {percentile(latencies, 0.95):.1f} ms, "
                    f"max {max(latencies):.1f} ms (target p95 <= 250 ms)"
                )
                print(
                    "  p95 per poll, in publishing order (ms): "
                    + " ".join(f"{percentile(by_poll[batch], 0.95):.0f}" for batch in sorted(by_poll))
                )
                print(
                    f"  CPU while the polls were published and received ({seconds:.1f} s): the API process "
                    f"{api_cores:.2f} cores, this bench's clients {client_cores:.2f} cores (of 2)"
                )
                for client in sockets:
                    client.close()
                return {
                    "ws_p95_ms": f"{percentile(latencies, 0.95):.1f}",
                    "ws_api_cores": f"{api_cores:.2f}",
                    "ws_client_cores": f"{client_cores:.2f}",
                    "ws_received_share": f"{received / (clients * expected):.4f}",
                }
        finally:
            writer.close()


def command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


CROWD_SECONDS = 15.0
POLITE = [f"127.0.0.{n}" for n in range(2, 7)]  # loopback addresses: the API sees each as a client of its own
FLOODER = "127.0.0.9"


def flood(base: str, seconds: float, results: Any, ready: Any) -> None:
    """The flooder (a process of its own): 32 connections from FLOODER asking as fast as answers come
    for `seconds` from when it sets `ready`; puts the status codes it got on `results`."""

    async def run() -> list[int]:
        statuses: list[int] = []
        transport = httpx.AsyncHTTPTransport(local_address=FLOODER, limits=httpx.Limits(max_connections=32))
        async with httpx.AsyncClient(base_url=base, transport=transport, timeout=30) as client:
            ready.set()
            stop = time.monotonic() + seconds

            async def one() -> None:
                while time.monotonic() < stop:
                    statuses.append((await client.get("/api/games/top", params={"window": "24h"})).status_code)

            await asyncio.gather(*(one() for _ in range(32)))
        return statuses

    results.put(asyncio.run(run()))


async def crowd(games: int, days: int) -> dict[str, str]:
    """Five polite clients (4 requests/s each, each from its own address) alone, then beside one that
    floods REST from 32 connections at once (in another process) and opens 3x the per-address cap of
    live connections; the API runs with its default limits. The polite clients' p95 should hold."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    warehouse = DATA / "crowd.duckdb"
    warehouse.unlink(missing_ok=True)
    build_gold(warehouse, games, days, channels=5000)
    redis_port = free_port()
    with redis_server(redis_port, DATA / "redis-crowd"):
        settings = Settings(
            _env_file=None,
            warehouse_url=f"duckdb:///{warehouse.resolve()}",
            api_port=free_port(),
            redis_url=f"redis://127.0.0.1:{redis_port}/0",
        )
        LiveWriter(settings.redis_url).apply("bench", 0, [twitch_poll("p", END, [(1000 - g, 1000) for g in range(50)])])
        with gst_api(settings.env(), settings.api_port, ready="/readyz") as base:
            paths = [
                "/api/games/top",
                "/api/platforms/twitch/overview",
                "/api/games/game 3",
                "/api/games/game 7/months",
            ]

            [api] = [pid for pid in children(os.getpid()) if b"gamestream\x00api" in command_line(pid)]

            async def polite(number: int, stop: float, out: list[tuple[str, float, int]]) -> None:
                """The `number`th client: its own address, its own place in the mix and its own moment
                in each quarter second (people do not click in step)."""
                transport = httpx.AsyncHTTPTransport(local_address=POLITE[number])
                async with httpx.AsyncClient(base_url=base, transport=transport, timeout=30) as client:
                    await asyncio.sleep(0.25 * number / len(POLITE))
                    n = number
                    while time.monotonic() < stop:
                        path = paths[n % len(paths)]
                        started = time.perf_counter()
                        answer = await client.get(path)
                        out.append((path, (time.perf_counter() - started) * 1000, answer.status_code))
                        n += 1
                        await asyncio.sleep(0.25)

            async def sockets(opened: list[str]) -> list[object]:
                held = []
                url = base.replace("http://", "ws://") + "/ws/live?platforms=twitch&limit=5"
                for _ in range(3 * settings.api_ws_max_per_address):
                    ws = await connect(url, origin=base, local_addr=(FLOODER, 0), ping_interval=None)
                    try:
                        await ws.recv()
                        await asyncio.wait_for(ws.recv(), timeout=0.2)  # a refused one is closed at once
                        opened.append("open")
                    except TimeoutError:
                        opened.append("open")
                    except ConnectionClosed as closed:
                        opened.append(f"closed {closed.rcvd.code if closed.rcvd else '?'}")
                    held.append(ws)
                return held

            async def phase(with_flood: bool) -> tuple[list[tuple[str, float, int]], list[int], list[str]]:
                seen: list[tuple[str, float, int]] = []
                opened: list[str] = []
                held: list[object] = []
                flooder = None
                if with_flood:  # in a process of its own, so the polite clients' timings are not its
                    held = await sockets(opened)
                    spawn = multiprocessing.get_context("spawn")
                    results, ready = spawn.Queue(), spawn.Event()
                    flooder = spawn.Process(target=flood, args=(base, CROWD_SECONDS, results, ready), daemon=True)
                    flooder.start()
                    await asyncio.to_thread(ready.wait, 60)  # its interpreter's start is not the flood
                stop = time.monotonic() + CROWD_SECONDS
                api_cpu = cpu_seconds(api, False)
                flood_cpu = cpu_seconds(flooder.pid, False) if flooder and flooder.pid else 0.0
                started = time.monotonic()
                await asyncio.gather(*(polite(number, stop, seen) for number in range(len(POLITE))))
                elapsed = time.monotonic() - started
                api_cores = (cpu_seconds(api, False) - api_cpu) / elapsed
                flood_cores = (cpu_seconds(flooder.pid, False) - flood_cpu) / elapsed if flooder and flooder.pid else 0
                statuses: list[int] = []
                if flooder is not None:
                    statuses = await asyncio.to_thread(results.get, True, 60)
                    flooder.join(timeout=10)
                print(
                    f"  {'beside the flood' if with_flood else 'alone'}: the API used {api_cores:.2f} cores"
                    + (f", the flooder's process {flood_cores:.2f}" if with_flood else "")
                    + "; polite p95 by path: "
                    + ", ".join(
                        f"{path} {percentile([ms for p, ms, _ in seen if p == path], 0.95):.1f} ms" for path in paths
                    )
                )
                for ws in held:
                    await ws.close()  # type: ignore[attr-defined]
                return seen, statuses, opened

            async with httpx.AsyncClient(base_url=base, timeout=30) as warm:  # each answer's first build
                for path in paths:
                    (await warm.get(path)).raise_for_status()
            alone, _, _ = await phase(False)
            flooded, statuses, opened = await phase(True)
            p95_alone = percentile([ms for _, ms, _ in alone], 0.95)
            p95_flooded = percentile([ms for _, ms, _ in flooded], 0.95)
            refused = sum(1 for s in statuses if s == 429)
            print(
                f"crowd: {len(POLITE)} polite clients at 4 requests/s each, {CROWD_SECONDS:g} s alone, then beside a flood"
            )
            print(
                f"  polite alone:   {len(alone)} requests, p95 {p95_alone:.1f} ms, non-200: {sum(s != 200 for _, _, s in alone)}"
            )
            print(
                f"  polite flooded: {len(flooded)} requests, p95 {p95_flooded:.1f} ms, "
                f"non-200: {sum(s != 200 for _, _, s in flooded)} (target: p95 <= 25 ms)"
            )
            print(
                f"  flooder: {len(statuses)} requests, {refused} refused with 429 ({refused / max(1, len(statuses)):.1%}); "
                f"live connections: {opened.count('open')} open, {len(opened) - opened.count('open')} refused "
                f"({sorted(set(o for o in opened if o != 'open'))})"
            )
            return {
                "crowd_polite_p95_alone_ms": f"{p95_alone:.1f}",
                "crowd_polite_p95_flooded_ms": f"{p95_flooded:.1f}",
                "crowd_polite_non_200": str(sum(s != 200 for _, _, s in alone + flooded)),
                "crowd_flood_refused_share": f"{refused / max(1, len(statuses)):.3f}",
                "crowd_ws_open": str(opened.count("open")),
            }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--part", choices=["rest", "ws", "crowd", "all"], default="all")
    parser.add_argument("--games", type=int, default=5000)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--channel-count", type=int, default=100_000, help="rest: Twitch channels in gold")
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument(
        "--reuse", action="store_true", help="keep the gold an earlier run built at this scale with this dbt project"
    )
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument(
        "--channels", action="store_true", help="ws: the clients ask for each game's top channels (larger messages)"
    )
    parser.add_argument("--polls", type=int, default=30)
    parser.add_argument("--every", type=float, default=0.5)
    args = parser.parse_args()
    if not args.reuse:  # --reuse keeps DATA: its warehouse is checked against warehouse.json in rest()
        shutil.rmtree(DATA, ignore_errors=True)
    DATA.mkdir(parents=True, exist_ok=True)
    headline: dict[str, str] = {}
    if args.part in ("rest", "all"):
        headline |= rest(args.games, args.days, args.channel_count, args.requests, args.reuse)
    if args.part in ("ws", "all"):
        headline |= asyncio.run(fan_out(args.clients, args.polls, args.every, args.channels))
    if args.part in ("crowd", "all"):
        headline |= asyncio.run(crowd(min(args.games, 500), min(args.days, 3)))
    print(" ".join(f"{name}={value}" for name, value in headline.items()))


if __name__ == "__main__":
    main()
