"""The local SparkSession runs real Delta Lake from the jars `make` fetched from Maven Central."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake

from gamestream.core.settings import Settings
from streaming_jobs import class_archive
from streaming_jobs.spark import BATCHES_RETAINED, WORKER_WARNINGS


def test_delta_spark_and_delta_rs_read_each_others_commits_to_one_table(spark, tmp_path):
    """The lake query commits with delta-spark and the poll query, upkeep and imports with delta-rs, to
    the same tables: each library must read the other's rows and honour its idempotent-write marks."""
    path = str(tmp_path / "table")
    spark.range(5).selectExpr("id AS x", "'spark' AS tag").write.format("delta").save(path)
    write_deltalake(
        path,
        pa.table({"x": pa.array([5, 6], pa.int64()), "tag": ["delta-rs"] * 2}),
        mode="append",
        commit_properties=CommitProperties(app_transactions=[Transaction(app_id="rs-writer", version=3)]),
    )
    again = spark.range(7, 9).selectExpr("id AS x", "'spark' AS tag")
    for _ in range(2):  # the second append is the same batch replayed: Delta's idempotent writes skip it
        again.write.format("delta").mode("append").option("txnAppId", "spark-writer").option("txnVersion", 1).save(path)
    read_by_spark = sorted((r.x, r.tag) for r in spark.read.format("delta").load(path).collect())
    table = DeltaTable(path)
    read_by_rs = sorted(zip(*table.to_pyarrow_table().select(["x", "tag"]).to_pydict().values(), strict=True))
    expected = [(x, "spark") for x in range(5)] + [(5, "delta-rs"), (6, "delta-rs")] + [(7, "spark"), (8, "spark")]
    assert read_by_spark == expected, "delta-spark does not read what delta-rs committed"
    assert read_by_rs == expected, "delta-rs does not read what delta-spark committed"
    assert table.version() == 2, "the replayed delta-spark batch was committed again"
    assert table.transaction_version("spark-writer") == 1, "delta-rs does not see delta-spark's write marks"
    replay = spark.range(5, 7).selectExpr("id AS x", "'spark' AS tag")
    replay.write.format("delta").mode("append").option("txnAppId", "rs-writer").option("txnVersion", 3).save(path)
    assert DeltaTable(path).version() == 2, "delta-spark does not honour delta-rs' write marks"


STREAMING_JVM_PROBE = """
import json, os, pathlib, re, subprocess
from gamestream.core.settings import Settings
from streaming_jobs.spark import WORKER_WARNINGS
from streaming_jobs.spark import streaming_job_spark
spark = streaming_job_spark(Settings(_env_file=None, spark_driver_memory="1g"))
jvm = spark._jvm
heap = jvm.java.lang.management.ManagementFactory.getMemoryMXBean().getHeapMemoryUsage()
proc = pathlib.Path(f"/proc/{jvm.java.lang.ProcessHandle.current().pid()}")
rss_kb = next(int(line.split()[1]) for line in (proc / "status").read_text().splitlines() if line.startswith("VmRSS:"))
vm_info = subprocess.run(["jcmd", proc.name, "VM.info"], capture_output=True, text=True, timeout=60).stdout
mapped = re.search(r"CDS archive\\(s\\) mapped at: .*, size (\\d+)", vm_info)
print(json.dumps({
    "class_archives_mapped_bytes": int(mapped.group(1)) if mapped else 0,
    "committed": heap.getCommitted(), "max": heap.getMax(), "rss": rss_kb * 1024,
    "jvm_has_jemalloc": "libjemalloc" in (proc / "maps").read_text(),
    "driver_preload": os.environ.get("LD_PRELOAD"),
    "state_memory_mb": spark.conf.get("spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB"),
    "batches_retained": spark.conf.get("spark.sql.streaming.minBatchesToRetain"),
}))
spark.stop()
"""


def test_the_streaming_jobs_jvm_takes_its_heap_whole_and_allocates_with_jemalloc(tmp_path):
    """The streaming job's session, with the default settings: the JVM holds and has touched its whole
    heap before the first batch, so the job's memory does not rise and fall with the collector's
    resizing (what a soak measures); its native memory comes from jemalloc, and only the JVM was given
    it; its state stores share the budget in settings; its checkpoints keep a bounded history; its
    classes are mapped from the class archive."""
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
    assert heap["batches_retained"] == str(BATCHES_RETAINED)  # checkpoints keep a bounded history
    # the classes come from the archive `make` built (the JDK's own base archive is about 13 MB)
    archive = class_archive.archive_path(Settings(_env_file=None).spark_jars_path)
    assert archive.is_file(), f"no class archive at {archive}: `make` builds it"
    assert heap["class_archives_mapped_bytes"] > archive.stat().st_size, "the JVM did not map the class archive"


def test_the_python_workers_ignore_pysparks_own_pandas_warning_and_no_other(spark):
    """PySpark's pandas-state serializer warns on every poll batch about its own concatenation of
    all-NA padding: the workers get the one filter for it through Spark's conf (not the driver's
    environment), and it matches that warning from that module only."""
    from pyspark.sql.functions import udf

    @udf("string")
    def worker_warnings(_: int) -> str:
        return os.environ.get("PYTHONWARNINGS", "")

    [row] = spark.range(1).select(worker_warnings("id").alias("w")).collect()
    assert row.w == WORKER_WARNINGS
    # the concatenation PySpark does, run as if from the module named (warnings match by frame __name__)
    padding = (
        "import pandas as pd\npd.concat([pd.DataFrame({'a': [1.0]}), pd.DataFrame({'a': [None]}, dtype=object)])\n"
    )
    for module, shown in (("pyspark.sql.pandas.serializers", False), ("streaming_jobs.poll_state", True)):
        out = subprocess.run(
            [sys.executable, "-c", f"exec({padding!r}, {{'__name__': {module!r}}})"],
            env={**os.environ, "PYTHONWARNINGS": WORKER_WARNINGS},
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert out.returncode == 0, out.stderr
        assert ("all-NA entries is deprecated" in out.stderr) is shown, (module, out.stderr)
