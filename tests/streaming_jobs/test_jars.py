"""The jar folder check and the pruning of jars pyspark already ships."""

from __future__ import annotations

import pytest

from streaming_jobs.jars import MissingJars, artifact, spark_jars


def test_missing_jars_name_the_command_that_fetches_them(tmp_path):
    with pytest.raises(MissingJars, match=r"make jars.*GST_SPARK_JARS_DIR"):
        spark_jars(tmp_path)
    (tmp_path / "delta-spark_4.2_2.13-4.4.0.jar").touch()
    with pytest.raises(MissingJars, match=r"delta-storage, spark-sql-kafka-0-10"):
        spark_jars(tmp_path)


@pytest.mark.parametrize(
    ("jar", "name"),
    [
        ("delta-storage-4.4.0.jar", "delta-storage"),
        ("delta-spark_4.2_2.13-4.4.0.jar", "delta-spark_4.2_2.13"),
        ("zstd-jni-1.5.7-3.jar", "zstd-jni"),
        ("spark-sql-kafka-0-10_2.13-4.2.0.jar", "spark-sql-kafka-0-10_2.13"),
    ],
)
def test_artifact_names_drop_only_the_version(jar, name):
    assert artifact(jar) == name
