"""Stream sinks: Kinesis (default) and Kafka, behind one interface, chosen by GST_SINK."""

from __future__ import annotations

from gamestream.core.settings import Settings
from producers.sinks.base import Sink
from producers.sinks.kafka import KafkaSink
from producers.sinks.kinesis import KinesisSink


def make_sink(settings: Settings) -> Sink:
    if settings.sink == "kafka":
        return KafkaSink(settings)
    return KinesisSink(settings)
