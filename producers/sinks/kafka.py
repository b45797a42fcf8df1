"""Kafka sink (kafka-python) behind the same interface as the Kinesis sink, chosen by GST_SINK=kafka.

The key is the record's entity id, so Kafka's default partitioner (murmur2) spreads entities across
partitions as Kinesis spreads them across shards, and one entity's records stay in order.

Delivery: the producer is idempotent (acks=all, at most 5 requests in flight, retries with
backoff), so a broker that goes away and comes back costs nothing: records wait in the producer's
buffer, and the broker drops a retried batch it already has. The delivery timeout is a day: a
shorter one would make kafka-python give batches up (and its idempotent sender, 3.0, then stalls
instead of starting a new producer id), so an outage is waited out like the Kinesis sink's retries.
Only a record the broker refuses for good (too large, not authorised) fails: it is logged, counted
in `failed`, and `flush` then returns False. `delivered` counts only acknowledged records. A poll
manifest is a barrier: it is sent only when every record before it is acknowledged, and `send`
returns only when the manifest itself is, so a manifest in the topic means its poll's records are.
"""

from __future__ import annotations

import contextlib
import threading
import time
from typing import Any

import structlog
from kafka import KafkaAdminClient, KafkaProducer
from kafka.errors import KafkaError, KafkaTimeoutError, TopicAlreadyExistsError
from kafka.partitioner import murmur2

from gamestream.core.contracts import RecordBase
from gamestream.core.settings import Settings
from producers.sinks.base import MAX_RECORD_BYTES, Sink, encode

log = structlog.get_logger(__name__)

MAX_REQUEST_BYTES = MAX_RECORD_BYTES + 64 * 1024  # one largest record with Kafka's batch overhead
DAY_MS = 24 * 3600 * 1000


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as the Java client) gives this key."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


def client_config(settings: Settings) -> dict[str, Any]:
    """Connection settings every kafka-python client here shares (producer, admin, tests' consumer)."""
    config: dict[str, Any] = {
        "bootstrap_servers": [s.strip() for s in settings.kafka_bootstrap_servers.split(",") if s.strip()],
        "security_protocol": settings.kafka_security_protocol,
        "client_id": "gamestream",
    }
    if settings.kafka_sasl_mechanism:
        config["sasl_mechanism"] = settings.kafka_sasl_mechanism
    if settings.kafka_sasl_mechanism == "SCRAM-SHA-512":
        config["sasl_plain_username"] = settings.kafka_sasl_username
        config["sasl_plain_password"] = settings.secret("kafka_sasl_password")
    return config


def ensure_topic(settings: Settings, topic: str | None = None, timeout: float = 60.0) -> int:
    """Create the topic with GST_KAFKA_PARTITIONS partitions if it is missing (the broker does not
    auto-create topics) and the cluster's default replication; returns its partition count. Waits
    for a broker that is still starting."""
    topic = topic or settings.stream_name
    deadline = time.monotonic() + timeout
    admin: Any = None
    try:
        while True:
            try:
                wait_ms = int(min(10.0, timeout) * 1000)
                admin = admin or KafkaAdminClient(
                    **client_config(settings), request_timeout_ms=wait_ms, bootstrap_timeout_ms=wait_ms
                )
                admin.create_topics({topic: {"num_partitions": settings.kafka_partitions}}, wait_for_metadata=True)
                log.info("kafka_topic_created", topic=topic, partitions=settings.kafka_partitions)
            except TopicAlreadyExistsError:
                pass
            except KafkaError as exc:  # no broker yet, or the controller still electing itself
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"cannot create Kafka topic '{topic}' at {settings.kafka_bootstrap_servers} "
                        f"within {timeout:.0f}s: {type(exc).__name__}: {exc}"
                    ) from None
                time.sleep(0.2)
                continue
            (described,) = admin.describe_topics([topic])
            if not described.get("error_code") and described["partitions"]:
                return len(described["partitions"])
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kafka topic '{topic}' has no partitions yet: {described}")
            time.sleep(0.2)
    finally:
        if admin is not None:
            admin.close()


class KafkaSink(Sink):
    def __init__(self, settings: Settings, producer: Any | None = None):
        super().__init__()
        self.topic = settings.stream_name
        if producer is None:
            producer = KafkaProducer(
                **client_config(settings),
                enable_idempotence=True,
                acks="all",
                max_in_flight_requests_per_connection=5,  # the most idempotence keeps in order
                retries=2**31 - 1,  # bounded by delivery_timeout_ms instead
                retry_backoff_ms=100,
                reconnect_backoff_ms=50,
                reconnect_backoff_max_ms=2_000,
                delivery_timeout_ms=DAY_MS,
                linger_ms=20,
                batch_size=256 * 1024,
                max_request_size=MAX_REQUEST_BYTES,
                allow_auto_create_topics=False,
            )
        self.producer = producer
        self.failed = 0
        self._pending = 0
        self._idle = threading.Condition()
        self._closed = False

    def send(self, record: RecordBase) -> None:
        if record.kind == "poll_manifest":
            self.flush()  # the poll's records are acknowledged before its manifest goes out
            self.send_raw(*encode(record))
            self.flush()
            return
        self.send_raw(*encode(record))

    def send_raw(self, key: bytes, value: bytes) -> None:
        """Send bytes as they are (replay re-publishes bronze records byte for byte)."""
        if self._closed:
            raise RuntimeError("sink is closed")
        with self._idle:
            self._pending += 1
        self.stats.add(accepted=1)
        while True:
            try:
                future = self.producer.send(self.topic, key=key, value=value)
                break
            except KafkaTimeoutError:  # buffer full or no metadata (broker away): wait, as Kinesis' full buffer does
                log.warning("kafka_send_blocked", topic=self.topic, pending=self._pending)
            except Exception:  # refused outright (e.g. too large): not accepted, nothing to wait for
                self.stats.add(accepted=-1)
                self._settle()
                raise
        future.add_callback(self._acknowledged)
        future.add_errback(self._refused)

    def _acknowledged(self, _metadata: Any) -> None:
        self.stats.add(delivered=1)
        self._settle()

    def _refused(self, exc: BaseException) -> None:
        log.error("kafka_record_refused", topic=self.topic, error=type(exc).__name__, detail=str(exc)[:300])
        with self._idle:
            self.failed += 1
        self._settle()

    def _settle(self) -> None:
        with self._idle:
            self._pending -= 1
            self._idle.notify_all()

    def flush(self, timeout: float | None = None) -> bool:
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            remaining = None if deadline is None else deadline - time.monotonic()
            if remaining is not None and remaining <= 0:
                return False
            # only hurries the sending on: what is pending is counted here (kafka-python's flush also
            # raises while it splits a batch the broker found too large)
            with contextlib.suppress(KafkaError):
                self.producer.flush(timeout=min(remaining, 1.0) if remaining is not None else 1.0)
            with self._idle:
                if not self._pending:
                    return not self.failed
                self._idle.wait(0.05)

    def close(self, timeout: float | None = None) -> None:
        delivered = self.flush(timeout)
        self._closed = True
        self.producer.close(timeout=0 if not delivered else 5)
        if not delivered:
            log.error(
                "sink_closed_with_undelivered_records", topic=self.topic, undelivered=self._pending, refused=self.failed
            )
