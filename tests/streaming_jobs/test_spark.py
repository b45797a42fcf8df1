"""The local SparkSession runs real Delta Lake from the jars `make` fetched from Maven Central."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from deltalake import DeltaTable

from gamestream.settings import Settings


def test_spark_writes_and_reads_delta_that_delta_rs_reads_too(spark, tmp_path):
    path = str(tmp_path / "table")
    spark.range(5).selectExpr("id AS x", "'a' AS tag").write.format("delta").save(path)
    again = spark.range(5, 8).selectExpr("id AS x", "'b' AS tag")
    for _ in range(2):  # the second append is the same batch replayed: Delta's idempotent writes skip it
        again.write.format("delta").mode("append").option("txnAppId", "test-query").option("txnVersion", 1).save(path)
    assert sorted(r.x for r in spark.read.format("delta").load(path).collect()) == list(range(8))
    table = DeltaTable(path)
    assert table.version() == 1
    assert sorted(table.to_pyarrow_table().column("x").to_pylist()) == list(range(8))


STREAMING_JVM_PROBE = """
import json, os, pathlib
from gamestream.settings import Settings
from streaming_jobs.spark import streaming_job_spark
spark = streaming_job_spark(Settings(_env_file=None, spark_driver_memory="1g"))
jvm = spark._jvm
heap = jvm.java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
proc = pathlib.Path(f"/proc/{jvm.java.lang.ProcessHandle.current().pid()}")
rss_kb = next(int(line.split()[1]) for line in (proc / "status").read_text().splitlines() if line.startswith("VmRSS:"))
print(json.dumps({
    "committed": heap.getCommitted(), "max": heap.getMax(), "rss": rss_kb * 1024,
    "jvm_has_jemalloc": "libjemalloc" in (proc / "maps").read_text(),
    "driver_preload": os.environ.get("LD_PRELOAD"),
    "state_memory_mb": spark.conf.get("spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB"),
}))
spark.stop()
"""


def test_the_streaming_jobs_jvm_takes_its_heap_whole_and_allocates_with_jemalloc(tmp_path):
    """The streaming job's session, with the default settings: the JVM holds and has touched its whole
    heap before the first batch, so the job's memory does not rise and fall with the collector's
    resizing (what a soak measures); its native memory comes from jemalloc, and only the JVM was given
    it; its state stores share the budget in settings."""
    done = subprocess.run(
        [sys.executable, "-c", STREAMING_JVM_PROBE],
        cwd=tmp_path,
        env={
            **{k: v for k, v in os.environ.items() if k != "LD_PRELOAD"},
            "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    heap = json.loads(done.stdout.strip().splitlines()[-1])
    assert heap["committed"] >= 0.95 * heap["max"]
    assert heap["rss"] >= heap["committed"]  # touched, not only reserved
    assert heap["jvm_has_jemalloc"], "the JVM was not started with jemalloc (is libjemalloc2 installed?)"
    assert heap["driver_preload"] is None  # the Python process that started it kept its own environment
    assert heap["state_memory_mb"] == str(Settings(_env_file=None).spark_state_memory_mb)
