import base64
import os
import socket
import time
from pathlib import Path

import duckdb
import pytest
import redis

from gamestream.core.aws import aws_client
from gamestream.core.settings import Settings
from gamestream.embedded.kafka_broker import KafkaBroker, KafkaMissing, kafka_cluster_id, kafka_jars
from gamestream.embedded.ports import port_is_free
from gamestream.embedded.processes import rotate_log
from gamestream.embedded.stack import embedded_stack


def test_record_put_with_boto3_is_read_back(stack):
    kinesis = aws_client(stack.settings, "kinesis")
    put = kinesis.put_record(StreamName=stack.settings.stream_name, Data=b'{"hello": 1}', PartitionKey="4711")
    iterator = kinesis.get_shard_iterator(
        StreamName=stack.settings.stream_name,
        ShardId=put["ShardId"],
        ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=put["SequenceNumber"],
    )["ShardIterator"]
    records = kinesis.get_records(ShardIterator=iterator, Limit=10)["Records"]
    assert records[0]["Data"] == b'{"hello": 1}'
    assert records[0]["PartitionKey"] == "4711"
    shards = kinesis.list_shards(StreamName=stack.settings.stream_name)["Shards"]
    assert len(shards) == stack.settings.stream_shards


def test_kinesis_keeps_its_records_on_disk_under_the_data_dir_and_listens_on_loopback_only(stack):
    store = stack.settings.data_dir / "kinesis"
    assert (store / "CURRENT").is_file()  # LevelDB's store, not memory
    assert stack.kinesis_pid in _children_named("node")
    outside = _non_loopback_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    with pytest.raises(OSError):
        socket.create_connection((outside, stack.aws_port), timeout=1)


def test_kinesis_deletes_records_after_the_settings_retention(stack):
    command = Path(f"/proc/{stack.kinesis_pid}/cmdline").read_bytes().split(b"\0")
    retention = command[command.index(b"--retention-seconds") + 1]
    assert float(retention) == stack.settings.stream_retention_hours * 3600


def test_a_service_log_at_its_cap_is_moved_aside_before_the_next_start(tmp_path):
    log = tmp_path / "service.log"
    assert rotate_log(log, max_bytes=10) == log and not log.exists()  # none yet: nothing to move
    log.write_bytes(b"x" * 9)
    rotate_log(log, max_bytes=10)
    assert log.read_bytes() == b"x" * 9  # under the cap: kept, appended to
    (tmp_path / "service.log.1").write_bytes(b"older")
    log.write_bytes(b"y" * 10)
    rotate_log(log, max_bytes=10)
    assert not log.exists() and (tmp_path / "service.log.1").read_bytes() == b"y" * 10


def _non_loopback_address() -> str | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("10.255.255.255", 1))  # no packet is sent: this only picks a local address
            address = probe.getsockname()[0]
        except OSError:
            return None
    return None if address.startswith("127.") else address


def _exercise_redis(url: str) -> None:
    client = redis.Redis.from_url(url, decode_responses=True)
    pubsub = client.pubsub()
    pubsub.subscribe("live")
    assert pubsub.get_message(timeout=2)["type"] == "subscribe"
    assert client.publish("live", "hello") == 1
    message = None
    for _ in range(20):
        message = pubsub.get_message(timeout=0.2)
        if message:
            break
    assert message["data"] == "hello"
    first = client.xadd("feed", {"n": "1"})
    client.xadd("feed", {"n": "2"})
    entries = client.xread({"feed": first}, count=10)
    assert [fields["n"] for _, fields in entries[0][1]] == ["2"]
    pubsub.close()
    client.close()


def test_redis_speaks_pubsub_and_streams(stack):
    assert stack.redis_backend == ("external" if os.environ.get("GST_TEST_REDIS_URL") else "redis-server")
    _exercise_redis(stack.settings.redis_url)


def test_duckdb_warehouse_answers_queries(stack):
    path = stack.settings.warehouse.removeprefix("duckdb:///")
    with duckdb.connect(path) as con:
        assert con.execute("select 40 + 2").fetchone() == (42,)


def _children_named(name: str) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().split()
                with open(f"/proc/{entry}/cmdline", "rb") as cmd:
                    cmdline = cmd.read()
            except OSError:
                continue
            if int(fields[3]) == os.getpid() and name.encode() in cmdline:
                pids.append(int(entry))
    return pids


@pytest.mark.parametrize("backend", ["redis-server", "fakeredis"])
def test_clean_shutdown_frees_ports_and_leaves_no_process(tmp_path, backend):
    with embedded_stack(tmp_path, Settings(_env_file=None), redis_backend=backend) as running:
        ports = running.ports
        assert not any(port_is_free(p) for p in ports)
        _exercise_redis(running.settings.redis_url)
        if backend == "redis-server":
            assert running.redis_pid in _children_named("redis-server")
        assert running.kinesis_pid in _children_named("node")
    deadline = time.monotonic() + 5
    while not all(port_is_free(p) for p in ports) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert all(port_is_free(p) for p in ports)
    assert running.redis_pid is None or running.redis_pid not in _children_named("redis-server")
    assert running.kinesis_pid not in _children_named("node")
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", ports[0]), timeout=1)


def test_stack_stops_when_the_body_raises(tmp_path):
    with pytest.raises(RuntimeError, match="boom"), embedded_stack(tmp_path, Settings(_env_file=None)) as running:
        ports, pid, kinesis = running.ports, running.redis_pid, running.kinesis_pid
        raise RuntimeError("boom")
    assert all(port_is_free(p) for p in ports)
    assert pid not in _children_named("redis-server")
    assert kinesis not in _children_named("node")


def test_kafka_broker_runs_from_the_data_dir_on_loopback_with_a_capped_heap(kafka_stack):
    broker, settings = kafka_stack.kafka, kafka_stack.settings
    assert settings.kafka_bootstrap_servers == f"127.0.0.1:{broker.port}" and broker.port in kafka_stack.ports
    assert (settings.data_dir / "kafka" / "log" / "meta.properties").is_file()  # formatted KRaft storage
    assert (settings.data_dir / "kafka" / "log" / "__cluster_metadata-0").is_dir()  # the KRaft metadata log
    assert any(line.startswith("Kafka broker (KRaft") for line in kafka_stack.started)
    command = Path(f"/proc/{broker.pid}/cmdline").read_bytes().split(b"\0")
    assert f"-Xmx{settings.kafka_heap_mb}m".encode() in command and b"kafka.Kafka" in command
    assert broker.pid in _children_named("java")
    config = (settings.data_dir / "kafka" / "server.properties").read_text()
    assert f"listeners=PLAINTEXT://127.0.0.1:{broker.port},CONTROLLER://127.0.0.1:{broker.controller_port}" in config
    outside = _non_loopback_address()
    if outside is None:
        pytest.skip("this machine has no non-loopback IPv4 address to try")
    for port in (broker.port, broker.controller_port):
        with pytest.raises(OSError):
            socket.create_connection((outside, port), timeout=1)


def test_a_kafka_port_taken_before_the_broker_binds_it_is_picked_again(tmp_path):
    # a port picked free can be taken before the JVM binds it, seconds later (CI met it once)
    broker = KafkaBroker(data=tmp_path / "kafka", jars=kafka_jars(Settings(_env_file=None).kafka_jars_path))
    taken = broker.controller_port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as squatter:
        squatter.bind(("127.0.0.1", taken))
        squatter.listen()
        broker.start()
        try:
            assert broker.controller_port != taken and broker.started
            socket.create_connection(("127.0.0.1", broker.port), timeout=5).close()
            assert "Address already in use" in (tmp_path / "kafka" / "logs" / "kafka.log").read_text()
            config = (tmp_path / "kafka" / "server.properties").read_text()
            assert f"CONTROLLER://127.0.0.1:{broker.controller_port}" in config
            restarted = broker.controller_port
            broker.stop()
            broker.start()  # a restart keeps its ports
            assert broker.controller_port == restarted
        finally:
            broker.stop()


def test_kafka_broker_is_named_missing_with_how_to_install_it(tmp_path):
    settings = Settings(_env_file=None, sink="kafka", kafka_jars_dir=tmp_path / "no-jars")
    with (
        pytest.raises(KafkaMissing, match=r"jars are missing in .*no-jars: run `make install`"),
        embedded_stack(tmp_path / "data", settings),
    ):
        pass


def test_kafka_cluster_ids_are_random_and_never_read_as_an_option():
    # one id in 64 started with "-" and the storage tool took it for an option: the broker never started
    ids = [kafka_cluster_id() for _ in range(3000)]
    assert len(set(ids)) == len(ids)
    assert not [i for i in ids if i.startswith("-")]
    assert all(len(base64.urlsafe_b64decode(i + "==")) == 16 for i in ids)
