-- Gold schema on PostgreSQL (CI, docker-compose). Same tables as duckdb.sql, plus indexes for the API.
CREATE SCHEMA IF NOT EXISTS gold;

CREATE TABLE IF NOT EXISTS gold.poll_totals (
    platform TEXT NOT NULL, source TEXT, game_key TEXT NOT NULL, game_name TEXT, poll_id TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL, interval_seconds DOUBLE PRECISION NOT NULL, viewers BIGINT, channels BIGINT,
    players BIGINT, mature_channels BIGINT, coverage DOUBLE PRECISION, status TEXT NOT NULL,
    PRIMARY KEY (platform, poll_id, game_key)
);

CREATE TABLE IF NOT EXISTS gold.game_buckets (
    platform TEXT NOT NULL, bucket TEXT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, game_key TEXT NOT NULL,
    game_name TEXT, avg_viewers DOUBLE PRECISION, peak_viewers BIGINT, hours_watched DOUBLE PRECISION, avg_channels DOUBLE PRECISION,
    peak_channels BIGINT, avg_viewer_ratio DOUBLE PRECISION, avg_players DOUBLE PRECISION, peak_players BIGINT, mature_share DOUBLE PRECISION,
    samples BIGINT NOT NULL, coverage DOUBLE PRECISION NOT NULL, is_partial BOOLEAN NOT NULL, rank BIGINT, growth DOUBLE PRECISION,
    PRIMARY KEY (platform, bucket, bucket_start, game_key)
);

CREATE TABLE IF NOT EXISTS gold.platform_buckets (
    platform TEXT NOT NULL, bucket TEXT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, avg_total DOUBLE PRECISION,
    peak_total BIGINT, hours_watched DOUBLE PRECISION, games BIGINT, samples BIGINT NOT NULL, coverage DOUBLE PRECISION NOT NULL,
    is_partial BOOLEAN NOT NULL, PRIMARY KEY (platform, bucket, bucket_start)
);

CREATE TABLE IF NOT EXISTS gold.load_state (
    source_table TEXT PRIMARY KEY, delta_version BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX IF NOT EXISTS game_buckets_by_game ON gold.game_buckets (game_key, bucket, bucket_start);
CREATE INDEX IF NOT EXISTS poll_totals_by_time ON gold.poll_totals (platform, scheduled_at);
