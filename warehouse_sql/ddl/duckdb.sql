-- Gold schema on DuckDB (the embedded default). Same tables as postgresql.sql and redshift.sql.
CREATE SCHEMA IF NOT EXISTS gold;

CREATE TABLE IF NOT EXISTS gold.poll_totals (
    platform TEXT NOT NULL, source TEXT, game_key TEXT NOT NULL, game_name TEXT, poll_id TEXT NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL, interval_seconds DOUBLE NOT NULL, viewers BIGINT, channels BIGINT,
    players BIGINT, mature_channels BIGINT, coverage DOUBLE, status TEXT NOT NULL, top_channel TEXT,
    top_channel_viewers BIGINT, views BIGINT,
    PRIMARY KEY (platform, poll_id, game_key)
);

CREATE TABLE IF NOT EXISTS gold.game_buckets (
    platform TEXT NOT NULL, bucket TEXT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, game_key TEXT NOT NULL,
    game_name TEXT, is_game BOOLEAN NOT NULL, avg_viewers DOUBLE, peak_viewers BIGINT, hours_watched DOUBLE,
    avg_channels DOUBLE, peak_channels BIGINT, avg_viewer_ratio DOUBLE, avg_players DOUBLE, peak_players BIGINT,
    mature_share DOUBLE, top_channel TEXT, top_channel_viewers BIGINT, views BIGINT, samples BIGINT NOT NULL,
    coverage DOUBLE NOT NULL, is_partial BOOLEAN NOT NULL, rank BIGINT, growth DOUBLE, change DOUBLE,
    change_4h DOUBLE, views_change BIGINT,
    PRIMARY KEY (platform, bucket, bucket_start, game_key)
);

CREATE TABLE IF NOT EXISTS gold.platform_buckets (
    platform TEXT NOT NULL, bucket TEXT NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, avg_total DOUBLE,
    peak_total BIGINT, hours_watched DOUBLE, games BIGINT, samples BIGINT NOT NULL, coverage DOUBLE NOT NULL,
    is_partial BOOLEAN NOT NULL,
    PRIMARY KEY (platform, bucket, bucket_start)
);

CREATE TABLE IF NOT EXISTS gold.games (
    game_key TEXT NOT NULL, name TEXT, steam_app_id BIGINT, is_game BOOLEAN NOT NULL,
    first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ,
    PRIMARY KEY (game_key)
);

CREATE TABLE IF NOT EXISTS gold.game_reviews (
    app_id BIGINT NOT NULL, review_score BIGINT, review_score_desc TEXT, total_positive BIGINT,
    total_negative BIGINT, total_reviews BIGINT, positive_ratio DOUBLE, observed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_id)
);

CREATE TABLE IF NOT EXISTS gold.load_state (
    source_table TEXT NOT NULL, delta_version BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_table)
);
