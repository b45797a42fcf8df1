"""The local SparkSession every local entry point uses (one per process), with Delta Lake enabled
from the jars `make` fetched (see streaming_jobs/jars.py), RocksDB for streaming state, and FAIR
scheduling between the streaming job's two queries (streaming_jobs/data/fairscheduler.xml)."""

from __future__ import annotations

import ctypes.util
import os
import signal
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Literal

import structlog
from pyspark import SparkConf, SparkContext
from pyspark.java_gateway import launch_gateway
from pyspark.sql import SparkSession

from gamestream.core.settings import Settings
from streaming_jobs import class_archive
from streaming_jobs.jars import spark_jars
from streaming_jobs.kinesis_source import KinesisDataSource

CODEGEN_CACHE_ENTRIES = 1000
STATE_WRITE_BUFFER_MB = 16  # also on Glue (infra/parts/glue_jobs.py)
# Micro-batches a query's checkpoint keeps (offsets, commits, state versions), also on Glue. Spark's
# default of 100 kept 17 minutes of the lake query's RocksDB history: its state's folder grew from 146
# to 370 MB between minutes 18 and 35 of a soak at scale 0.05, compacted files of the past held by old
# snapshots. A restart needs the last committed batch only.
BATCHES_RETAINED = 20
log = structlog.get_logger(__name__)


# PySpark's applyInPandasWithState serializer pads each batch's frames with all-NA ones and
# concatenates them (pyspark/sql/pandas/serializers.py), which pandas 2.1+ warns about once per poll
# batch, on the console. The warning is about PySpark's code, not ours, and changes nothing for our
# rows (their types come from the output schema): the Python workers ignore that one warning, by its
# message, category and module, and show every other.
WORKER_WARNINGS = (
    "ignore:The behavior of DataFrame concatenation with empty or all-NA entries:FutureWarning"
    ":pyspark.sql.pandas.serializers"
)


def local_spark(
    app_name: str = "game-stream-trends",
    slots: int = 4,
    jars_dir: Path | None = None,
    driver_memory: str | None = None,
    fixed_heap: bool = False,
    jemalloc: bool = False,
    output: Path | None = None,
    collector: Literal["g1", "serial"] = "g1",
) -> SparkSession:
    """`slots` task slots (more than the machine's cores on purpose: the poll query's pool keeps
    two of them while a lake batch runs); shuffles use two partitions, as the state stores do.
    `fixed_heap` (the streaming job's): the heap is taken and touched at start, so the process's
    memory does not follow G1's resizing of it (the live set after a collection was flat at 0.35-0.5 GB
    over a soak while the heap G1 held swung between 1.4 and 2.4 GB). `jemalloc` (the streaming job's
    too): the JVM allocates native memory with jemalloc, see `native_allocator`. `output` (the demo's):
    a file that takes the JVM's console output, its Python workers' included, instead of the console.
    `collector`: "g1" or "serial" (the demo's small heap), always named (a JVM on one core or under
    1.8 GB would pick the serial collector by itself)."""
    settings = Settings()
    memory = driver_memory or settings.spark_driver_memory
    jars_folder = jars_dir or settings.spark_jars_path
    jars = spark_jars(jars_folder)
    java_options = [
        "-Xss8m",
        *([f"-Xms{memory}", "-XX:+AlwaysPreTouch"] if fixed_heap else []),
        "-XX:+UseSerialGC" if collector == "serial" else "-XX:+UseG1GC",  # named: a small machine's JVM picks serial
        *class_archive.java_options(jars_folder),
    ]
    pools = resources.files("streaming_jobs.data").joinpath("fairscheduler.xml")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # else workers may start another Python
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    # the JVM (and RocksDB in it) malloc from hundreds of threads; glibc's default of up to 8 arenas
    # per core fragments, and memory outside the JVM's own accounting grew 170 MB in 26 soak minutes
    os.environ.setdefault("MALLOC_ARENA_MAX", "2")
    conf = (
        SparkConf()
        .setMaster(f"local[{slots}]")
        .setAppName(app_name)
        .set("spark.jars", ",".join(jars))
        .set("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .set("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .set("spark.sql.session.timeZone", "UTC")
        .set("spark.sql.shuffle.partitions", "2")
        .set("spark.scheduler.mode", "FAIR")
        .set("spark.scheduler.allocation.file", str(pools))
        .set(
            "spark.sql.streaming.stateStore.providerClass",
            "org.apache.spark.sql.execution.streaming.state.RocksDBStateStoreProvider",
        )
        # a batch's state commit writes a changelog, and RocksDB snapshots are taken in the background:
        # the poll query's commits took 130-260 ms a batch with it, 300-700 ms without
        .set("spark.sql.streaming.stateStore.rocksdb.changelogCheckpointing.enabled", "true")
        # one memory budget for every RocksDB instance of the process (memtables, block cache),
        # instead of each instance sizing its own; a long-running job's native memory stays bounded.
        # The cache is not strict (Spark's choice: a full strict cache fails inserts), and it fills
        # as blocks are read and stays full
        .set("spark.sql.streaming.stateStore.rocksdb.boundedMemoryUsage", "true")
        .set("spark.sql.streaming.stateStore.rocksdb.maxMemoryUsageMB", str(settings.spark_state_memory_mb))
        # a memtable flushes at 16 MB instead of RocksDB's 64: with 64 MB memtables the job's memory was
        # still rising 40 minutes into a soak, with 16 MB it rose in two steps until minute 25
        .set("spark.sql.streaming.stateStore.rocksdb.writeBufferSizeMB", str(STATE_WRITE_BUFFER_MB))
        # counting the state's rows costs a second lookup per insert; the dedup inserts every record
        .set("spark.sql.streaming.stateStore.rocksdb.trackTotalNumberOfRows", "false")
        .set("spark.sql.streaming.minBatchesToRetain", str(BATCHES_RETAINED))
        # Delta rebuilds a table's state (e.g. to look up an idempotent write's txn version) with
        # this many tasks; the default 50 costs seconds per append on two cores
        .set("spark.databricks.delta.snapshotPartitions", "1")
        # the backfill caches parsed rows for a few writes and drops them: compressing the cache
        # cost more time than it saved (about a sixth of a 35k-row lake batch, when it was cached)
        .set("spark.sql.inMemoryColumnarStorage.compressed", "false")
        # a lake batch runs a few dozen distinct plans (its writes and Delta's own jobs): with the
        # default 100 cached classes, Spark compiled much of their code again every batch
        .set("spark.sql.codegen.cache.maxEntries", str(CODEGEN_CACHE_ENTRIES))
        # the optional checksum file of each commit: writing it costs about a fifth of a small append
        .set("spark.databricks.delta.writeChecksumFile.enabled", "false")
        .set("spark.driver.bindAddress", "127.0.0.1")  # its RPC and block manager: loopback only
        .set("spark.driver.host", "127.0.0.1")
        .set("spark.python.authenticate.socketTimeout", "120s")  # a loaded machine starts workers slowly
        .set("spark.ui.enabled", "false")
        .set("spark.ui.showConsoleProgress", "false")
        .set("spark.sql.execution.arrow.pyspark.enabled", "true")
        # micro-batches arrive as local relations: without this the optimizer evaluates the
        # whole transformation itself, row by row on one thread, instead of running codegen
        .set("spark.sql.optimizer.excludedRules", "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation")
        .set("spark.driver.memory", memory)
        # -Xss8m: a query stopped mid-batch has its (long) error message matched by recursive regexes
        # on the stream thread, which overflow the default 1 MB thread stack
        .set("spark.driver.extraJavaOptions", " ".join(java_options))
        .set("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
        .set("spark.executorEnv.PYTHONWARNINGS", WORKER_WARNINGS)  # the Python workers' environment
    )
    with native_allocator(jemalloc):
        if output is not None:
            output.parent.mkdir(parents=True, exist_ok=True)
            with output.open("ab") as sink:  # the JVM keeps its own descriptor of it
                SparkContext(conf=conf, gateway=launch_gateway(conf, popen_kwargs={"stdout": sink, "stderr": sink}))
        spark = SparkSession.builder.config(conf=conf).getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    spark.dataSource.register(KinesisDataSource)
    return spark


def streaming_job_spark(settings: Settings, output: Path | None = None) -> SparkSession:
    """The streaming job's session (`gst stream`, and the demo's job in its process): its task slots
    and heap cap from settings, taken whole, and jemalloc, as settings say; Spark's console output to
    `output` when given.

    PySpark's SparkContext takes over Ctrl-C (SIGINT) to cancel every running Spark job at once: a
    query's batch in flight then fails, and Spark prints an ERROR and a trace for it. The job's own
    stop waits for the batches in flight instead (StreamingJob.stop): Ctrl-C is Python's
    KeyboardInterrupt again, as PySpark's handler raises too, without the cancelling."""
    spark = local_spark(
        slots=settings.spark_task_slots,
        driver_memory=settings.spark_driver_memory,
        fixed_heap=settings.spark_fixed_heap,
        jemalloc=settings.spark_jemalloc,
        output=output,
        collector=settings.spark_collector,
    )
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.default_int_handler)
    return spark


@contextmanager
def native_allocator(jemalloc: bool) -> Iterator[None]:
    """While the JVM starts: preload jemalloc into it (its Python workers inherit it), when asked and
    the machine has it (Debian's libjemalloc2, which `make` installs). The job's JVM mallocs 1-2.5 GB a
    second; with glibc's malloc its memory kept rising in the malloc heaps for 40 soak minutes, with
    jemalloc it was level from minute 20. Only the JVM gets it: the variable is restored once it runs."""
    library = ctypes.util.find_library("jemalloc") if jemalloc else None
    if jemalloc and library is None:
        log.warning("jemalloc_missing", detail="libjemalloc2 is not installed: the JVM uses glibc's malloc")
    if library is None:
        yield
        return
    before = os.environ.get("LD_PRELOAD")
    os.environ["LD_PRELOAD"] = " ".join(filter(None, [before, library]))
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("LD_PRELOAD", None)
        else:
            os.environ["LD_PRELOAD"] = before
