"""`gst doctor`'s Kafka checks, against the real broker of the Kafka stack."""

from gamestream.doctor import Status, check_kafka, check_kafka_jars, run_checks


def test_kafka_check_names_the_topic_its_partitions_and_the_broker(kafka_stack):
    check = check_kafka(kafka_stack.settings)
    assert check.status is Status.OK, check.detail
    assert f"topic '{kafka_stack.settings.stream_name}' with 2 partitions on 1 broker(s)" in check.detail
    names = [c.name for c in run_checks(kafka_stack.settings)]
    assert "kafka" in names and "kinesis" not in names  # GST_SINK=kafka: Kinesis is not needed


def test_kafka_check_says_what_is_missing(kafka_stack):
    no_topic = check_kafka(kafka_stack.settings.model_copy(update={"stream_name": "never-created"}))
    assert no_topic.status is Status.FAIL and "topic 'never-created' does not exist; run `gst init`" in no_topic.detail
    nobody = check_kafka(
        kafka_stack.settings.model_copy(update={"kafka_bootstrap_servers": "127.0.0.1:1"}), timeout_ms=1_000
    )
    assert nobody.status is Status.FAIL and nobody.detail.startswith("cannot reach Kafka at 127.0.0.1:1")


def test_kafka_jars_are_needed_only_with_the_kafka_sink(kafka_stack, tmp_path):
    found = check_kafka_jars(kafka_stack.settings)
    assert found.status is Status.OK and found.detail.startswith("Apache Kafka 4.")
    missing = kafka_stack.settings.model_copy(update={"kafka_jars_dir": tmp_path})
    assert check_kafka_jars(missing).status is Status.FAIL
    assert "make install" in check_kafka_jars(missing).detail
    assert check_kafka_jars(missing.model_copy(update={"sink": "kinesis"})).status is Status.WARN
