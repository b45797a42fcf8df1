"""Bronze and silver transformations as plain DataFrame functions, shared by both streaming
queries, the backfill and the AWS Glue job. They use only APIs that Spark 3.5 also has (Glue 5.0
runs Spark 3.5): no Arrow conversions, no Python data sources, no Spark-4-only functions.

    from streaming_jobs.transforms.bronze import bronze_frame, bronze_of, stamp
    from streaming_jobs.transforms.parse import mark_late, parse_records, quarantine_frame
    from streaming_jobs.transforms.polls import poll_inputs
    from streaming_jobs.transforms.silver import repeated_event_ids, silver_frames

    bronze = bronze_frame(raw, batch_id, ingested_at, run_id)
    parsed = mark_late(parse_records(bronze), dedup_seconds)  # typed columns, quarantine reason, late
    quarantine = quarantine_frame(parsed)
    repeated = [r.event_id for r in repeated_event_ids(parsed).collect()]  # nearly always none
    silver = silver_frames(parsed, game_keys, repeated)  # {table: DataFrame}, one row per event id
    written = stamp(silver["player_counts"], batch_id, ingested_at, run_id)  # a batch's own ingest values
    inputs = poll_inputs(parsed)                        # what the poll state function counts (`counted`)
"""
