"""The Kafka sink against a real broker (the Kafka stack's, one per test process)."""

import time
from collections import defaultdict

import pytest
from pydantic import ValidationError

from gamestream.core.clock import ManualClock
from gamestream.core.contracts import Source, parse_record
from gamestream.core.settings import Settings
from producers.poll_loop import Poller, PollLoop, PollSession
from producers.sinks import make_sink
from producers.sinks.kafka import KafkaSink, client_config, ensure_topic, partition_for
from tests.support.kafka import new_topic, read_topic
from tests.support.producers import T0, assert_sigterm_flushes_everything, player_counts


def test_records_arrive_keyed_by_entity_in_their_partition_with_exact_counts(kafka_stack):
    settings = new_topic(kafka_stack.settings, partitions=3)
    sink = make_sink(settings)
    assert isinstance(sink, KafkaSink)
    assert sink.producer.config["enable_idempotence"] and sink.producer.config["acks"] == -1
    assert sink.producer.config["max_in_flight_requests_per_connection"] <= 5
    sent = player_counts(3000)
    for record in sent:
        sink.send(record)
    sink.close()
    found = read_topic(settings)
    assert sink.stats.accepted == sink.stats.delivered == len(found) == 3000
    assert sink.stats.ambiguous_calls == 0
    assert sorted(parse_record(r.value).event_id for r in found) == sorted(r.event_id for r in sent)
    for r in found:
        assert r.key == parse_record(r.value).entity_id.encode()
        assert r.partition == partition_for(r.key, 3)  # the Java client's partitioner: consumers agree
    assert {r.partition for r in found} == {0, 1, 2}


def test_ensure_topic_creates_once_with_the_configured_partitions_and_names_an_absent_broker(kafka_stack):
    settings = new_topic(kafka_stack.settings, partitions=4)
    assert ensure_topic(settings) == 4  # already there: kept as it is
    nobody = settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"})
    with pytest.raises(RuntimeError, match=r"cannot create Kafka topic .* at 127\.0\.0\.1:1 within 2s"):
        ensure_topic(nobody, timeout=2)


class RestartingPoller(Poller):
    """Emits `count` records in one poll; a third of the way in it kills the broker (kill -9), goes
    on sending into the producer's buffer, and two thirds in, after `outage` seconds, restarts it
    (same port, same data)."""

    source = Source.STEAM
    interval = 60.0

    def __init__(self, broker, count, outage):
        self.broker, self.count, self.outage = broker, count, outage
        self.delivered_at_kill = self.delivered_at_restart = None

    def poll(self, session: PollSession) -> None:
        recorder = session.open("steam", "player_count", "players", planned_pages=self.count // 100)
        for i, record in enumerate(player_counts(self.count, poll=recorder.poll_id)):
            if i == self.count // 3:
                self.delivered_at_kill = session.sink.stats.delivered
                self.broker.stop(kill=True)
            if i == 2 * self.count // 3:
                self.delivered_at_restart = session.sink.stats.delivered
                time.sleep(self.outage)
                self.broker.start()  # from this thread: the broker dies with the thread that started it
            recorder.emit(record)
            if i % 100 == 99:
                recorder.page_ok()


def test_broker_killed_and_restarted_mid_poll_loses_nothing_and_counts_exactly(kafka_stack):
    settings = new_topic(kafka_stack.settings)
    broker, pid_before = kafka_stack.kafka, kafka_stack.kafka.pid
    poller = RestartingPoller(broker, 3000, outage=2.5)
    sink = KafkaSink(settings)
    loop = PollLoop(poller, sink, ManualClock(T0))
    try:
        (manifest,) = loop.run_slot(T0)
    finally:
        sink.close(timeout=120)
    assert broker.pid not in (None, pid_before)  # it really went away and came back
    assert poller.delivered_at_kill < 3000
    assert poller.delivered_at_restart < 2000  # records sent while it was away waited for it
    found = read_topic(settings)
    copies = defaultdict(set)
    for r in found:
        copies[parse_record(r.value).event_id].add(r.value)
    assert all(len(values) == 1 for values in copies.values())  # a duplicate could only be the same record
    assert len(copies) == 3001  # every record and the manifest
    assert manifest.record_count == 3000
    assert sink.stats.accepted == sink.stats.delivered == loop.health.records_sent == 3001
    assert sink.failed == 0
    in_topic = [parse_record(r.value) for r in found]
    assert any(r.kind == "poll_manifest" and r.record_count == 3000 for r in in_topic)


def test_a_record_the_broker_refuses_is_counted_and_flush_says_so(kafka_stack):
    from kafka import KafkaAdminClient

    settings = kafka_stack.settings.model_copy(update={"stream_name": "small-records-only"})
    admin = KafkaAdminClient(**client_config(settings))
    admin.create_topics({"small-records-only": {"num_partitions": 1, "configs": {"max.message.bytes": "2000"}}})
    admin.close()
    sink = KafkaSink(settings)
    small, large = player_counts(2)
    sink.send(small)
    sink.send(large.model_copy(update={"app_name": "x" * 5000}))
    assert sink.flush(timeout=60) is False
    sink.close(timeout=5)
    assert (sink.stats.accepted, sink.stats.delivered, sink.failed) == (2, 1, 1)
    assert [parse_record(r.value).event_id for r in read_topic(settings)] == [small.event_id]


def test_sigterm_flushes_everything_the_producer_accepted(kafka_stack, tmp_path):
    settings = new_topic(kafka_stack.settings)
    assert_sigterm_flushes_everything(
        settings, tmp_path, lambda: [r.value for r in read_topic(settings)], scale=0.05, start_seconds=90
    )


def test_msk_authentication_settings_reach_the_client_and_incomplete_ones_are_refused():
    iam = Settings(
        _env_file=None,
        kafka_bootstrap_servers="b-1.msk:9098, b-2.msk:9098",
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="AWS_MSK_IAM",
    )
    assert client_config(iam) == {
        "bootstrap_servers": ["b-1.msk:9098", "b-2.msk:9098"],
        "security_protocol": "SASL_SSL",
        "sasl_mechanism": "AWS_MSK_IAM",
        "client_id": "gamestream",
    }
    scram = Settings(
        _env_file=None,
        kafka_security_protocol="SASL_SSL",
        kafka_sasl_mechanism="SCRAM-SHA-512",
        kafka_sasl_username="gst",
        kafka_sasl_password="s3cret-pw",
    )
    assert client_config(scram)["sasl_plain_password"] == "s3cret-pw"
    assert "s3cret-pw" not in repr(scram)
    with pytest.raises(ValidationError, match="kafka_sasl_mechanism is needed"):
        Settings(_env_file=None, kafka_security_protocol="SASL_SSL")
    with pytest.raises(ValidationError, match="SCRAM-SHA-512 needs"):
        Settings(_env_file=None, kafka_security_protocol="SASL_SSL", kafka_sasl_mechanism="SCRAM-SHA-512")
