"""Channel gold (docs/warehouse.md, Channels) on DuckDB and PostgreSQL, checked against an independent
pandas computation of the definitions, loaded in three steps: one of them lands a closed poll's
streams a load after its totals, as the lake query can."""

from datetime import timedelta

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from batch_jobs.gold.loads import run_gold
from gamestream.core.lake import Lake
from gamestream.core.settings import Settings
from gamestream.core.warehouse import Warehouse
from tests.batch_jobs.test_gold import weighed_polls
from tests.support.silver import MONTH_END, built_models, channel_polls


def snapshots_with_weights(streams: pa.Table, videos: pa.Table, totals: pa.Table) -> pd.DataFrame:
    """Every snapshot with its poll's weight (the gap to the platform's next poll, at most its interval)."""
    twitch = streams.to_pandas()
    youtube = videos.to_pandas().rename(
        columns={
            "video_id": "stream_id",
            "channel_title": "channel_name",
            "concurrent_viewers": "viewer_count",
            "actual_start_time": "started_at",
        }
    )
    youtube["platform"], youtube["language"], youtube["user_login"] = "youtube", None, None
    frame = pd.concat([twitch, youtube], ignore_index=True)
    weights = pd.concat(
        [weighed_polls(part).assign(platform=platform) for platform, part in totals.to_pandas().groupby("platform")]
    )
    merged = frame.merge(weights[["platform", "poll_id", "weight", "scheduled_at"]], on=["platform", "poll_id"])
    merged["day"] = merged.scheduled_at.dt.floor("D")
    merged["month"] = merged.scheduled_at.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.tz_localize("UTC")
    return merged


def main_of(rows: pd.DataFrame, column: str) -> object:
    """The value of `column` holding most viewer-seconds (ties: the first by name; nulls count for none)."""
    known = rows[rows[column].notna()]
    if known.empty:
        return None
    seconds = (known.viewer_count * known.weight).groupby(known[column]).sum()
    return sorted(seconds.items(), key=lambda item: (-item[1], item[0]))[0][0]


def expected_days(snapshots: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (platform, day, channel), rows in snapshots.groupby(["platform", "day", "channel_id"]):
        per_poll = rows.groupby("poll_id").agg(viewers=("viewer_count", "sum"), weight=("weight", "max"))
        live, watched = per_poll.weight.sum(), (per_poll.viewers * per_poll.weight).sum()
        started = rows[rows.started_at.isna() | (rows.started_at >= day)]
        out.append(
            {
                "platform": platform,
                "day": day,
                "channel_id": channel,
                "hours_streamed": live / 3600,
                "hours_watched": watched / 3600,
                "avg_viewers": watched / live,
                "peak_viewers": per_poll.viewers.max(),
                "streams": rows.stream_id.nunique(),
                "streams_started": started.stream_id.nunique(),
                "games": rows.game_key.nunique(),
                "main_game_key": main_of(rows, "game_key"),
                "main_language": main_of(rows, "language"),
            }
        )
    frame = pd.DataFrame(out)
    frame["rank"] = frame.groupby(["platform", "day"]).hours_watched.rank(method="min", ascending=False).astype(int)
    return frame.sort_values(["platform", "day", "channel_id"]).reset_index(drop=True)


def expected_game_days(snapshots: pd.DataFrame) -> pd.DataFrame:
    out = []
    for (platform, day, channel, game), rows in snapshots.groupby(["platform", "day", "channel_id", "game_key"]):
        per_poll = rows.groupby("poll_id").agg(viewers=("viewer_count", "sum"), weight=("weight", "max"))
        out.append(
            {
                "platform": platform,
                "day": day,
                "month": rows.month.iloc[0],
                "channel_id": channel,
                "game_key": game,
                "hours_streamed": per_poll.weight.sum() / 3600,
                "hours_watched": (per_poll.viewers * per_poll.weight).sum() / 3600,
                "language": main_of(rows, "language"),
            }
        )
    return pd.DataFrame(out).sort_values(["platform", "day", "channel_id", "game_key"]).reset_index(drop=True)


def expected_months(snapshots: pd.DataFrame) -> pd.DataFrame:
    days = expected_days(snapshots)
    days["month"] = days.day.dt.tz_localize(None).dt.to_period("M").dt.start_time.dt.tz_localize("UTC")
    first_day = days.groupby(["platform", "month", "channel_id"]).day.transform("min")
    days["new_streams"] = days.streams.where(days.day == first_day, days.streams_started)
    months = days.groupby(["platform", "month", "channel_id"]).agg(
        hours_streamed=("hours_streamed", "sum"),
        hours_watched=("hours_watched", "sum"),
        peak_viewers=("peak_viewers", "max"),
        streams=("new_streams", "sum"),
    )
    months["avg_viewers"] = months.hours_watched / months.hours_streamed
    months["games"] = snapshots.groupby(["platform", "month", "channel_id"]).game_key.nunique()
    months = months.reset_index()
    months["rank"] = months.groupby(["platform", "month"]).hours_watched.rank(method="min", ascending=False).astype(int)
    return months.sort_values(["platform", "month", "channel_id"]).reset_index(drop=True)


def expected_languages(snapshots: pd.DataFrame, period: str) -> pd.DataFrame:
    days = expected_game_days(snapshots)
    days["language"] = days.language.fillna("unknown")
    days["start"] = days.day if period == "1d" else days.month
    by_language = days.groupby(["platform", "start", "game_key", "language"]).agg(
        hours_watched=("hours_watched", "sum"), channels=("channel_id", "nunique")
    )
    by_game = days.groupby(["platform", "start", "game_key"]).agg(
        game_hours=("hours_watched", "sum"), game_channels=("channel_id", "nunique")
    )
    frame = by_language.join(by_game).reset_index()
    frame["share_hours_watched"] = frame.hours_watched / frame.game_hours
    frame["share_channels"] = frame.channels / frame.game_channels
    return (
        frame.drop(columns=["game_hours", "game_channels"])
        .sort_values(["platform", "start", "game_key", "language"])
        .reset_index(drop=True)
    )


def read(settings: Settings, sql: str, columns: list[str]) -> pd.DataFrame:
    warehouse = Warehouse(settings.warehouse)
    try:
        frame = pd.DataFrame(warehouse.execute(sql), columns=columns)
    finally:
        warehouse.close()
    for column in columns:
        if frame[column].map(lambda v: hasattr(v, "tzinfo")).any():
            frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def assert_same(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert len(got) == len(want) > 0
    for column in want.columns:
        if pd.api.types.is_float_dtype(want[column]):
            pd.testing.assert_series_equal(got[column].astype(float), want[column], check_names=False, rtol=1e-9)
        else:
            assert got[column].tolist() == want[column].tolist(), column


def test_channel_gold_matches_an_independent_computation_loaded_incrementally(warehouse_settings):
    lake = Lake(warehouse_settings.lake_path)
    first = channel_polls(range(0, 40))
    late_streams, late_videos, second_totals = channel_polls(range(40, 70), skip={52})
    landed_late = pc.greater_equal(late_streams["observed_at"], pa.scalar(MONTH_END + timedelta(minutes=55)))
    streams_now = late_streams.filter(pc.invert(landed_late))
    for batch, (streams, videos, totals) in enumerate([first, (streams_now, late_videos, second_totals)]):
        lake.append("silver/stream_snapshots", streams, batch, ["poll_date"])
        lake.append("silver/video_snapshots", videos, batch, ["poll_date"])
        lake.append("silver/game_poll_totals", totals, batch, ["poll_date"])
        run_gold(warehouse_settings)
        assert "channel_buckets" in built_models(warehouse_settings)
    # the lake query lands the rest of the closed polls' streams a load later
    rest = late_streams.filter(landed_late)
    assert 0 < rest.num_rows < late_streams.num_rows
    lake.append("silver/stream_snapshots", rest, 2, ["poll_date"])
    run_gold(warehouse_settings)

    snapshots = snapshots_with_weights(
        pa.concat_tables([first[0], late_streams]),
        pa.concat_tables([first[1], late_videos]),
        pa.concat_tables([first[2], second_totals]),
    )
    days = expected_days(snapshots)
    got = read(
        warehouse_settings,
        "SELECT platform, bucket_start, channel_id, hours_streamed, hours_watched, avg_viewers, peak_viewers, streams,"
        " streams_started, games, main_game_key, main_language, rank FROM gold.channel_buckets WHERE bucket = '1d'"
        " ORDER BY platform, bucket_start, channel_id",
        ["platform", "day", *days.columns[2:]],
    )
    assert_same(got, days)

    game_days = expected_game_days(snapshots).drop(columns=["month"])
    got = read(
        warehouse_settings,
        "SELECT platform, day_start, channel_id, game_key, hours_streamed, hours_watched, language"
        " FROM gold.channel_game_days ORDER BY platform, day_start, channel_id, game_key",
        list(game_days.columns),
    )
    assert_same(got, game_days)

    months = expected_months(snapshots)
    got = read(
        warehouse_settings,
        "SELECT platform, month_start, channel_id, hours_streamed, hours_watched, peak_viewers, streams, avg_viewers,"
        " games, rank FROM gold.channel_months ORDER BY platform, month_start, channel_id",
        list(months.columns),
    )
    assert_same(got, months)

    for period in ("1d", "1mo"):
        languages = expected_languages(snapshots, period)
        got = read(
            warehouse_settings,
            "SELECT platform, period_start, game_key, language, hours_watched, channels, share_hours_watched,"
            f" share_channels FROM gold.game_languages WHERE period = '{period}'"
            " ORDER BY platform, period_start, game_key, language",
            list(languages.columns),
        )
        assert_same(got, languages)

    names = read(
        warehouse_settings,
        "SELECT channel_id, user_login, channel_name FROM gold.channel_names WHERE platform = 'twitch'"
        " ORDER BY channel_id, first_seen_at",
        ["channel_id", "user_login", "channel_name"],
    )
    assert names[names.channel_id == "101"].user_login.tolist() == ["bigone", "bigone_tv"]  # renamed at minute 45
    channels = read(
        warehouse_settings,
        "SELECT channel_id, user_login, channel_name, language FROM gold.channels ORDER BY platform, channel_id",
        ["channel_id", "user_login", "channel_name", "language"],
    )
    assert channels.values.tolist() == [
        ["101", "bigone_tv", "BigOneTV", "en"],
        ["202", "mittel", "Mittel", "de"],
        ["303", "tail", "tail", "ko"],
        ["404", "polyglot", "Polyglot", "es"],
        ["UCtwo", None, "Two At Once", None],
    ]
