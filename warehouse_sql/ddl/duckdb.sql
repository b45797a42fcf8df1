-- Gold schema on DuckDB (the embedded default). Same tables as postgresql.sql.
CREATE SCHEMA IF NOT EXISTS gold;

CREATE TABLE IF NOT EXISTS gold.poll_totals (
    platform TEXT NOT NULL, source TEXT, game_key TEXT NOT NULL, game_name TEXT, poll_id TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL, interval_seconds DOUBLE NOT NULL, viewers BIGINT, channels BIGINT,
    players BIGINT, mature_channels BIGINT, coverage DOUBLE, status TEXT NOT NULL,
    PRIMARY KEY (platform, poll_id, game_key)
);

CREATE TABLE IF NOT EXISTS gold.game_buckets (
    platform TEXT NOT NULL, bucket TEXT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, game_key TEXT NOT NULL,
    game_name TEXT, avg_viewers DOUBLE, peak_viewers BIGINT, hours_watched DOUBLE, avg_channels DOUBLE,
    peak_channels BIGINT, avg_viewer_ratio DOUBLE, avg_players DOUBLE, peak_players BIGINT, mature_share DOUBLE,
    samples BIGINT NOT NULL, coverage DOUBLE NOT NULL, is_partial BOOLEAN NOT NULL, rank BIGINT, growth DOUBLE,
    PRIMARY KEY (platform, bucket, bucket_start, game_key)
);

CREATE TABLE IF NOT EXISTS gold.platform_buckets (
    platform TEXT NOT NULL, bucket TEXT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, avg_total DOUBLE,
    peak_total BIGINT, hours_watched DOUBLE, games BIGINT, samples BIGINT NOT NULL, coverage DOUBLE NOT NULL,
    is_partial BOOLEAN NOT NULL, PRIMARY KEY (platform, bucket, bucket_start)
);

CREATE TABLE IF NOT EXISTS gold.load_state (
    source_table TEXT PRIMARY KEY, delta_version BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);
