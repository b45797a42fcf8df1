"""The API's SQL over gold, one module per kind of read (vocabulary: the names it may use).

Table and column names come only from the enums in `vocabulary` (never from a request); every value is a
bound `:name` parameter (SQLAlchemy binds them for each driver). The same text runs on DuckDB,
PostgreSQL and Redshift. Read shapes that need no request values live in the dbt project:
gold.game_windows (the ranking windows), gold.game_latest_hours (each game's newest hour) and
gold.players_vs_viewers. Windows end at the platform's latest loaded bucket, so history and the demo
read alike. A game's own buckets are read from gold.game_series on
DuckDB (game_buckets' rows clustered by game, which its zone maps prune) and from gold.game_buckets
elsewhere (by its game_key index on PostgreSQL, its sort keys on Redshift).
"""
