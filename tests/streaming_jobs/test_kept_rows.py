"""A lake batch is computed once and kept for its several writes, then dropped."""

from pyspark.sql import functions as F
from pyspark.sql.types import LongType

from streaming_jobs.kept_rows import kept_rows, release


def kept(spark):
    return {rdd.id() for rdd in spark.sparkContext._jsc.getPersistentRDDs().values()}


def test_kept_rows_are_computed_once_for_several_actions_and_released(spark):
    computed = spark.sparkContext.accumulator(0)

    def counted(n: int) -> int:
        computed.add(1)
        return n * 2

    before = kept(spark)
    frame = kept_rows(spark.range(100, numPartitions=2).withColumn("x", F.udf(counted, LongType())("id")))
    assert frame.count() == 100
    assert frame.agg(F.sum("x")).first()[0] == 9900
    assert frame.where("x > 100").count() == 49
    assert computed.value == 100  # not once per action
    assert kept(spark) - before  # held while the batch writes

    release(frame)
    assert kept(spark) == before
