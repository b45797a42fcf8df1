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


def test_a_read_at_the_tip_costs_one_get_records_and_continues_where_the_last_ended(fresh):
    """Both queries read every shard on every trigger, and Kinesis allows 5 GetRecords and 5
    GetShardIterator calls a second per shard."""
    from streaming_jobs.kinesis_source import KinesisShards, ShardPosition

    kinesis = aws_client(fresh, "kinesis")

    def put_numbers(numbers: range) -> str:
        records = [{"Data": json.dumps({"i": i}).encode(), "PartitionKey": "one key"} for i in numbers]
        return kinesis.put_records(StreamName=fresh.stream_name, Records=records)["Records"][0]["ShardId"]

    def numbers(records) -> list[int]:
        return [json.loads(r["Data"])["i"] for r in records]

    shard_id = put_numbers(range(300))  # one key: all in one shard, in order
    shards = KinesisShards({"streamname": fresh.stream_name, "endpointurl": fresh.aws_endpoint_url})
    shard = next(s for s in shards.list_shards() if s["ShardId"] == shard_id)
    calls: list[str] = []
    shards.client.meta.events.register("before-call.kinesis.*", lambda model, **_: calls.append(model.name))

    first, position, _ = shards.read(shard, ShardPosition("TRIM_HORIZON"), 1000)
    assert numbers(first) == list(range(300))
    assert calls == ["GetShardIterator", "GetRecords"]  # a short page at the tip ends the read

    put_numbers(range(300, 350))
    calls.clear()
    second, position, _ = shards.read(shard, position, 1000)
    assert numbers(second) == list(range(300, 350))
    assert calls == ["GetRecords"]  # the last read's iterator continues after its last record

    calls.clear()
    nothing, still, _ = shards.read(shard, position, 1000)
    assert nothing == [] and still == position and calls == ["GetRecords"]
    put_numbers(range(350, 351))
    calls.clear()
    assert numbers(shards.read(shard, still, 1000)[0]) == [350]
    assert calls == ["GetShardIterator", "GetRecords"]  # an empty page's iterator is not kept

    everything, _, _ = shards.read(shard, ShardPosition("TRIM_HORIZON"), 1000)  # elsewhere: a new iterator
    assert numbers(everything) == list(range(351))
    after, iterator, issued = shards._continuations[shard_id]
    shards._continuations[shard_id] = (after, iterator, issued - 300)  # as if kept for 5 minutes
    calls.clear()
    assert shards.read(shard, ShardPosition("TRIM_HORIZON", after), 1000)[0] == []
    assert calls == ["GetShardIterator", "GetRecords"]
