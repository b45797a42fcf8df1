"""Stream sinks: Kinesis (default) and Kafka, behind one interface, chosen by GST_SINK."""

from __future__ import annotations

from gamestream.settings import Settings
from producers.sinks.base import Sink


def make_sink(settings: Settings) -> Sink:
    if settings.sink == "kafka":
        from producers.sinks.kafka import KafkaSink

        return KafkaSink(settings)
    from producers.sinks.kinesis import KinesisSink

    return KinesisSink(settings)
