-- Gold schema on Amazon Redshift: the same tables, distributed by game and sorted by time (Redshift
-- has no indexes; primary keys are informational, the loads keep them unique).
CREATE SCHEMA IF NOT EXISTS gold;

CREATE TABLE IF NOT EXISTS gold.poll_totals (
    platform VARCHAR(1024) NOT NULL, source VARCHAR(1024), game_key VARCHAR(1024) NOT NULL, game_name VARCHAR(1024), poll_id VARCHAR(1024) NOT NULL,
    scheduled_at TIMESTAMPTZ NOT NULL, interval_seconds DOUBLE PRECISION NOT NULL, viewers BIGINT, channels BIGINT,
    players BIGINT, mature_channels BIGINT, coverage DOUBLE PRECISION, status VARCHAR(1024) NOT NULL, top_channel VARCHAR(1024),
    top_channel_viewers BIGINT, views BIGINT,
    PRIMARY KEY (platform, poll_id, game_key)
) DISTKEY (game_key) SORTKEY (platform, scheduled_at);

CREATE TABLE IF NOT EXISTS gold.game_buckets (
    platform VARCHAR(1024) NOT NULL, bucket VARCHAR(1024) NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, game_key VARCHAR(1024) NOT NULL,
    game_name VARCHAR(1024), is_game BOOLEAN NOT NULL, avg_viewers DOUBLE PRECISION, peak_viewers BIGINT, hours_watched DOUBLE PRECISION,
    avg_channels DOUBLE PRECISION, peak_channels BIGINT, avg_viewer_ratio DOUBLE PRECISION, avg_players DOUBLE PRECISION, peak_players BIGINT,
    mature_share DOUBLE PRECISION, top_channel VARCHAR(1024), top_channel_viewers BIGINT, views BIGINT, samples BIGINT NOT NULL,
    coverage DOUBLE PRECISION NOT NULL, is_partial BOOLEAN NOT NULL, rank BIGINT, growth DOUBLE PRECISION, change DOUBLE PRECISION,
    change_4h DOUBLE PRECISION, views_change BIGINT,
    PRIMARY KEY (platform, bucket, bucket_start, game_key)
) DISTKEY (game_key) SORTKEY (bucket, bucket_start, platform);

CREATE TABLE IF NOT EXISTS gold.platform_buckets (
    platform VARCHAR(1024) NOT NULL, bucket VARCHAR(1024) NOT NULL, bucket_start TIMESTAMPTZ NOT NULL, avg_total DOUBLE PRECISION,
    peak_total BIGINT, hours_watched DOUBLE PRECISION, games BIGINT, samples BIGINT NOT NULL, coverage DOUBLE PRECISION NOT NULL,
    is_partial BOOLEAN NOT NULL,
    PRIMARY KEY (platform, bucket, bucket_start)
) DISTSTYLE ALL SORTKEY (bucket, bucket_start);

CREATE TABLE IF NOT EXISTS gold.games (
    game_key VARCHAR(1024) NOT NULL, name VARCHAR(1024), steam_app_id BIGINT, is_game BOOLEAN NOT NULL,
    first_seen_at TIMESTAMPTZ, last_seen_at TIMESTAMPTZ,
    PRIMARY KEY (game_key)
) DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS gold.game_reviews (
    app_id BIGINT NOT NULL, review_score BIGINT, review_score_desc VARCHAR(1024), total_positive BIGINT,
    total_negative BIGINT, total_reviews BIGINT, positive_ratio DOUBLE PRECISION, observed_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (app_id)
) DISTSTYLE ALL;

CREATE TABLE IF NOT EXISTS gold.load_state (
    source_table VARCHAR(1024) NOT NULL, delta_version BIGINT NOT NULL, loaded_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (source_table)
) DISTSTYLE ALL;
