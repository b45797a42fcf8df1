"""The local SparkSession every local entry point uses (one per process), with Delta Lake enabled
from the jars `make` fetched (see streaming_jobs/jars.py)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from pyspark.sql import SparkSession

from gamestream.settings import Settings
from streaming_jobs.jars import spark_jars
from streaming_jobs.kinesis_source import KinesisDataSource


def local_spark(app_name: str = "game-stream-trends", cores: int = 2, jars_dir: Path | None = None) -> SparkSession:
    jars = spark_jars(jars_dir or Settings().spark_jars_path)
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # else workers may start another Python
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    spark = (
        SparkSession.builder.master(f"local[{cores}]")
        .appName(app_name)
        .config("spark.jars", ",".join(jars))
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.shuffle.partitions", str(cores))
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        # micro-batches arrive as local relations: without this the optimizer evaluates the
        # whole transformation itself, row by row on one thread, instead of running codegen
        .config("spark.sql.optimizer.excludedRules", "org.apache.spark.sql.catalyst.optimizer.ConvertToLocalRelation")
        .config("spark.driver.memory", "3g")
        .config("spark.sql.streaming.forceDeleteTempCheckpointLocation", "true")
        .getOrCreate()
    )
    spark.sparkContext.setLogLevel("ERROR")
    spark.dataSource.register(KinesisDataSource)
    return spark
