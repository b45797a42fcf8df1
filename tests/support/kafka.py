"""Test helpers for Kafka: read a whole topic back, and make a topic of a test's own on the real broker."""

from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer, TopicPartition
from kafka.consumer.fetcher import ConsumerRecord

from gamestream.core.settings import Settings
from producers.sinks.kafka import client_config, ensure_topic


def new_topic(settings: Settings, prefix: str = "t", partitions: int | None = None) -> Settings:
    """Settings whose stream_name is a new topic, created on the broker."""
    topic = settings.model_copy(
        update={
            "stream_name": f"{prefix}-{uuid.uuid4().hex[:8]}",
            "kafka_partitions": partitions or settings.kafka_partitions,
        }
    )
    ensure_topic(topic)
    return topic


def read_topic(settings: Settings, topic: str | None = None, timeout: float = 60.0) -> list[ConsumerRecord]:
    """Every record in every partition up to the current end offsets, oldest first per partition."""
    topic = topic or settings.stream_name
    consumer = KafkaConsumer(**client_config(settings), group_id=None, enable_auto_commit=False)
    try:
        partitions = [TopicPartition(topic, p) for p in sorted(consumer.partitions_for_topic(topic) or ())]
        assert partitions, f"topic {topic} has no partitions"
        consumer.assign(partitions)
        consumer.seek_to_beginning(*partitions)
        end = consumer.end_offsets(partitions)
        out: list[ConsumerRecord] = []
        deadline = time.monotonic() + timeout
        while any(consumer.position(tp) < end[tp] for tp in partitions):
            assert time.monotonic() < deadline, f"read {len(out)} records of {topic} in {timeout:.0f}s, not all"
            for batch in consumer.poll(timeout_ms=500, max_records=10_000).values():
                out += batch
        return out
    finally:
        consumer.close()
