"""A single-node Apache Kafka broker (KRaft, a JVM process, its log under the data directory) for
GST_SINK=kafka (docs/kafka.md)."""

from __future__ import annotations

import base64
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from string import Template

import structlog

from gamestream.core.settings import Settings
from gamestream.embedded.ports import free_port
from gamestream.embedded.processes import die_with_parent, rotate_log, stop_process, wait_for_port

KAFKA_CONFIG = Path(__file__).resolve().parents[1] / "kafka"
# a first start on ports the broker picked itself tries this many pairs (see KafkaBroker.start)
PORT_ATTEMPTS = 3
log = structlog.get_logger(__name__)


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
    started: bool = field(default=False, init=False)
    picked: tuple[bool, bool] = field(default=(False, False), init=False, repr=False)  # which ports it chose

    def __post_init__(self) -> None:
        self.data, self.jars = self.data.resolve(), self.jars.resolve()  # the JVM runs in `data`
        self.picked = (not self.port, not self.controller_port)
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
        """Start the broker and wait until it listens. A port picked free may be taken before the JVM
        binds it, seconds later (any process's outgoing connection can get it): on its first start the
        broker then picks other ports for those it chose itself, up to PORT_ATTEMPTS pairs. A restart
        keeps its ports, which its clients know."""
        for attempt in range(1, PORT_ATTEMPTS + 1):
            broker_log = self.data / "logs" / "kafka.log"
            logged = broker_log.stat().st_size if broker_log.is_file() else 0
            try:
                self._start(timeout)
            except RuntimeError:
                if self.started or not any(self.picked) or attempt == PORT_ATTEMPTS:
                    raise
                if "Address already in use" not in _read_from(broker_log, logged):
                    raise
                taken = (self.port, self.controller_port)
                self.port = free_port(self.host) if self.picked[0] else self.port
                self.controller_port = free_port() if self.picked[1] else self.controller_port
                log.warning("kafka_port_taken", ports=taken, retry_with=(self.port, self.controller_port))
                continue
            self.started = True
            return

    def _start(self, timeout: float) -> None:
        (self.data / "logs").mkdir(parents=True, exist_ok=True)
        config = self._write_config()
        self._format(config)
        out = rotate_log(self.data / "logs" / "kafka.out")  # the JVM's console: log4j2.xml rolls kafka.log
        with out.open("ab") as stream:
            self.proc = subprocess.Popen(
                self._java("kafka.Kafka", str(config)),
                stdout=stream,
                stderr=subprocess.STDOUT,
                cwd=self.data,
                preexec_fn=die_with_parent if sys.platform.startswith("linux") else None,
            )
        try:
            wait_for_port(self.port, self.proc, "Kafka", out, timeout, host=self.bootstrap.rsplit(":", 1)[0])
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
            stop_process(self.proc, timeout=30)
        self.proc = None


def _read_from(path: Path, offset: int) -> str:
    """What was written to `path` after `offset` (all of it if the file was rolled meanwhile)."""
    if not path.is_file():
        return ""
    with path.open("rb") as text:
        text.seek(offset if path.stat().st_size >= offset else 0)
        return text.read().decode(errors="replace")


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
