"""Shared fixtures: one embedded stack, one PostgreSQL server and one SparkSession per test session
(and, for the tests that need it, one stack with a Kafka broker).

Nothing is expected to run on the machine: the stack starts its own Kinesis API and Redis, and
`postgres_url` its own PostgreSQL. GST_TEST_REDIS_URL / GST_TEST_POSTGRES_URL point the suite at
existing servers instead (their data there is overwritten)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from gamestream.core.settings import Settings
from gamestream.embedded.stack import EmbeddedStack, embedded_stack
from tests.support.kinesis import put as put  # tests/streaming_jobs imports it from here
from tests.support.postgres import throwaway_postgres
from tests.support.streaming import fresh_settings

# The suite's Spark JVMs (its sessions and the drills' jobs, which inherit the environment) each live
# seconds to minutes on a few thousand rows: C1 alone spares the optimising compiler's CPU. In two
# clean runs the kill -9 drill and the importer were faster, backfill's setups slower, the whole suite
# within noise. Only the JIT changes, not what Spark runs. C1 alone also shrinks the JVM's default
# code cache to 48 MB, which Spark's generated code fills in about two minutes of a drill's job:
# the JVM then stops compiling and runs everything interpreted (a lake batch of a few thousand rows
# took 55 s), so the cache keeps the size it has with both compilers.
os.environ.setdefault("SPARK_SUBMIT_OPTS", "-XX:TieredStopAtLevel=1 -XX:ReservedCodeCacheSize=240m")


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    external = os.environ.get("GST_TEST_REDIS_URL")
    with embedded_stack(
        tmp_path_factory.mktemp("gst"),
        Settings(_env_file=None),
        redis_backend="external" if external else "auto",
        redis_url=external,
    ) as running:
        yield running


@pytest.fixture(scope="session")
def kafka_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedStack]:
    """An embedded stack with GST_SINK=kafka: its own broker, one per test process, started on first use."""
    with embedded_stack(tmp_path_factory.mktemp("gst-kafka"), Settings(_env_file=None, sink="kafka")) as running:
        yield running


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A PostgreSQL database for the run: GST_TEST_POSTGRES_URL, or a throwaway server of our own."""
    if url := os.environ.get("GST_TEST_POSTGRES_URL"):
        yield url
        return
    with throwaway_postgres() as url:
        yield url


@pytest.fixture()
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """No GST_* variables from the caller's shell and no .env in the working directory."""

    for name in list(os.environ):
        if name.startswith("GST_"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def spark(stack):
    """One SparkSession for the whole test process (it takes seconds to start)."""
    from streaming_jobs.run import export_aws_environment
    from streaming_jobs.spark import local_spark

    export_aws_environment(stack.settings)
    session = local_spark("gst-tests")
    yield session
    session.stop()


@pytest.fixture()
def fresh(stack, tmp_path):
    """Settings with a new stream, lake, checkpoint folder and Redis database of their own."""
    return fresh_settings(stack.settings, tmp_path)


# The longest files, started first: with two pytest workers taking whole files in collection order
# (`make test` passes --no-loadscope-reorder: xdist would otherwise start the files with the most
# tests first, and so the one-test drills last), a long file picked up last would leave the other
# worker idle for minutes. In the order of their measured time (setup included) in a whole run of
# the suite, seconds in the comments.
LONGEST_FIRST = (
    "tests/streaming_jobs/test_kafka_drill.py",  # 153
    "tests/test_end_to_end.py",  # 125
    "tests/streaming_jobs/test_job.py",  # 123
    "tests/batch_jobs/test_gold.py",  # 118
    "tests/frontend/test_dashboard.py",  # 78
    "tests/batch_jobs/test_backfill.py",  # 61
    "tests/batch_jobs/test_gold_project.py",  # 56
    "tests/streaming_jobs/test_spark35_compat.py",  # 51 (its two probes side by side)
    "tests/batch_jobs/test_gold_channels.py",  # 47
    "tests/batch_jobs/test_replay.py",  # 42
    "tests/batch_jobs/test_gold_dbt.py",  # 37
    "tests/realtime_api/test_openapi_schema.py",  # 28
    "tests/batch_jobs/imports/test_importer.py",  # 27
    "tests/streaming_jobs/test_kinesis_source.py",  # 23
    "tests/producers/test_sink_kafka.py",  # 23
    "tests/gamestream/test_cli.py",  # 23
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: the order within a file and among the rest is kept
