"""The JVM libraries the local SparkSession loads: Delta Lake (delta-spark) and Spark's Kafka source.

`make` copies them with their runtime dependencies from Maven Central into `.jars/spark`
(`mvn dependency:copy-dependencies` on streaming_jobs/jvm/pom.xml), once, so a session starts
without resolving anything; then `prune` drops the copies of libraries pyspark already ships
(Spark's own versions win on the classpath anyway).

    python -m streaming_jobs.jars prune .jars/spark
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pyspark

REQUIRED = ("delta-spark_", "delta-storage-", "spark-sql-kafka-0-10_")
_VERSION = re.compile(r"-\d[^-]*(-\d+)?\.jar$")


class MissingJars(RuntimeError):
    """The jar folder is missing or incomplete; the message says how to fill it."""


def artifact(jar: str) -> str:
    """`delta-storage-4.4.0.jar` -> `delta-storage`."""
    return _VERSION.sub("", jar)


def spark_jars(folder: Path) -> list[str]:
    """The jars to hand to `spark.jars`, or a clear error naming the command that fetches them."""
    jars = sorted(str(p) for p in folder.glob("*.jar")) if folder.is_dir() else []
    names = [Path(j).name for j in jars]
    missing = [prefix.rstrip("_-") for prefix in REQUIRED if not any(n.startswith(prefix) for n in names)]
    if missing:
        raise MissingJars(
            f"Spark's jars ({', '.join(missing)}) are not in {folder}: run `make jars` "
            "(Maven fetches them from Maven Central), or set GST_SPARK_JARS_DIR to a folder that has them"
        )
    return jars


def prune(folder: Path) -> list[str]:
    """Delete the jars whose library pyspark already ships; return their names."""
    shipped = {artifact(p.name) for p in (Path(pyspark.__file__).parent / "jars").glob("*.jar")}
    removed = []
    for jar in sorted(folder.glob("*.jar")):
        if artifact(jar.name) in shipped:
            jar.unlink()
            removed.append(jar.name)
    return removed


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "prune":
        sys.exit("usage: python -m streaming_jobs.jars prune FOLDER")
    target = Path(sys.argv[2])
    dropped = prune(target)
    kept = spark_jars(target)
    print(f"{target}: {len(kept)} jars for Spark, {len(dropped)} dropped that pyspark already ships")
