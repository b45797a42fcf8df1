"""The embedded stack itself: every service started, Settings pointing every stage at them, and
everything stopped on leaving."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import duckdb
import structlog
from pydantic import SecretStr

from gamestream.core.aws import aws_client, ensure_stream
from gamestream.core.settings import Settings, redact_url
from gamestream.embedded.kafka_broker import KafkaBroker, kafka_jars, kafka_server
from gamestream.embedded.kinesalite import kinesalite_server
from gamestream.embedded.ports import free_port
from gamestream.embedded.redis_server import fake_redis_server, redis_server, wait_for_redis
from producers.sinks.kafka import ensure_topic

log = structlog.get_logger(__name__)


RedisBackend = Literal["auto", "redis-server", "fakeredis", "external"]


EMBEDDED_AWS_KEY = "embedded"  # kinesalite accepts any credentials; these never leave loopback


@dataclass
class EmbeddedStack:
    """What the stack started, and Settings that point at it."""

    settings: Settings
    aws_port: int
    redis_port: int
    redis_backend: str
    started: list[str] = field(default_factory=list)
    redis_pid: int | None = None
    kinesis_pid: int | None = None
    kafka: KafkaBroker | None = None

    @property
    def ports(self) -> list[int]:
        return [self.aws_port, self.redis_port] + ([self.kafka.port] if self.kafka else [])


def embedded_settings(
    base: Settings, data_dir: Path, aws_port: int, redis_url: str, kafka: KafkaBroker | None = None
) -> Settings:
    """Settings pointing every stage at the embedded services; everything else kept from base."""
    # the embedded broker has no authentication: whatever MSK settings base has are not for it
    broker = (
        {
            "kafka_bootstrap_servers": kafka.bootstrap,
            "kafka_security_protocol": "PLAINTEXT",
            "kafka_sasl_mechanism": None,
        }
        if kafka
        else {}
    )
    return base.model_copy(
        update={
            **broker,
            "data_dir": data_dir,
            "aws_endpoint_url": f"http://127.0.0.1:{aws_port}",
            "aws_access_key_id": SecretStr(EMBEDDED_AWS_KEY),
            "aws_secret_access_key": SecretStr(EMBEDDED_AWS_KEY),
            "redis_url": redis_url,
            "lake_root": str((data_dir / "lake").resolve()),
            "checkpoint_root": str((data_dir / "checkpoints").resolve()),
            # a configured warehouse (e.g. PostgreSQL) is kept; else a DuckDB file in the data dir
            "warehouse_url": base.warehouse_url or f"duckdb:///{(data_dir / 'warehouse.duckdb').resolve()}",
        }
    )


@contextmanager
def embedded_stack(
    data_dir: Path | None = None,
    base: Settings | None = None,
    redis_backend: RedisBackend = "auto",
    redis_url: str | None = None,
) -> Iterator[EmbeddedStack]:
    """`redis_url` (with redis_backend "external") uses that Redis instead of starting one."""
    base = base or Settings()
    data_dir = Path(data_dir or base.data_dir).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    if redis_backend == "auto":
        redis_backend = "redis-server" if shutil.which("redis-server") else "fakeredis"
    if base.sink == "kafka":
        kafka_jars(base.kafka_jars_path)  # say what is missing before starting anything

    with ExitStack() as stack:
        aws_port = free_port()
        kinesis_pid = stack.enter_context(
            kinesalite_server(aws_port, data_dir / "kinesis", retention_seconds=base.stream_retention_hours * 3600)
        )
        redis_pid = None
        if redis_backend == "external":
            if not redis_url:
                raise ValueError("an external Redis needs its redis_url")
            wait_for_redis(redis_url)
            redis_port = urlsplit(redis_url).port or 6379
        else:
            redis_port = free_port()
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            if redis_backend == "redis-server":
                redis_pid = stack.enter_context(redis_server(redis_port, data_dir / "redis"))
            else:
                stack.enter_context(fake_redis_server(redis_port))

        kafka = None
        if base.sink == "kafka":
            kafka = stack.enter_context(kafka_server(base, data_dir / "kafka"))
        settings = embedded_settings(base, data_dir, aws_port, redis_url, kafka)
        Path(settings.lake_path).mkdir(parents=True, exist_ok=True)
        Path(settings.checkpoint_path).mkdir(parents=True, exist_ok=True)
        if settings.warehouse_kind == "duckdb":
            duckdb.connect(settings.warehouse.removeprefix("duckdb:///")).close()
        ensure_stream(aws_client(settings, "kinesis"), settings.stream_name, settings.stream_shards)
        if kafka:
            partitions = ensure_topic(settings)

        running = EmbeddedStack(
            settings=settings,
            aws_port=aws_port,
            redis_port=redis_port,
            redis_backend=redis_backend,
            redis_pid=redis_pid,
            kinesis_pid=kinesis_pid,
            kafka=kafka,
            started=[
                f"Kinesis API (kinesalite) at {settings.aws_endpoint_url}: stream '{settings.stream_name}' "
                f"({settings.stream_shards} shards), records stored in {data_dir / 'kinesis'} "
                f"for {settings.stream_retention_hours:g} h",
                f"Redis ({redis_backend}) at {redact_url(settings.redis_url)}",
                f"DuckDB warehouse at {settings.warehouse.removeprefix('duckdb:///')}"
                if settings.warehouse_kind == "duckdb"
                else f"{settings.warehouse_kind} warehouse at {redact_url(settings.warehouse)}",
                f"Delta lake at {settings.lake_path}",
                f"Spark checkpoints at {settings.checkpoint_path}",
            ],
        )
        if kafka:
            running.started.insert(
                1,
                f"Kafka broker (KRaft, pid {kafka.pid}) at {kafka.bootstrap}: topic '{settings.stream_name}' "
                f"({partitions} partitions), log in {kafka.data / 'log'}; producers write here (GST_SINK=kafka)",
            )
        log.info(
            "embedded_stack_started",
            aws_port=aws_port,
            redis_port=redis_port,
            redis=redis_backend,
            kafka=kafka.bootstrap if kafka else None,
            data_dir=str(data_dir),
        )
        try:
            yield running
        finally:
            log.info("embedded_stack_stopping")
