import json

import pytest

from gamestream.core.aws import aws_client, ensure_stream
from tests.support.kinesis import put


def read_batches(spark, settings, checkpoint, mode="driver", max_records=1000, **options):
    batches = []
    reader = (
        spark.readStream.format("kinesis")
        .option("streamName", settings.stream_name)
        .option("endpointUrl", settings.aws_endpoint_url)
        .option("readerMode", mode)
        .option("maxRecordsPerBatch", str(max_records))
    )
    for key, value in options.items():
        reader = reader.option(key, value)
    query = (
        reader.load()
        .writeStream.option("checkpointLocation", str(checkpoint))
        .foreachBatch(lambda df, batch_id: batches.append((batch_id, df.toArrow().to_pylist())))
        .trigger(availableNow=True)
        .start()
    )
    query.awaitTermination(120)
    assert query.exception() is None
    return batches


def values(batches):
    return [json.loads(row["data"])["i"] for _, rows in batches for row in rows]


@pytest.mark.parametrize("mode", ["driver", "partitioned"])
def test_reads_everything_once_and_resumes_after_the_last_committed_batch(spark, fresh, tmp_path, mode):
    put(fresh, [json.dumps({"i": i}) for i in range(2500)])
    first = read_batches(spark, fresh, tmp_path / "cp", mode)
    assert sorted(values(first)) == list(range(2500))
    assert len(first) == 3  # at most 1,000 records per batch
    row = first[0][1][0]
    assert row["stream"] == fresh.stream_name and row["shard_id"].startswith("shardId-")
    assert row["approximate_arrival_timestamp"] is not None and int(row["sequence_number"]) > 0
    put(fresh, [json.dumps({"i": i}) for i in range(2500, 2600)])
    second = read_batches(spark, fresh, tmp_path / "cp", mode)
    assert sorted(values(second)) == list(range(2500, 2600))
    assert second[0][0] == first[-1][0] + 1


def test_order_per_partition_key_is_kept(spark, fresh, tmp_path):
    put(fresh, [json.dumps({"i": i}) for i in range(600)], keys=[f"k{i % 3}" for i in range(600)])
    rows = [row for _, batch in read_batches(spark, fresh, tmp_path / "cp") for row in batch]
    for key in ("k0", "k1", "k2"):
        seen = [json.loads(r["data"])["i"] for r in rows if r["partition_key"] == key]
        assert seen == sorted(seen) and len(seen) == 200


def test_a_reshard_mid_run_loses_nothing_and_reads_parents_first(spark, fresh, tmp_path):
    kinesis = aws_client(fresh, "kinesis")
    put(fresh, [json.dumps({"i": i}) for i in range(400)], keys=[f"k{i % 7}" for i in range(400)])
    before = read_batches(spark, fresh, tmp_path / "cp")
    put(fresh, [json.dumps({"i": i}) for i in range(400, 800)], keys=[f"k{i % 7}" for i in range(400, 800)])
    for shard in kinesis.list_shards(StreamName=fresh.stream_name)["Shards"]:  # 2 shards -> 4, as UNIFORM_SCALING does
        low, high = (int(shard["HashKeyRange"][k]) for k in ("StartingHashKey", "EndingHashKey"))
        kinesis.split_shard(
            StreamName=fresh.stream_name, ShardToSplit=shard["ShardId"], NewStartingHashKey=str((low + high) // 2)
        )
        ensure_stream(kinesis, fresh.stream_name, 2)  # wait until ACTIVE again
    put(fresh, [json.dumps({"i": i}) for i in range(800, 1200)], keys=[f"k{i % 7}" for i in range(800, 1200)])
    after = read_batches(spark, fresh, tmp_path / "cp") + read_batches(spark, fresh, tmp_path / "cp")
    everything = values(before) + values(after)
    assert sorted(everything) == list(range(1200))
    rows = [row for _, batch in before + after for row in batch]
    for key in (f"k{i}" for i in range(7)):
        seen = [json.loads(r["data"])["i"] for r in rows if r["partition_key"] == key]
        assert seen == sorted(seen), f"order broken for {key}"


def test_latest_skips_what_was_already_there(spark, fresh, tmp_path):
    put(fresh, [json.dumps({"i": i}) for i in range(50)])
    assert values(read_batches(spark, fresh, tmp_path / "cp", startingPosition="LATEST")) == []
    put(fresh, [json.dumps({"i": i}) for i in range(50, 60)])
    assert sorted(values(read_batches(spark, fresh, tmp_path / "cp"))) == list(range(50, 60))


def test_bad_options_are_refused(spark, fresh, tmp_path):
    from pyspark.errors import StreamingQueryException

    with pytest.raises(StreamingQueryException, match="startingPosition must be one of"):
        read_batches(spark, fresh, tmp_path / "cp", startingPosition="SOMETIME")


def test_each_reader_has_the_python_environment_map_of_its_own(spark, fresh):
    """Spark adds to a Python source's environment map as a query starts: shared by the two queries,
    it broke the other query's task serialization (see stream_records)."""
    from streaming_jobs.sources import stream_records

    def environment_map(frame):
        relation = frame._jdf.queryExecution().analyzed()
        provider = relation.source().get()  # a StreamingRelationV2 of the Python source
        return spark._jvm.java.lang.System.identityHashCode(provider.source().dataSourceCls().envVars())

    poll_reader, lake_reader = (stream_records(spark, fresh, 100) for _ in range(2))
    assert environment_map(poll_reader) != environment_map(lake_reader)
