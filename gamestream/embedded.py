"""The embedded stack: the whole system's services on one machine, with no accounts and no keys.

It starts, on free loopback ports, kinesalite as the Kinesis API (a Node process, its records in a
LevelDB store under the data directory) and a private Redis (the `redis-server` binary when
installed, else fakeredis's TCP server), makes a DuckDB warehouse file and a lake folder under the
data directory, creates the stream, and hands back Settings that point every stage at them. With
GST_SINK=kafka it also starts a single-node Apache Kafka broker (KRaft, a JVM process, its log
under the data directory) and creates the topic (docs/kafka.md).
Leaving the context (normally, by exception, Ctrl-C or SIGTERM turned into SystemExit) stops
everything and frees the ports; the child processes also die with this one, even by kill -9.

    with embedded_stack(Path(".gst")) as stack:
        kinesis = aws_client(stack.settings, "kinesis")
"""

from __future__ import annotations

import base64
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template
from typing import Literal
from urllib.parse import urlsplit

import duckdb
import redis
import structlog
from pydantic import SecretStr

from gamestream.aws import aws_client, ensure_stream
from gamestream.settings import Settings, redact_url

log = structlog.get_logger(__name__)

RedisBackend = Literal["auto", "redis-server", "fakeredis", "external"]
EMBEDDED_AWS_KEY = "embedded"  # kinesalite accepts any credentials; these never leave loopback


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


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


def _die_with_parent() -> None:
    """Child processes get SIGTERM if we die, even by kill -9: no orphans."""
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _stop(proc: subprocess.Popen, timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _wait_for_redis(url: str, timeout: float = 10.0) -> None:
    client = redis.Redis.from_url(url, socket_connect_timeout=0.5)
    deadline = time.monotonic() + timeout
    try:
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Redis did not answer at {redact_url(url)} within {timeout:.0f}s") from None
                time.sleep(0.05)
    finally:
        client.close()


@contextmanager
def redis_server(port: int, workdir: Path) -> Iterator[int]:
    workdir.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(workdir),
            "--logfile",
            str(workdir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    try:
        _wait_for_redis(f"redis://127.0.0.1:{port}/0")
        yield proc.pid
    finally:
        _stop(proc)


@contextmanager
def _fake_redis_server(port: int) -> Iterator[None]:
    from fakeredis import TcpFakeServer

    server = TcpFakeServer(("127.0.0.1", port), server_type="redis")
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, name="fakeredis", daemon=True)
    thread.start()
    try:
        _wait_for_redis(f"redis://127.0.0.1:{port}/0")
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


KINESALITE = Path(__file__).resolve().parent / "kinesalite"


class KinesaliteMissing(RuntimeError):
    """Node or kinesalite's packages are not installed; the message says how to install them."""


def _wait_for_port(
    port: int, proc: subprocess.Popen, what: str, log: Path, timeout: float = 30.0, host: str = "127.0.0.1"
) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}: {log.read_text()[-1000:]}")
        try:
            socket.create_connection((host, port), timeout=0.5).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not listen on {host}:{port} within {timeout:.0f}s") from None
            time.sleep(0.05)


@contextmanager
def kinesalite_server(port: int, store: Path) -> Iterator[int]:
    """kinesalite on 127.0.0.1:`port` with its LevelDB store in `store`; yields its pid."""
    node = shutil.which("node")
    if not node or not (KINESALITE / "node_modules" / "kinesalite").is_dir():
        raise KinesaliteMissing(
            f"the embedded Kinesis needs Node.js and kinesalite's packages in {KINESALITE}: "
            "run `make install` (npm ci there)"
        )
    store.mkdir(parents=True, exist_ok=True)
    log = store.parent / "kinesalite.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [node, str(KINESALITE / "server.js"), str(port), str(store)],
            stdout=out,
            stderr=subprocess.STDOUT,
            cwd=KINESALITE,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
    try:
        _wait_for_port(port, proc, "kinesalite", log)
        yield proc.pid
    finally:
        _stop(proc)


KAFKA_CONFIG = Path(__file__).resolve().parent / "kafka"


class KafkaMissing(RuntimeError):
    """Java or the broker's jars are not installed; the message says how to install them."""


def kafka_jars(jars_dir: Path) -> Path:
    """The folder of the broker's jars, checked: `make install` fills it from Maven Central."""
    if not shutil.which("java"):
        raise KafkaMissing("the embedded Kafka broker needs Java 17 or newer: `make install` installs it")
    if not any(jars_dir.glob("kafka_2.13-*.jar")):
        raise KafkaMissing(f"the embedded Kafka broker's jars are missing in {jars_dir}: run `make install`")
    return jars_dir


def kafka_cluster_id() -> str:
    """A random cluster id as Kafka's Uuid prints one (URL-safe base64 of 16 bytes), never starting
    with "-": the storage tool would read such an id as an option (Kafka's own ids avoid it too)."""
    while (cluster_id := base64.urlsafe_b64encode(os.urandom(16)).rstrip(b"=").decode()).startswith("-"):
        pass
    return cluster_id


@dataclass
class KafkaBroker:
    """A single-node Kafka broker (controller and broker in one JVM, KRaft). `stop` and `start` keep
    its ports and its data, as a restarted server would; `data` holds its log, config and log4j files.
    The broker dies with the thread that started it (PR_SET_PDEATHSIG), so start it from a thread
    that outlives it."""

    data: Path
    jars: Path
    host: str = "127.0.0.1"
    heap_mb: int = 512
    partitions: int = 2
    port: int = 0
    controller_port: int = 0
    proc: subprocess.Popen | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.data, self.jars = self.data.resolve(), self.jars.resolve()  # the JVM runs in `data`
        self.port = self.port or free_port(self.host)
        self.controller_port = self.controller_port or free_port()

    @property
    def bootstrap(self) -> str:
        advertised = "127.0.0.1" if self.host in ("0.0.0.0", "::") else self.host
        return f"{advertised}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def _java(self, main: str, *args: str) -> list[str]:
        return [
            shutil.which("java") or "java",
            f"-Xmx{self.heap_mb}m",
            f"-Xms{min(self.heap_mb, 128)}m",
            # quick start over peak speed (half the start-up on a busy machine): C1 only, one GC thread;
            # the broker still takes records far faster than the Python producers send them
            "-XX:TieredStopAtLevel=1",
            "-XX:+UseSerialGC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={KAFKA_CONFIG / 'log4j2.xml'}",
            f"-Dkafka.logs.dir={self.data / 'logs'}",
            "-cp",
            str(self.jars / "*"),
            main,
            *args,
        ]

    def _write_config(self) -> Path:
        advertised = self.bootstrap.rsplit(":", 1)[0]
        text = Template((KAFKA_CONFIG / "server.properties").read_text()).substitute(
            host=self.host,
            advertised_host=advertised,
            port=self.port,
            controller_port=self.controller_port,
            log_dir=self.data / "log",
            partitions=self.partitions,
        )
        config = self.data / "server.properties"
        config.write_text(text)
        return config

    def _format(self, config: Path) -> None:
        """Format the log folder once for a single-voter KRaft quorum; a formatted one is kept."""
        if (self.data / "log" / "meta.properties").is_file():
            return
        cluster_id = kafka_cluster_id()
        done = subprocess.run(
            self._java("kafka.tools.StorageTool", "format", "--cluster-id", cluster_id, "--config", str(config)),
            capture_output=True,
            text=True,
            timeout=120,
        )
        if done.returncode != 0:
            raise RuntimeError(f"formatting Kafka's storage failed: {(done.stderr or done.stdout)[-1000:]}")

    def start(self, timeout: float = 90.0) -> None:
        (self.data / "logs").mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        self._format(config)
        out = self.data / "logs" / "kafka.out"
        with out.open("ab") as stream:
            self.proc = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=stream,
                stderr=subprocess.STDOUT,
                cwd=self.data,
                preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
            )
        try:
            _wait_for_port(self.port, self.proc, "Kafka", out, timeout, host=self.bootstrap.rsplit(":", 1)[0])
        except BaseException:
            self.stop()
            raise

    def stop(self, kill: bool = False) -> None:
        """SIGTERM (a clean shutdown, as `kafka-server-stop`), or SIGKILL with `kill`."""
        if self.proc is None:
            return
        if kill:
            self.proc.kill()
            self.proc.wait()
        else:
            _stop(self.proc, timeout=30)
        self.proc = None


@contextmanager
def kafka_server(settings: Settings, data: Path) -> Iterator[KafkaBroker]:
    """The embedded broker under `data`, listening on GST_KAFKA_HOST (loopback by default)."""
    broker = KafkaBroker(
        data=data,
        jars=kafka_jars(settings.kafka_jars_path),
        host=settings.kafka_host,
        heap_mb=settings.kafka_heap_mb,
        partitions=settings.kafka_partitions,
    )
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


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
        kinesis_pid = stack.enter_context(kinesalite_server(aws_port, data_dir / "kinesis"))
        redis_pid = None
        if redis_backend == "external":
            if not redis_url:
                raise ValueError("an external Redis needs its redis_url")
            _wait_for_redis(redis_url)
            redis_port = urlsplit(redis_url).port or 6379
        else:
            redis_port = free_port()
            redis_url = f"redis://127.0.0.1:{redis_port}/0"
            if redis_backend == "redis-server":
                redis_pid = stack.enter_context(redis_server(redis_port, data_dir / "redis"))
            else:
                stack.enter_context(_fake_redis_server(redis_port))

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
            from producers.sinks.kafka import ensure_topic

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
                f"({settings.stream_shards} shards), records stored in {data_dir / 'kinesis'}",
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
