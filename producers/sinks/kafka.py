"""Kafka sink (kafka-python) behind the same interface as the Kinesis sink, chosen by
GST_SINK=kafka. Key = the record's entity id, so Kafka's default partitioner (murmur2) spreads
entities across partitions as Kinesis spreads them across shards.

No broker runs where this project is developed: the tests cover serialisation and partitioning
only; delivery is exercised in docker-compose, where a broker can be added.
"""

from __future__ import annotations

from typing import Any

from kafka.partitioner import murmur2

from gamestream.contracts import RecordBase
from gamestream.settings import Settings
from producers.sinks.base import Sink, encode


def partition_for(key: bytes, partitions: int) -> int:
    """The partition Kafka's default partitioner (murmur2, as the Java client) gives this key."""
    return (murmur2(key) & 0x7FFFFFFF) % partitions


class KafkaSink(Sink):
    def __init__(self, settings: Settings, producer: Any | None = None):
        super().__init__()
        self.topic = settings.stream_name
        if producer is None:
            from kafka import KafkaProducer

            producer = KafkaProducer(
                bootstrap_servers=settings.kafka_bootstrap_servers.split(","),
                acks="all",
                linger_ms=20,
                retries=10,
                max_in_flight_requests_per_connection=1,
            )
        self.producer = producer

    def send(self, record: RecordBase) -> None:
        key, value = encode(record)
        future = self.producer.send(self.topic, key=key, value=value)
        self.stats.add(accepted=1)
        future.add_callback(lambda _meta: self.stats.add(delivered=1, calls=1))

    def flush(self, timeout: float | None = None) -> bool:
        self.producer.flush(timeout=timeout)
        return self.stats.delivered >= self.stats.accepted

    def close(self, timeout: float | None = None) -> None:
        self.flush(timeout)
        self.producer.close()
